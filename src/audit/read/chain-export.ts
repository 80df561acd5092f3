import type { Kysely, Selectable } from 'kysely';
import type { AuditEventsTable, Database } from '../../store/database.js';
import { recordSummary } from './record-summary.js';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportOptions {
  format: ExportFormat;
  /** Records appended at or after (epoch ms). */
  since?: number;
  /** Records appended before (epoch ms). */
  until?: number;
  /** Records read per query (default 1000). */
  pageSize?: number;
}

export const EXPORT_CONTENT_TYPE: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

const CSV_HEADER = [
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
];

/**
 * The chain's records in order, as text chunks (one page each) to stream: memory stays bounded
 * whatever the range. The range is looked up before this resolves, so a store that cannot be
 * read fails here, before anything was sent. JSON Lines carry every hashed field exactly as
 * stored (`data` is the stored canonical JSON, spliced in), so each line can be re-hashed
 * independently (docs/audit.md). CSV adds a readable `summary` and ISO times for people.
 */
export async function exportRecords(
  db: Kysely<Database>,
  options: ExportOptions,
): Promise<AsyncIterable<string>> {
  const bounds = await seqBounds(db, options);
  return pages(db, options, bounds);
}

async function* pages(
  db: Kysely<Database>,
  options: ExportOptions,
  bounds: { from: number; to: number } | undefined,
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? 1000;
  if (options.format === 'csv') yield `${CSV_HEADER.join(',')}\r\n`;
  if (!bounds) return;
  let after = bounds.from - 1;
  for (;;) {
    let query = db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', after)
      .where('seq', '<=', bounds.to);
    if (options.since !== undefined) query = query.where('recorded_at', '>=', options.since);
    if (options.until !== undefined) query = query.where('recorded_at', '<', options.until);
    const rows = await query.orderBy('seq').limit(pageSize).execute();
    if (rows.length > 0) {
      const encode = options.format === 'csv' ? csvLine : jsonLine;
      yield rows.map(encode).join('');
    }
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/** The seq range that can hold records appended in [since, until); undefined when none can. */
async function seqBounds(
  db: Kysely<Database>,
  { since, until }: ExportOptions,
): Promise<{ from: number; to: number } | undefined> {
  let query = db
    .selectFrom('audit_events')
    .select((eb) => [eb.fn.min('seq').as('from'), eb.fn.max('seq').as('to')]);
  if (since !== undefined) query = query.where('recorded_at', '>=', since);
  if (until !== undefined) query = query.where('recorded_at', '<', until);
  const row = await query.executeTakeFirst();
  if (row?.from === null || row?.from === undefined) return undefined;
  return { from: Number(row.from), to: Number(row.to) };
}

function jsonLine(row: Selectable<AuditEventsTable>): string {
  return (
    `{"seq":${Number(row.seq)},"recordedAt":${Number(row.recorded_at)},"kind":${json(row.kind)}` +
    `,"sessionId":${json(row.session_id)},"commandSeq":${row.command_seq === null ? 'null' : Number(row.command_seq)}` +
    `,"at":${Number(row.at)},"connector":${json(row.connector)},"subject":${json(row.subject)}` +
    `,"decision":${json(row.decision)},"data":${row.data}` +
    `,"prevHash":${json(row.prev_hash)},"hash":${json(row.hash)}}\n`
  );
}

function csvLine(row: Selectable<AuditEventsTable>): string {
  const fields = [
    String(Number(row.seq)),
    new Date(Number(row.recorded_at)).toISOString(),
    row.kind,
    cell(row.session_id),
    row.command_seq === null ? '' : String(Number(row.command_seq)),
    new Date(Number(row.at)).toISOString(),
    cell(row.connector),
    cell(row.subject),
    cell(row.decision),
    cell(recordSummary(row.kind, row.data)),
    row.data,
    row.prev_hash,
    row.hash,
  ];
  return `${fields.map(quote).join(',')}\r\n`;
}

const json = (value: string | null) => (value === null ? 'null' : JSON.stringify(value));

/**
 * A text cell that a spreadsheet will not run: values starting with = + - @ or a control
 * character get a leading apostrophe (OWASP's CSV-injection advice). `data` is left exact (it
 * always starts with `{`), so the record can still be checked against its hash.
 */
function cell(value: string | null): string {
  if (value === null) return '';
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** RFC 4180 quoting. */
function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}
