import type { Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.js';
import type { AuditEventsTable, Database } from '../../store/database.js';
import type { PurgeData } from '../record/audit-event.js';
import { recordHash } from '../record/chain-hash.js';
import { CHAIN_ID } from '../write/chain-append.js';

/** What is wrong with the first broken record. */
export type ChainProblem = 'edited' | 'missing' | 'out_of_order' | 'inserted';

export interface ChainBreak {
  /** Position of the first broken (or first missing) record. */
  seq: number;
  chain: string;
  problem: ChainProblem;
  /** What was found, in words. */
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Records checked and found intact (before the break, when there is one). */
  records: number;
  chains: number;
  /** The chain's head as recorded: write it down elsewhere to anchor later verifications. */
  head: { seq: number; hash: string };
  /** Where the chain now begins after recorded purges (seq 0 when nothing was purged). */
  base: { seq: number; hash: string };
  broken?: ChainBreak;
}

export interface VerifyOptions {
  /** Records read per query (default 2000); memory stays bounded whatever the chain length. */
  pageSize?: number;
  /**
   * A head noted earlier (`head` of a past report, kept outside the store): the record at that
   * position must still carry that hash. Catches a chain rewritten and re-hashed up to its head,
   * which the chain alone cannot show.
   */
  anchor?: { seq: number; hash: string };
}

/**
 * Walks the chain from its base to its head, recomputing every hash (docs/audit.md):
 * an edited record fails its own hash; a deleted one leaves a gap in `seq` and a link to
 * nothing; a moved one links to a record that comes later; a truncated tail falls short of the
 * head row; a record outside base..head was inserted. Deleting from the start is accepted only
 * where a purge record covers it. Reports the first break.
 */
export async function verifyChain(
  db: Kysely<Database>,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const { pageSize = 2000, anchor } = options;
  const chain = await db
    .selectFrom('audit_chain')
    .selectAll()
    .where('id', '=', CHAIN_ID)
    .executeTakeFirst();
  const head = { seq: Number(chain?.head_seq ?? 0), hash: chain?.head_hash ?? '' };
  const base = { seq: Number(chain?.base_seq ?? 0), hash: chain?.base_hash ?? '' };
  const report = (records: number, broken?: Omit<ChainBreak, 'chain'>): VerifyReport => ({
    ok: broken === undefined,
    records,
    chains: 1,
    head,
    base,
    ...(broken && { broken: { ...broken, chain: CHAIN_ID } }),
  });
  if (!chain) {
    return report(0, { seq: 0, problem: 'missing', detail: 'the chain head row is missing' });
  }

  let expectedSeq = base.seq + 1;
  let expectedPrev = base.hash;
  let records = 0;
  let purgeCoversBase = base.seq === 0;
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      const seq = Number(row.seq);
      const verdict = checkRow(row, seq, expectedSeq, expectedPrev, head.seq);
      if (verdict === 'link')
        return report(records, await brokenLink(db, row, seq, expectedSeq, base.seq));
      if (verdict) return report(records, verdict);
      if (anchor && seq === anchor.seq && row.hash !== anchor.hash) {
        return report(records, {
          seq,
          problem: 'edited',
          detail: `record ${seq} no longer has the anchored hash ${anchor.hash}`,
        });
      }
      if (row.kind === 'purge') purgeCoversBase ||= coversBase(row.data, base);
      expectedSeq = seq + 1;
      expectedPrev = row.hash;
      records++;
    }
    if (rows.length < pageSize) break;
    after = Number(rows[rows.length - 1]!.seq);
  }
  if (expectedSeq <= head.seq || expectedPrev !== head.hash) {
    const count = head.seq - expectedSeq + 1;
    return report(records, {
      seq: expectedSeq,
      problem: 'missing',
      detail:
        count > 0
          ? `the last ${count} record(s) are missing: the chain head is record ${head.seq}`
          : `the chain head (record ${head.seq}) does not match the last record`,
    });
  }
  if (anchor && anchor.seq > head.seq) {
    return report(records, {
      seq: head.seq + 1,
      problem: 'missing',
      detail: `the chain ends at record ${head.seq}, before the anchored record ${anchor.seq}`,
    });
  }
  if (!purgeCoversBase) {
    return report(records, {
      seq: 1,
      problem: 'missing',
      detail: `records 1..${base.seq} were removed without a purge record that covers them`,
    });
  }
  return report(records);
}

/** The row's own verdict; `link` when it is intact but does not follow the previous record. */
function checkRow(
  row: Selectable<AuditEventsTable>,
  seq: number,
  expectedSeq: number,
  expectedPrev: string,
  headSeq: number,
): Omit<ChainBreak, 'chain'> | 'link' | undefined {
  if (seq < expectedSeq) {
    return { seq, problem: 'inserted', detail: `record ${seq} lies before the chain's base` };
  }
  const fields = {
    recordedAt: Number(row.recorded_at),
    kind: row.kind,
    sessionId: row.session_id,
    commandSeq: row.command_seq === null ? null : Number(row.command_seq),
    at: Number(row.at),
    connector: row.connector,
    subject: row.subject,
    decision: row.decision,
    data: row.data,
  };
  if (recordHash(row.prev_hash, fields) !== row.hash) {
    return { seq, problem: 'edited', detail: `record ${seq} does not match its hash` };
  }
  if (row.prev_hash !== expectedPrev) return 'link';
  if (seq > headSeq) {
    return { seq, problem: 'inserted', detail: `record ${seq} lies beyond the chain head` };
  }
  if (seq !== expectedSeq) {
    return { seq, problem: 'edited', detail: `record ${seq} was renumbered` };
  }
  return undefined;
}

/** Names why an intact record does not link to the one before it. */
async function brokenLink(
  db: Kysely<Database>,
  row: Selectable<AuditEventsTable>,
  seq: number,
  expected: number,
  baseSeq: number,
): Promise<Omit<ChainBreak, 'chain'>> {
  const previous = await db
    .selectFrom('audit_events')
    .select('seq')
    .where('hash', '=', row.prev_hash)
    .executeTakeFirst();
  const previousSeq = previous === undefined ? undefined : Number(previous.seq);
  if (previousSeq !== undefined && previousSeq > seq) {
    return {
      seq,
      problem: 'out_of_order',
      detail: `record ${seq} belongs after record ${previousSeq}`,
    };
  }
  if (seq > expected) {
    const last = seq - 1;
    return {
      seq: expected,
      problem: 'missing',
      detail:
        last > expected
          ? `records ${expected}..${last} are missing`
          : `record ${expected} is missing`,
    };
  }
  if (seq - 1 <= baseSeq) {
    return { seq, problem: 'edited', detail: `record ${seq} does not link to the chain's start` };
  }
  return {
    seq: seq - 1,
    problem: 'edited',
    detail: `record ${seq} does not link to record ${seq - 1}: record ${seq - 1} was changed or replaced`,
  };
}

function coversBase(data: string, base: { seq: number; hash: string }): boolean {
  try {
    const purge = JSON.parse(data) as PurgeData;
    return purge.toSeq === base.seq && purge.lastHash === base.hash;
  } catch {
    return false;
  }
}

/** An anchor as `verify` prints the head: `SEQ:HASH`. Throws `invalid_request` otherwise. */
export function parseAnchor(text: string): { seq: number; hash: string } {
  const match = /^(\d+):([0-9a-f]{64})$/i.exec(text.trim());
  if (!match) {
    throw new GatehouseError(
      'invalid_request',
      'an anchor is SEQ:HASH (as verify prints the head)',
    );
  }
  return { seq: Number(match[1]), hash: match[2]!.toLowerCase() };
}
