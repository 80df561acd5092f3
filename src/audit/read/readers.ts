import type { Config } from '../../config/schema.js';
import { GatehouseError } from '../../core/errors.js';
import type { Identity } from '../../core/identity.js';

/**
 * Groups whose members may read the audit record (sessions, replay, export, verify):
 * `audit.readers` when set, else every approver group the config names (`reviews.approvers`
 * and each review rule's `approvers`) — the people already trusted to judge commands.
 * An empty list means nobody: reading fails closed.
 */
export function auditReaders(config: Pick<Config, 'audit' | 'reviews' | 'connectors'>): string[] {
  if (config.audit.readers) return [...new Set(config.audit.readers)];
  const groups = new Set(config.reviews.approvers);
  for (const connector of config.connectors) {
    for (const rule of connector.rules)
      for (const group of rule.review?.approvers ?? []) groups.add(group);
  }
  return [...groups];
}

/** Throws `access_denied` unless `identity` is in one of the reader groups. */
export function assertAuditReader(identity: Identity, readers: ReadonlyArray<string>): void {
  if (identity.groups.some((group) => readers.includes(group))) return;
  throw new GatehouseError(
    'access_denied',
    'reading the audit record needs an audit reader group',
    {
      hint:
        readers.length === 0
          ? 'no reader groups are configured: set audit.readers'
          : `audit readers are the groups: ${readers.join(', ')}`,
    },
  );
}
