import { describe, expect, it } from 'vitest';
import { compileMasking } from '../../../masking/index.js';
import { BackendCode } from '../protocol/message-codes.js';
import { maskingTransform } from './transform.js';

function framed(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

interface Field {
  name: string;
  tableOid: number;
  attnum: number;
  typeOid: number;
  format?: number;
}

function rowDescription(fields: Field[]): Buffer {
  const parts = [Buffer.from([0, fields.length])];
  for (const f of fields) {
    const meta = Buffer.alloc(18);
    meta.writeUInt32BE(f.tableOid, 0);
    meta.writeInt16BE(f.attnum, 4);
    meta.writeUInt32BE(f.typeOid, 6);
    meta.writeInt16BE(4, 10);
    meta.writeInt32BE(-1, 12);
    meta.writeInt16BE(f.format ?? 0, 16);
    parts.push(Buffer.from(`${f.name}\0`), meta);
  }
  return framed(BackendCode.RowDescription, Buffer.concat(parts));
}

function dataRow(cells: Array<Buffer | string | null>): Buffer {
  const parts: Buffer[] = [Buffer.from([0, cells.length])];
  for (const cell of cells) {
    const len = Buffer.alloc(4);
    if (cell === null) {
      len.writeInt32BE(-1);
      parts.push(len);
      continue;
    }
    const value = typeof cell === 'string' ? Buffer.from(cell) : cell;
    len.writeInt32BE(value.length);
    parts.push(len, value);
  }
  return framed(BackendCode.DataRow, Buffer.concat(parts));
}

function cellsOf(frame: Buffer): Array<string | null> {
  const out: Array<string | null> = [];
  let at = 7;
  for (let i = 0; i < frame.readInt16BE(5); i++) {
    const len = frame.readInt32BE(at);
    at += 4;
    if (len < 0) {
      out.push(null);
      continue;
    }
    out.push(frame.toString('utf8', at, at + len));
    at += len;
  }
  return out;
}

const USERS = 16400;
const lookup = (oid: number, attnum: number) =>
  oid === USERS
    ? { table: 'public.users', column: ['id', 'email', 'age'][attnum - 1]! }
    : undefined;

const plan = compileMasking([
  { columns: ['users.email'], strategy: 'redact' },
  { columns: ['users.age'], strategy: 'null' },
  { detectors: ['email'], strategy: 'redact' },
] as never);
const masker = plan.forIdentity([]).plan;

describe('maskingTransform', () => {
  it('declares masked columns text and masks their cells, detectors elsewhere', () => {
    const t = maskingTransform(masker, lookup);
    const desc = t(
      BackendCode.RowDescription,
      rowDescription([
        { name: 'id', tableOid: USERS, attnum: 1, typeOid: 23 },
        { name: 'x', tableOid: USERS, attnum: 2, typeOid: 1043 },
        { name: 'age', tableOid: USERS, attnum: 3, typeOid: 23 },
        { name: 'note', tableOid: 0, attnum: 0, typeOid: 25 },
      ]),
    )!;
    // The email field (second) now says text, typlen -1, typmod -1.
    const second = desc.indexOf('x\0') + 2;
    expect(desc.readUInt32BE(second + 6)).toBe(25);
    expect(desc.readInt16BE(second + 10)).toBe(-1);
    const row = t(
      BackendCode.DataRow,
      dataRow(['1', 'ann@example.com', '41', 'mail ann@example.com']),
    )!;
    expect(cellsOf(row)).toEqual(['1', '[redacted]', null, 'mail [redacted:email]']);
  });

  it('passes a clean row through as the same buffer', () => {
    const t = maskingTransform(masker, lookup);
    t(
      BackendCode.RowDescription,
      rowDescription([{ name: 'id', tableOid: USERS, attnum: 1, typeOid: 23 }]),
    );
    const row = dataRow(['1']);
    expect(t(BackendCode.DataRow, row)).toBe(row);
  });

  it('masks binary text cells, keeps jsonb version bytes, and replaces other binary cells', () => {
    const t = maskingTransform(masker, lookup);
    t(
      BackendCode.RowDescription,
      rowDescription([
        { name: 'email', tableOid: USERS, attnum: 2, typeOid: 25, format: 1 },
        { name: 'doc', tableOid: 0, attnum: 0, typeOid: 3802, format: 1 },
        { name: 'id', tableOid: USERS, attnum: 1, typeOid: 23, format: 1 },
      ]),
    );
    const jsonb = Buffer.concat([Buffer.from([1]), Buffer.from('{"e": "ann@example.com"}')]);
    const int = Buffer.from([0, 0, 0, 7]);
    const row = t(BackendCode.DataRow, dataRow([Buffer.from('ann@example.com'), jsonb, int]))!;
    const cells = cellsOf(row);
    expect(cells[0]).toBe('[redacted]');
    expect(cells[1]).toBe('\u0001{"e": "[redacted:email]"}');
    expect(cells[2]).toBe('\u0000\u0000\u0000\u0007');
  });

  it('fails closed on a table the catalog does not know and asks for a reload', () => {
    let asked = 0;
    const t = maskingTransform(masker, lookup, () => asked++);
    t(
      BackendCode.RowDescription,
      rowDescription([{ name: 'id', tableOid: 99999, attnum: 1, typeOid: 23 }]),
    );
    expect(cellsOf(t(BackendCode.DataRow, dataRow(['7']))!)).toEqual(['[redacted]']);
    expect(asked).toBe(1);
  });

  it('redacts every COPY field while column rules apply; detectors only otherwise', () => {
    const t = maskingTransform(masker, lookup);
    const line = framed(BackendCode.CopyData, Buffer.from('1\tann@example.com\t\\N\n'));
    expect(t(BackendCode.CopyData, line)!.toString('utf8', 5)).toBe(
      '[redacted]\t[redacted]\t\\N\n',
    );
    const detectorsOnly = compileMasking([
      { detectors: ['email'], strategy: 'redact' },
    ] as never).forIdentity([]).plan;
    const d = maskingTransform(detectorsOnly, lookup);
    expect(d(BackendCode.CopyData, line)!.toString('utf8', 5)).toBe('1\t[redacted:email]\t\\N\n');
  });

  it('masks error fields, the detail with the column rule of the named key', () => {
    const t = maskingTransform(masker, lookup);
    const fields = [
      ['S', 'ERROR'],
      ['C', '23505'],
      ['M', 'duplicate key value violates unique constraint "users_email_key"'],
      ['D', 'Key (email)=(ann@example.com) already exists.'],
      ['H', 'write to ann@example.com'],
      ['s', 'public'],
      ['t', 'users'],
    ];
    const body = Buffer.concat([
      ...fields.map(([code, value]) => Buffer.from(`${code}${value}\0`)),
      Buffer.from([0]),
    ]);
    const frame = t(BackendCode.ErrorResponse, framed(BackendCode.ErrorResponse, body))!;
    expect(frame.readInt32BE(1)).toBe(frame.length - 1);
    const out = frame.toString('utf8');
    expect(out).toContain('DKey (email)=([redacted]) already exists.\0');
    expect(out).toContain('Hwrite to [redacted:email]\0');
    expect(out).not.toContain('ann@');
  });

  it('fails closed on rows that no RowDescription of theirs describes', () => {
    const t = maskingTransform(masker, lookup);
    const idOnly = rowDescription([{ name: 'id', tableOid: USERS, attnum: 1, typeOid: 23 }]);
    t(BackendCode.RowDescription, idOnly);
    expect(cellsOf(t(BackendCode.DataRow, dataRow(['1']))!)).toEqual(['1']);
    // A result ended; the next rows (Bind/Execute without Describe) have no description.
    t(BackendCode.CommandComplete, framed(BackendCode.CommandComplete, Buffer.from('SELECT 1\0')));
    expect(cellsOf(t(BackendCode.DataRow, dataRow(['ann@example.com']))!)).toEqual(['[redacted]']);
    // A statement's description (after ParameterDescription) is not taken for later rows.
    t(
      BackendCode.ParameterDescription,
      framed(BackendCode.ParameterDescription, Buffer.from([0, 0])),
    );
    t(BackendCode.RowDescription, idOnly);
    expect(cellsOf(t(BackendCode.DataRow, dataRow(['1']))!)).toEqual(['[redacted]']);
    // A portal suspended by a row limit resumes with its description, however often.
    t(BackendCode.RowDescription, idOnly);
    t(BackendCode.PortalSuspended, framed(BackendCode.PortalSuspended, Buffer.alloc(0)));
    expect(cellsOf(t(BackendCode.DataRow, dataRow(['1']))!)).toEqual(['1']);
    t(BackendCode.PortalSuspended, framed(BackendCode.PortalSuspended, Buffer.alloc(0)));
    expect(cellsOf(t(BackendCode.DataRow, dataRow(['2']))!)).toEqual(['2']);
    // A portal described as having no rows leaves no description behind.
    t(BackendCode.NoData, framed(BackendCode.NoData, Buffer.alloc(0)));
    expect(cellsOf(t(BackendCode.DataRow, dataRow(['3']))!)).toEqual(['[redacted]']);
  });
});
