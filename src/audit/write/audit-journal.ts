import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { NewAuditEvent } from '../record/audit-event.js';

/** One journalled record: the event and the `recorded_at` it is chained with. */
export interface JournalEntry {
  recordedAt: number;
  event: NewAuditEvent;
}

/** A segment's records read back from disk (recovery, `audit verify`). */
export interface JournalSegment {
  number: number;
  entries: JournalEntry[];
  /** A line that is incomplete or fails its check ended the read: it was never acknowledged. */
  torn: boolean;
}

export interface AuditJournalOptions {
  /** A segment past this size is closed and the next write starts a new one (default 4 MiB). */
  maxSegmentBytes?: number;
}

/** Where the journal of the SQLite store at `dbPath` lives. */
export function journalDir(dbPath: string): string {
  return `${dbPath}.audit-journal`;
}

const SEGMENT_NAME = /^(\d{12})\.journal$/;
const segmentName = (number: number) => `${String(number).padStart(12, '0')}.journal`;

/**
 * One line per record: the CRC-32 (8 hex digits) of the JSON that follows, a space, a JSON
 * array of the record's chained fields, a newline. A line cut short by a crash fails its check.
 */
export function encodeEntry(recordedAt: number, event: NewAuditEvent): string {
  const json = JSON.stringify([
    recordedAt,
    event.kind,
    event.sessionId,
    event.commandSeq,
    event.at,
    event.connector,
    event.subject,
    event.decision,
    event.data,
  ]);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** The entry a line holds, or undefined when it is torn or not a journal line. */
export function decodeEntry(line: string): JournalEntry | undefined {
  if (line.length < 10 || line[8] !== ' ' || !/^[0-9a-f]{8}$/.test(line.slice(0, 8))) {
    return undefined;
  }
  const json = line.slice(9);
  if (Number.parseInt(line.slice(0, 8), 16) !== crc32(json)) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== 9) return undefined;
  const [recordedAt, kind, sessionId, commandSeq, at, connector, subject, decision, data] =
    fields as unknown[];
  const textOrNull = (value: unknown) => value === null || typeof value === 'string';
  if (
    typeof recordedAt !== 'number' ||
    typeof kind !== 'string' ||
    typeof at !== 'number' ||
    typeof data !== 'string' ||
    !(commandSeq === null || typeof commandSeq === 'number') ||
    !textOrNull(sessionId) ||
    !textOrNull(connector) ||
    !textOrNull(subject) ||
    !textOrNull(decision)
  ) {
    return undefined;
  }
  return {
    recordedAt,
    event: {
      kind,
      sessionId: sessionId as string | null,
      commandSeq: commandSeq as number | null,
      at,
      connector: connector as string | null,
      subject: subject as string | null,
      decision: decision as string | null,
      data,
    },
  };
}

/** The segment files in `dir`, oldest first (none when the directory does not exist). */
export function listSegments(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const numbers: number[] = [];
  for (const name of names) {
    const match = SEGMENT_NAME.exec(name);
    if (match) numbers.push(Number(match[1]));
  }
  return numbers.sort((a, b) => a - b);
}

/** Reads a segment's records up to the first torn or invalid line. */
export function readSegment(dir: string, number: number): JournalSegment {
  const lines = readFileSync(join(dir, segmentName(number)), 'utf8').split('\n');
  // The text after the last newline is a line the crash cut short (or nothing).
  let torn = lines.pop() !== '';
  const entries: JournalEntry[] = [];
  for (const line of lines) {
    const entry = decodeEntry(line);
    if (!entry) {
      torn = true;
      break;
    }
    entries.push(entry);
  }
  return { number, entries, torn };
}

/** Every segment's records, oldest first. */
export function readJournal(dir: string): JournalSegment[] {
  return listSegments(dir).map((number) => readSegment(dir, number));
}

interface SegmentCount {
  written: number;
  chained: number;
}

/**
 * The audit journal of a SQLite store (docs/audit.md, "Durability"): numbered segment files in
 * a directory next to the database. `append` writes a batch with one `write(2)` on an O_APPEND
 * descriptor kept open: once it returned, the records survive a process crash. `chained` counts
 * records the hash chain took; a segment is deleted once it is closed and all of it is chained.
 * After a failed write the segment is closed, so a torn line can only end a segment.
 */
export class AuditJournal {
  readonly dir: string;
  readonly #maxSegmentBytes: number;
  readonly #counts = new Map<number, SegmentCount>();
  #fd: number | undefined;
  #current: number;
  #bytes = 0;

  /** Opens the journal in `dir`; the segments already there are returned by `recover`. */
  constructor(dir: string, options: AuditJournalOptions = {}) {
    this.dir = dir;
    this.#maxSegmentBytes = options.maxSegmentBytes ?? 4 * 1024 * 1024;
    mkdirSync(dir, { recursive: true });
    this.#current = (listSegments(dir).at(-1) ?? 0) + 1;
  }

  /**
   * The records left by a gateway that stopped without chaining them, oldest first. Their
   * segments are deleted once `chained` has counted all their records; empty ones at once.
   */
  recover(): JournalSegment[] {
    const segments: JournalSegment[] = [];
    for (const number of listSegments(this.dir)) {
      if (number >= this.#current) continue;
      const segment = readSegment(this.dir, number);
      if (segment.entries.length === 0) this.#delete(number);
      else {
        this.#counts.set(number, { written: segment.entries.length, chained: 0 });
        segments.push(segment);
      }
    }
    return segments;
  }

  /** The segment the next append goes to. */
  get segment(): number {
    return this.#current;
  }

  /** Segment files currently on disk that this journal accounts for. */
  get segments(): number {
    return this.#counts.size;
  }

  /**
   * Appends the records with one write and returns the segment they are in. Throws when the
   * write failed (nothing is acknowledged then; a partial line is caught by its check).
   */
  append(events: ReadonlyArray<NewAuditEvent>, recordedAt: number): number {
    let text = '';
    for (const event of events) text += encodeEntry(recordedAt, event);
    const buffer = Buffer.from(text, 'utf8');
    if (this.#fd === undefined || this.#bytes >= this.#maxSegmentBytes) this.#rotate();
    const fd = this.#fd!;
    try {
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(fd, buffer, offset);
    } catch (err) {
      this.#closeSegment();
      throw err;
    }
    this.#bytes += buffer.length;
    const count = this.#counts.get(this.#current)!;
    count.written += events.length;
    return this.#current;
  }

  /** Counts `records` of `segment` as chained; deletes the segment when it is done. */
  chained(segment: number, records: number): void {
    const count = this.#counts.get(segment);
    if (!count) return;
    count.chained += records;
    if (segment !== this.#current || this.#fd === undefined) this.#deleteIfDone(segment);
  }

  /** Closes the open segment and, when everything is chained, removes the journal. */
  close(): boolean {
    this.#closeSegment();
    for (const number of [...this.#counts.keys()]) this.#deleteIfDone(number);
    if (this.#counts.size > 0) return false;
    try {
      rmdirSync(this.dir);
    } catch {
      // Not empty (files that are not ours) or already gone: nothing of ours is left in it.
    }
    return true;
  }

  /** The open descriptor (tests close it to make writes fail). */
  get fd(): number | undefined {
    return this.#fd;
  }

  #rotate(): void {
    if (this.#fd !== undefined) this.#closeSegment();
    const number = this.#current;
    this.#fd = openSync(join(this.dir, segmentName(number)), 'a');
    this.#bytes = 0;
    if (!this.#counts.has(number)) this.#counts.set(number, { written: 0, chained: 0 });
  }

  /** Closes the open segment (deleting it when fully chained); the next write opens a new one. */
  #closeSegment(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    const number = this.#current;
    this.#current++;
    try {
      closeSync(fd);
    } catch {
      // A descriptor already closed under us: the segment is abandoned all the same.
    }
    this.#deleteIfDone(number);
  }

  #deleteIfDone(number: number): void {
    const count = this.#counts.get(number);
    if (!count || count.chained < count.written) return;
    this.#counts.delete(number);
    this.#delete(number);
  }

  #delete(number: number): void {
    try {
      unlinkSync(join(this.dir, segmentName(number)));
    } catch {
      // Left behind, it is read again at the next start, where chained records are skipped.
    }
  }
}
