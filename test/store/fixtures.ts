import { randomUUID } from 'node:crypto';
import type { CommandRecord, SessionRecord } from '../../src/core/audit-sink.js';

export function sessionRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    connector: 'pg-prod',
    protocol: 'postgres',
    identity: {
      issuer: 'https://login.microsoftonline.com/t/v2.0',
      issuerName: 'entra',
      subject: 'agent-1',
      name: 'Build agent',
      groups: ['agents', 'dba'],
      agent: true,
    },
    client: { address: '127.0.0.1', port: 54321, tls: true },
    target: { database: 'app' },
    startedAt: 1_700_000_000_000,
    ...overrides,
  };
}

export function commandRecord(
  sessionId: string,
  seq: number,
  overrides: Partial<CommandRecord> = {},
): CommandRecord {
  return {
    sessionId,
    seq,
    at: 1_700_000_000_000 + seq,
    command: { text: `select ${seq}`, classes: ['read'] },
    decision: { action: 'allow', reason: 'connector default' },
    executedText: `select ${seq}`,
    ...overrides,
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns true or `timeoutMs` passes. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(10);
  }
  return check();
}
