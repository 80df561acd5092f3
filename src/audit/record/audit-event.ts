import type { CommandRecord, SessionRecord } from '../../core/audit-sink.js';
import type { CapturedResult, CaptureLimits, Command, CommandOutcome } from '../../core/command.js';
import { canonicalJson, storableText } from './canonical-json.js';
import type { ChainedFields } from './chain-hash.js';
import { capResult } from './result-capture.js';

/** Every kind of fact the audit chain holds. */
export type AuditEventKind =
  | 'session_start'
  | 'command'
  | 'outcome'
  | 'session_end'
  | 'purge'
  | 'policy_version';

/** A record ready to be appended: everything but its position, commit time and hashes. */
export type NewAuditEvent = Omit<ChainedFields, 'recordedAt'>;

/** `data` of a session_start record. */
export interface SessionStartData {
  protocol: string;
  identity: {
    issuer: string;
    issuerName: string;
    subject: string;
    name?: string;
    groups: string[];
    agent: boolean;
    tenant?: string;
  };
  client: { address: string; port?: number; tls: boolean };
  target?: Record<string, string>;
}

/** `data` of a command record: what was asked, what policy said, what went to the target. */
export interface CommandData {
  text: string;
  params?: Array<string | null>;
  classes: string[];
  /** Protocol facts the connector's rule conditions test (`Command.attributes`). */
  attributes?: Record<string, string | boolean>;
  unclassifiable?: boolean;
  target?: Record<string, string>;
  decision: { action: string; rule?: string; reason: string };
  ticketId?: string;
  executedText?: string;
}

/** `data` of an outcome record. */
export interface OutcomeData {
  tag?: string;
  rows?: number;
  error?: { code?: string; message: string };
  durationMs: number;
  result?: CapturedResult;
}

/** `data` of a session_end record. */
export interface SessionEndData {
  reason: string;
}

/** `data` of a purge record: records `fromSeq..toSeq` were deleted; `lastHash` was toSeq's hash. */
export interface PurgeData {
  fromSeq: number;
  toSeq: number;
  lastHash: string;
  /** The retention cutoff (epoch ms): every deleted record was recorded before it. */
  before: number;
}

/**
 * `data` of a policy_version record: a central policy version (docs/policy.md, "Central policy"),
 * chained with the one before it by digest, with the whole document.
 */
export interface PolicyVersionData {
  version: number;
  /** sha256 (hex) of `document`. */
  digest: string;
  /** The digest of the version before (absent for version 1). */
  previousDigest?: string;
  author: { issuer: string; subject: string; name?: string };
  reason?: string;
  /** The review ticket that approved the change, when the change needed review. */
  ticketId?: string;
  /** The version whose document this one restores (`policy rollback`). */
  rollbackOf?: number;
  document: string;
}

/** Connector and subject of a session, repeated on its later records so they filter alike. */
export interface SessionKeys {
  connector: string;
  subject: string;
}

export function sessionStartEvent(record: SessionRecord): NewAuditEvent {
  const { identity, client } = record;
  // Members in sorted order (as in every literal below), so canonicalJson can take its fast path.
  const data: SessionStartData = {
    client: { address: client.address, port: int(client.port), tls: client.tls },
    identity: {
      agent: identity.agent,
      groups: [...identity.groups],
      issuer: identity.issuer,
      issuerName: identity.issuerName,
      name: identity.name,
      subject: identity.subject,
      tenant: identity.tenant,
    },
    protocol: record.protocol,
    target: record.target,
  };
  return event('session_start', record.id, null, record.startedAt, data, {
    connector: record.connector,
    subject: identity.subject,
  });
}

export function commandEvent(record: CommandRecord, keys?: SessionKeys): NewAuditEvent {
  const { command, decision } = record;
  const data: CommandData = {
    attributes: attributesOf(command.attributes),
    classes: [...command.classes],
    decision: { action: decision.action, reason: decision.reason, rule: decision.rule },
    executedText: record.executedText,
    params: command.params ? [...command.params] : undefined,
    target: command.target ? { ...command.target } : undefined,
    text: command.text,
    ticketId: record.ticketId,
    unclassifiable: command.unclassifiable || undefined,
  };
  return event('command', record.sessionId, record.seq, record.at, data, keys, decision.action);
}

/** A command's attributes in sorted key order (canonicalJson's fast path), or undefined when empty. */
function attributesOf(
  attributes: Command['attributes'],
): Record<string, string | boolean> | undefined {
  if (!attributes) return undefined;
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((key) => [key, attributes[key]!]));
}

/**
 * How records written before `attributes` existed read: a connector module names each top-level
 * flag it used to record and the attributes a `true` flag stands for (`ConnectorModule.
 * legacyAttributes`); the registry hands them over at start (`readLegacyAttributes`).
 */
const legacyFlags = new Map<string, Readonly<Record<string, string | boolean>>>();

export function readLegacyAttributes(
  flags: Readonly<Record<string, Readonly<Record<string, string | boolean>>>>,
): void {
  for (const [flag, attributes] of Object.entries(flags)) legacyFlags.set(flag, attributes);
}

/** A stored command record's attributes, also for records written before `attributes` existed. */
export function storedAttributes(
  data: Pick<CommandData, 'attributes'>,
): Record<string, string | boolean> | undefined {
  if (data.attributes) return data.attributes;
  const stored = data as Readonly<Record<string, unknown>>;
  let attributes: Record<string, string | boolean> | undefined;
  for (const [flag, meaning] of legacyFlags) {
    if (stored[flag] === true) attributes = { ...attributes, ...meaning };
  }
  return attributes;
}

export function outcomeEvent(
  sessionId: string,
  seq: number,
  outcome: CommandOutcome,
  completedAt: number,
  capture: CaptureLimits,
  keys?: SessionKeys,
): NewAuditEvent {
  const data: OutcomeData = {
    durationMs: int(outcome.durationMs) ?? 0,
    error: outcome.error && { code: outcome.error.code, message: outcome.error.message },
    result: capResult(outcome.result, capture),
    rows: int(outcome.rows),
    tag: outcome.tag,
  };
  return event('outcome', sessionId, seq, completedAt, data, keys);
}

export function sessionEndEvent(
  sessionId: string,
  reason: string,
  endedAt: number,
  keys?: SessionKeys,
): NewAuditEvent {
  const data: SessionEndData = { reason };
  return event('session_end', sessionId, null, endedAt, data, keys);
}

export function purgeEvent(data: PurgeData, at: number): NewAuditEvent {
  return event('purge', null, null, at, data);
}

export function policyVersionEvent(data: PolicyVersionData, at: number): NewAuditEvent {
  const ordered: PolicyVersionData = {
    author: { issuer: data.author.issuer, name: data.author.name, subject: data.author.subject },
    digest: data.digest,
    document: data.document,
    previousDigest: data.previousDigest,
    reason: data.reason,
    rollbackOf: data.rollbackOf,
    ticketId: data.ticketId,
    version: data.version,
  };
  return event('policy_version', null, null, at, ordered, {
    connector: 'policy',
    subject: data.author.subject,
  });
}

function event(
  kind: AuditEventKind,
  sessionId: string | null,
  commandSeq: number | null,
  at: number,
  data: object,
  keys?: SessionKeys,
  decision?: string,
): NewAuditEvent {
  return {
    kind,
    sessionId: sessionId === null ? null : storableText(sessionId),
    commandSeq,
    at: int(at) ?? 0,
    connector: keys ? storableText(keys.connector) : null,
    subject: keys ? storableText(keys.subject) : null,
    decision: decision ?? null,
    data: canonicalJson(data),
  };
}

/** A safe integer (rounded), or undefined for anything that is not a finite number. */
function int(value: number | undefined): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const rounded = Math.round(value);
  return Number.isSafeInteger(rounded) ? rounded : undefined;
}
