import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { CaptureLimits } from '../core/command.js';
import type { Store } from '../store/index.js';
import { auditReaders } from './read/readers.js';
import { RetentionJob } from './read/retention.js';
import { StoreAuditSink, type StoreAuditSinkOptions } from './record/store-audit-sink.js';

/** What the audit API routes read through. */
export interface AuditApi {
  store: Pick<Store, 'db' | 'beforeRead'>;
  /** Groups that may read the audit record (see auditReaders). */
  readers: ReadonlyArray<string>;
  clock: Clock;
}

export interface AuditServices {
  /** The gate's sink: grouped, hash-chained commits with the configured durability. */
  sink: StoreAuditSink;
  /** `audit.capture` for the gate to hand connectors. */
  capture: CaptureLimits;
  api: AuditApi;
  /** Stops the retention job, then commits what is queued (up to 5 s). */
  close(): Promise<void>;
}

/** The `audit` section put to work: the sink, the retention job, what the API reads. */
export function startAudit(
  config: Pick<Config, 'audit' | 'reviews' | 'connectors'>,
  store: Store,
  options: {
    logger: Logger;
    clock: Clock;
    onCommit?: StoreAuditSinkOptions['onCommit'];
  },
): AuditServices {
  const { logger, clock, onCommit } = options;
  const capture = {
    maxRows: config.audit.capture.max_rows,
    maxBytes: config.audit.capture.max_bytes,
  };
  const sink = new StoreAuditSink(store, {
    durability: config.audit.durability,
    capture,
    logger,
    clock,
    onCommit,
  });
  // The API and console read their own process's records at once (see StoreAuditSink.caughtUp).
  store.beforeRead = () => sink.caughtUp();
  const retentionMs = config.audit.retention;
  const retention =
    retentionMs === undefined ? undefined : new RetentionJob(store, { retentionMs, clock, logger });
  retention?.start();
  return {
    sink,
    capture,
    api: { store, readers: auditReaders(config), clock },
    async close() {
      await retention?.stop();
      store.beforeRead = undefined;
      await sink.close();
    },
  };
}
