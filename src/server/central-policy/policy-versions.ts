import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type PolicyVersionData, policyVersionEvent } from '../../audit/record/audit-event.js';
import { appendEvents, lockChainHead } from '../../audit/write/audit-writes.js';
import { CHAIN_ID } from '../../audit/write/chain-append.js';
import type { Database } from '../../store/database.js';
import type { Store } from '../../store/index.js';

/** The `policy_versions` table (migration 0006). */
export interface PolicyVersionsTable {
  version: number;
  created_at: number;
  /** JSON: `{issuer, subject, name?}`. */
  author: string;
  reason: string | null;
  ticket_id: string | null;
  /** The normalised YAML document (src/config/policy-document.ts). */
  document: string;
  /** sha256 (hex) of the document. */
  digest: string;
  /** The audit record that chains this version (kind `policy_version`). */
  audit_seq: number;
}

type Tables = Database & { policy_versions: PolicyVersionsTable };

export interface PolicyAuthor {
  issuer: string;
  subject: string;
  name?: string;
}

/** One stored version of the central policy. */
export interface PolicyVersion {
  version: number;
  createdAt: number;
  author: PolicyAuthor;
  reason?: string;
  ticketId?: string;
  document: string;
  digest: string;
  auditSeq: number;
}

export interface NewPolicyVersion {
  document: string;
  author: PolicyAuthor;
  reason?: string;
  ticketId?: string;
  rollbackOf?: number;
}

export function documentDigest(document: string): string {
  return createHash('sha256').update(document).digest('hex');
}

/**
 * Versions in the shared store. Appending takes the audit chain's head lock first, so replicas
 * append one at a time, and writes the version row and its audit record in one transaction:
 * either both exist or neither.
 */
export class PolicyVersions {
  readonly #db: Kysely<Tables>;
  readonly #store: Pick<Store, 'db' | 'dialect'>;

  constructor(store: Pick<Store, 'db' | 'dialect'>) {
    this.#store = store;
    this.#db = store.db.withTables<{ policy_versions: PolicyVersionsTable }>();
  }

  /**
   * Writes the next version, or returns the newest one unwritten (`written: false`) when it
   * already has this document (decided under the lock, so replicas racing with the same document
   * write it once).
   */
  async append(
    next: NewPolicyVersion,
    now: number,
  ): Promise<{ version: PolicyVersion; written: boolean }> {
    const { dialect } = this.#store;
    return this.#store.db.transaction().execute(async (trx) => {
      const head = await lockChainHead(trx, dialect);
      const versions = trx.withTables<{ policy_versions: PolicyVersionsTable }>();
      const previous = await versions
        .selectFrom('policy_versions')
        .select(['version', 'digest'])
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      const digest = documentDigest(next.document);
      if (previous?.digest === digest) {
        const current = await versions
          .selectFrom('policy_versions')
          .selectAll()
          .where('version', '=', previous.version)
          .executeTakeFirstOrThrow();
        return { version: fromRow(current), written: false };
      }
      const version = (previous ? Number(previous.version) : 0) + 1;
      const author = {
        issuer: next.author.issuer,
        subject: next.author.subject,
        name: next.author.name,
      };
      const chained = await appendEvents(
        trx,
        dialect,
        head,
        [
          policyVersionEvent(
            {
              version,
              digest,
              previousDigest: previous?.digest,
              author,
              reason: next.reason,
              ticketId: next.ticketId,
              rollbackOf: next.rollbackOf,
              document: next.document,
            },
            now,
          ),
        ],
        now,
      );
      const auditSeq = chained.headSeq;
      await versions
        .insertInto('policy_versions')
        .values({
          version,
          created_at: now,
          author: JSON.stringify(author),
          reason: next.reason ?? null,
          ticket_id: next.ticketId ?? null,
          document: next.document,
          digest,
          audit_seq: auditSeq,
        })
        .execute();
      const written: PolicyVersion = {
        version,
        createdAt: now,
        author,
        reason: next.reason,
        ticketId: next.ticketId,
        document: next.document,
        digest,
        auditSeq,
      };
      return { version: written, written: true };
    });
  }

  /** The newest version's number, 0 when there is none (a cheap poll). */
  async latestNumber(): Promise<number> {
    const row = await this.#db
      .selectFrom('policy_versions')
      .select((eb) => eb.fn.max('version').as('version'))
      .executeTakeFirst();
    return row?.version === null || row?.version === undefined ? 0 : Number(row.version);
  }

  async latest(): Promise<PolicyVersion | undefined> {
    const row = await this.#db
      .selectFrom('policy_versions')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async get(version: number): Promise<PolicyVersion | undefined> {
    const row = await this.#db
      .selectFrom('policy_versions')
      .selectAll()
      .where('version', '=', version)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /**
   * Whether the version is the one its audit record chains: the record at `auditSeq` is its
   * `policy_version` record with the same number and digest, and the document has that digest.
   * A record that retention purged (before the chain's base) cannot be compared and is accepted;
   * `audit verify` vouches for the purge. A row written or edited behind the gateway's back fails.
   */
  async chained(version: PolicyVersion): Promise<boolean> {
    if (documentDigest(version.document) !== version.digest) return false;
    const record = await this.#store.db
      .selectFrom('audit_events')
      .select(['kind', 'data'])
      .where('seq', '=', version.auditSeq)
      .executeTakeFirst();
    if (!record) {
      const chain = await this.#store.db
        .selectFrom('audit_chain')
        .select('base_seq')
        .where('id', '=', CHAIN_ID)
        .executeTakeFirst();
      return chain !== undefined && version.auditSeq <= Number(chain.base_seq);
    }
    if (record.kind !== 'policy_version') return false;
    const data = JSON.parse(record.data) as PolicyVersionData;
    return data.version === version.version && data.digest === version.digest;
  }

  /** Every version, newest first. */
  async list(): Promise<PolicyVersion[]> {
    const rows = await this.#db
      .selectFrom('policy_versions')
      .selectAll()
      .orderBy('version', 'desc')
      .execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: PolicyVersionsTable): PolicyVersion {
  return {
    version: Number(row.version),
    createdAt: Number(row.created_at),
    author: JSON.parse(row.author) as PolicyAuthor,
    reason: row.reason ?? undefined,
    ticketId: row.ticket_id ?? undefined,
    document: row.document,
    digest: row.digest,
    auditSeq: Number(row.audit_seq),
  };
}
