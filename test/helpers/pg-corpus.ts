import type { SnapshotQuery } from './pg-snapshot.js';

/**
 * SQL that any PostgreSQL-facing suite can replay through a proxy and directly, expecting the
 * same bytes back. Nothing here is volatile (no now(), random(), pids, OIDs of per-run objects):
 * objects the queries use are created once by FIXTURE_SQL so both runs see the same OIDs.
 */
export const FIXTURE_SQL = `
create type parity_mood as enum ('sad', 'ok', 'happy', '😀');
create type parity_point as (x int, label text);
create table parity_types (
  id int primary key,
  small int2, big int8, amount numeric(30, 10), ratio float8, flag bool,
  label text, raw bytea, day date, at timestamptz, span interval,
  doc jsonb, tags text[], mood parity_mood, pos parity_point, ids int4range, uid uuid
);
insert into parity_types values
  (1, 1, 9223372036854775807, 12345678901234567890.0123456789, 'NaN', true,
   'héllo 😀', '\\x00ff', '2024-02-29', '2024-06-01 12:00:00+02', '1 day 02:03:04',
   '{"k": [1, null, "ü"]}', '{a,"b c",NULL}', 'happy', '(1,one)', '[1,10)',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
  (2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null),
  (3, -32768, -1, 0, '-Infinity', false, '', '\\x', 'infinity', '-infinity', '-1 mon', 'null',
   '{}', '😀', '(,)', 'empty', null);
create table parity_uniq (
  id int primary key,
  email text not null unique,
  age int constraint parity_uniq_age_check check (age >= 0)
);
create table parity_fk (ref int constraint parity_fk_ref_fkey references parity_uniq (id));
create table parity_write (id serial primary key, note text);
create table parity_copy (id int primary key, name text, amount numeric, at timestamptz);
create function parity_fail(divisor int) returns int language plpgsql as $$
begin
  execute 'select 1 / ' || divisor;
  return 1;
end $$;
`;

/** Resets the writable fixture tables; run at the start of every write scenario, on both sides. */
export const RESET_SQL =
  'truncate parity_write, parity_uniq, parity_fk, parity_copy restart identity';

/** Read-only queries over every common type, NULLs and empty values (simple protocol). */
export const TYPE_QUERIES: string[] = [
  `select '1'::int2 as a, '-32768'::int2 as b, 2147483647::int4 as c, '-9223372036854775808'::int8 as d, 9223372036854775807::int8 as e`,
  `select '123456789012345678901234567890.123456789012345678901234567890'::numeric as big, 'NaN'::numeric as nan, 'Infinity'::numeric as inf, '-Infinity'::numeric as ninf, 0.1::numeric(20,10) as scaled, 1e-30::numeric as tiny`,
  `select 'NaN'::float8 as nan, 'Infinity'::float8 as inf, '-Infinity'::float8 as ninf, '-0'::float8 as nzero, 1.7976931348623157e308::float8 as max, 4.9e-324::float8 as min, 0.1::float8 as tenth, 'NaN'::float4 as nan4, 3.14::float4 as pi4`,
  `select 'héllo wörld' as t, '😀👩‍👩‍👧 ∑ 中文' as emoji, E'tab\\there\\nnewline\\\\' as ctl, '' as empty, null::text as nul, 'quote''s "double"' as q, 'x'::char(3) as ch, 'ab'::varchar(5) as vc, 'nm'::name as nm`,
  `select '\\x00ff10'::bytea as b, ''::bytea as empty, convert_to('é😀', 'UTF8') as utf8`,
  `select true as t, false as f, null::bool as n`,
  `select '2024-02-29'::date as d, 'infinity'::date as inf, '4713-01-01 BC'::date as bc, '1999-12-31 23:59:59.999999'::timestamp as ts, '-infinity'::timestamp as ninf, '2024-06-01 12:00:00+02'::timestamptz as tstz, '12:34:56.5'::time as t, '12:34:56+05:30'::timetz as tz, '1 year 2 mons 3 days 04:05:06.789'::interval as iv, '-1 day -00:00:01'::interval as neg`,
  `select '{"a":[1,2,{"b":null}],"ü":"😀"}'::json as j, '{"b":2,"a":1, "a":3}'::jsonb as jb, 'null'::jsonb as jn, '[]'::json as empty, '"s"'::jsonb as s`,
  `select 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as u, null::uuid as n`,
  `select array[1,2,null]::int[] as a, array['a','b c','"q"',null,'']::text[] as t, '{{1,2},{3,4}}'::int[][] as m, '{}'::int[] as empty, array[true,false] as b, array['2024-01-01'::date] as d, array['(1,x)'::parity_point] as c`,
  `select '[1,10)'::int4range as r, '(,5]'::int8range as unb, 'empty'::numrange as e, '[2024-01-01,2024-02-01)'::daterange as d, tstzrange('2024-01-01 00:00+00', '2024-01-02 00:00+00') as tz, '{[1,3),[5,7)}'::int4multirange as mr`,
  `select row(1, 'a')::parity_point as p, (2, null)::parity_point as pn, row(1, 'x y', null) as anon, (null, null)::parity_point as allnull`,
  `select 'happy'::parity_mood as m, '😀'::parity_mood as e, enum_range(null::parity_mood) as all_moods`,
  `select '192.168.0.1/24'::inet as i, '10.0.0.0/8'::cidr as c, '08:00:2b:01:02:03'::macaddr as m, 12.5::money as mo, 'pg_class'::regclass as rc, '(1,2)'::point as pt, B'1011'::varbit as bits, 'a fat cat'::tsvector as tv, 42::oid as o`,
  `select null as untyped, null::int as i, null::text[] as ta, array[null]::int[] as an, '' as e, ' ' as space`,
  `select * from parity_types order by id`,
  `select 1 where false`,
  `select`,
  `select from generate_series(1, 3)`,
  `select g, md5(g::text) as h, g % 3 = 0 as third from generate_series(1, 5000) g`,
  `select repeat('x', 2000000) as big, repeat('é', 600000) as big_utf8`,
  `show server_version`,
  `show client_encoding`,
  `show DateStyle`,
  `show IntervalStyle`,
  `show TimeZone`,
  `show standard_conforming_strings`,
  `show extra_float_digits`,
  `set timezone = 'America/New_York'`,
  `select '2024-06-01 12:00:00+02'::timestamptz as tstz, '2024-01-01 00:00'::timestamptz as winter`,
  `reset timezone`,
  `set bytea_output = 'escape'`,
  `select '\\x00ff41'::bytea as b`,
  `reset bytea_output`,
  `set datestyle = 'German, DMY'`,
  `select '2024-02-29'::date as d, '2024-02-29 10:00'::timestamp as ts`,
  `reset datestyle`,
  `set intervalstyle = 'iso_8601'`,
  `select '1 year 2 mons 3 days 04:05:06.789'::interval as iv`,
  `reset intervalstyle`,
];

/** Statements a client sends in one simple Query message. */
export const MULTI_STATEMENT_QUERIES: string[] = [
  `select 1 as a; select 'two' as b, 2 as c; select null as d`,
  `${RESET_SQL}; insert into parity_write (note) values ('a'), ('b'); update parity_write set note = note || '!' where id = 1; delete from parity_write where id = 2; select * from parity_write order by id`,
  `select 1 as before; select 1 / 0; select 3 as after`,
  `begin; insert into parity_write (note) values ('in tx'); select count(*) from parity_write; commit`,
  `begin; select 1; select broken syntax; commit`,
  `rollback`,
];

/** Server errors with as many fields as PostgreSQL fills in. */
export const ERROR_QUERIES: string[] = [
  RESET_SQL,
  `insert into parity_uniq values (1, 'a@example.com', 30)`,
  `insert into parity_uniq values (1, 'b@example.com', 30)`,
  `insert into parity_uniq values (2, 'a@example.com', 30)`,
  `insert into parity_uniq (id, email) values (3, null)`,
  `insert into parity_uniq values (4, 'c@example.com', -1)`,
  `insert into parity_fk values (99)`,
  `delete from parity_uniq where id = 1; insert into parity_fk values (1)`,
  `select * fromm parity_types`,
  `select missing_column from parity_types`,
  `select labl from parity_types`,
  `select * from parity_no_such_table`,
  `select 1 / 0`,
  `select 'abc'::int`,
  `select 32768::int2`,
  `select parity_fail(0)`,
  `do $$ begin raise exception using message = 'custom failure', detail = 'the detail', hint = 'the hint', errcode = 'P0001', column = 'c', constraint = 'k', datatype = 't', table = 'tb', schema = 's'; end $$`,
  `select 'é'::char(1)::int`,
  `begin`,
  `select 1 / 0`,
  `select 1`,
  `rollback`,
  `select 1 as still_alive`,
];

/** Statements that make the server send notices (NOTICE, WARNING, INFO) with detail and hint. */
export const NOTICE_QUERIES: string[] = [
  `do $$ begin raise notice 'hello %', 'ü' using detail = 'the detail', hint = 'the hint'; raise warning 'careful' using errcode = '01000'; raise info 'fyi'; end $$`,
  `drop table if exists parity_never_existed`,
  `create table if not exists parity_write (id int)`,
  `do $$ begin raise notice 'before error'; raise exception 'after notice'; end $$`,
  `do $$ begin for i in 1..50 loop raise notice 'n%', i; end loop; end $$`,
];

/** Extended-protocol queries: parameters (typed, NULL, empty, large, binary), names, binary results. */
export const EXTENDED_QUERIES: SnapshotQuery[] = [
  { text: 'select $1::int + $2::int as sum', values: [1, 2] },
  { text: 'select $1::text as t, $2::text as n, $3::text as e', values: ['ü😀', null, ''] },
  { text: 'select $1::bytea as b, length($1::bytea) as n', values: [Buffer.from([0, 1, 255, 0])] },
  { text: 'select $1::jsonb as j', values: [JSON.stringify({ a: 1, ü: ['😀', null] })] },
  {
    text: 'select $1::int[] as a, $2::text[] as t',
    values: [
      [1, 2, null],
      ['a', 'b,c', '"'],
    ],
  },
  {
    text: 'select $1::timestamptz as ts, $2::date as d',
    values: ['2024-01-01T00:00:00Z', '2024-02-29'],
  },
  { text: 'select $1::numeric * 2 as n', values: ['123456789012345678901234567890.5'] },
  { text: 'select length($1::text) as n, md5($1::text) as h', values: ['y'.repeat(2_000_000)] },
  { text: 'select $1::int', values: ['abc'] },
  { text: 'select * from parity_types where id = $1', values: [1] },
  { text: 'select * from parity_types where id = $1', values: [2] },
  { text: 'select * from parity_types order by id', values: [], binary: true },
  {
    text: 'select $1::int8 as big, $2::float8 as f',
    values: ['9223372036854775807', 'NaN'],
    binary: true,
  },
  { name: 'parity_doubled', text: 'select $1::int * 2 as doubled', values: [21] },
  { name: 'parity_doubled', text: 'select $1::int * 2 as doubled', values: [50] },
  { name: 'parity_bad', text: 'select * fromm x', values: [] },
  { text: RESET_SQL },
  { text: 'insert into parity_write (note) values ($1), ($2) returning *', values: ['p1', null] },
  { text: 'update parity_write set note = $1 where id > $2', values: ['upd', 0] },
  { text: 'insert into parity_uniq values ($1, $2, $3)', values: [1, 'x@example.com', 1] },
  { text: 'insert into parity_uniq values ($1, $2, $3)', values: [1, 'x@example.com', 1] },
  { text: 'delete from parity_write where id = $1', values: [1] },
  { text: 'select 1 / $1::int', values: [0] },
  { text: 'select $1::text as after_errors', values: ['ok'] },
];

/** A transaction with a savepoint, an error, and rollback (each statement its own query). */
export const TRANSACTION_QUERIES: string[] = [
  RESET_SQL,
  'begin',
  `insert into parity_write (note) values ('a') returning id, note`,
  'savepoint s1',
  `insert into parity_write (note) values ('b')`,
  'rollback to savepoint s1',
  'select id, note from parity_write order by id',
  'select 1 / 0',
  'select 1',
  'rollback',
  'select count(*) from parity_write',
  'begin isolation level serializable',
  'show transaction_isolation',
  `insert into parity_write (note) values ('kept')`,
  'commit',
  'select id, note from parity_write order by id',
  'commit',
];
