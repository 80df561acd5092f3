import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExportOptions, exportRecords } from '../../src/audit/read/chain-export.js';
import { verifyChain } from '../../src/audit/read/chain-verify.js';
import { StoreAuditSink } from '../../src/audit/record/store-audit-sink.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends, type StoreDatabase } from '../store/backends.js';
import { commandRecord, sessionRecord } from '../store/fixtures.js';

/** RFC 8785 for plain JSON values, written here independently of the code under test. */
function jcs(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${jcs(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** RFC 4180 rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (quoted) {
      field += c;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  return rows;
}

const clock = { t: 0, now: () => clock.t };

for (const backend of backends) {
  describe.skipIf(backend.unavailable !== undefined)(`export on ${backend.name}`, () => {
    let database: StoreDatabase;
    let store: Store;
    const collect = async (options: ExportOptions) => {
      let text = '';
      for await (const chunk of await exportRecords(store.db, { pageSize: 3, ...options }))
        text += chunk;
      return text;
    };

    beforeAll(async () => {
      database = await backend.create();
      store = await openStore(database.url);
      for (const [at, subject] of [
        [1_000, 'alice'],
        [2_000, '=1+1'],
        [3_000, 'carol'],
      ] as const) {
        clock.t = at;
        const sink = new StoreAuditSink(store, { clock });
        const session = sessionRecord({
          startedAt: at,
          identity: { ...sessionRecord().identity, subject },
        });
        await sink.sessionStarted(session);
        await sink.commandDecided(
          commandRecord(session.id, 1, {
            command: { text: 'select "a,b"\n-- ü \u0000', classes: ['read'] },
          }),
        );
        sink.commandCompleted(session.id, 1, {
          tag: 'SELECT 1',
          rows: 1,
          durationMs: 2,
          result: { columns: ['a,b'], rows: [['x"y']], truncated: false },
        });
        await sink.sessionEnded(session.id, 'done', at + 1);
        await sink.close();
      }
    });
    afterAll(async () => {
      await store?.close();
      await database?.drop();
    });

    it('writes JSON Lines that anyone can re-hash into the same chain', async () => {
      const lines = (await collect({ format: 'jsonl' })).trimEnd().split('\n');
      expect(lines).toHaveLength(12);
      let prev = '0'.repeat(64);
      for (const [index, line] of lines.entries()) {
        const { seq, prevHash, hash, ...record } = JSON.parse(line);
        expect(seq).toBe(index + 1);
        expect(prevHash).toBe(prev);
        const recomputed = createHash('sha256')
          .update(`${prevHash}\n${jcs(record)}`)
          .digest('hex');
        expect(recomputed, `record ${seq}`).toBe(hash);
        prev = hash;
      }
      expect(prev).toBe((await verifyChain(store.db)).head.hash);
      const command = JSON.parse(lines[1]!);
      expect(command).toMatchObject({
        kind: 'command',
        commandSeq: 1,
        connector: 'pg-prod',
        subject: 'alice',
        decision: 'allow',
        data: { text: 'select "a,b"\n-- ü \u0000' },
      });
    });

    it('limits the range by recording time', async () => {
      const seqs = async (options: Omit<ExportOptions, 'format'>) =>
        (await collect({ format: 'jsonl', ...options }))
          .trimEnd()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line).seq);
      expect(await seqs({ since: 2_000 })).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
      expect(await seqs({ since: 2_000, until: 3_000 })).toEqual([5, 6, 7, 8]);
      expect(await seqs({ until: 1_000 })).toEqual([]);
      expect(await collect({ format: 'csv', since: 9_000 })).toBe(
        'seq,recorded_at,kind,session_id,command_seq,at,connector,subject,decision,summary,data,prev_hash,hash\r\n',
      );
    });

    it('writes CSV a spreadsheet reads safely, with the exact data for checking', async () => {
      const [header, ...rows] = parseCsv(await collect({ format: 'csv' }));
      expect(header).toEqual([
        'seq',
        'recorded_at',
        'kind',
        'session_id',
        'command_seq',
        'at',
        'connector',
        'subject',
        'decision',
        'summary',
        'data',
        'prev_hash',
        'hash',
      ]);
      expect(rows).toHaveLength(12);
      const jsonl = (await collect({ format: 'jsonl' }))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      rows.forEach((row, i) => {
        expect(JSON.parse(row[10]!)).toEqual(jsonl[i].data);
        expect(row[12]).toBe(jsonl[i].hash);
      });
      expect(rows[1]).toMatchObject({
        1: new Date(1_000).toISOString(),
        2: 'command',
        4: '1',
        9: 'allow: select "a,b"\n-- ü \u0000',
      });
      expect(rows[2]![9]).toBe('SELECT 1 (2 ms)');
      expect(rows[4]![7]).toBe("'=1+1"); // a formula would not run
    });
  });
}
