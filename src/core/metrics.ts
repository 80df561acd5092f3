import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics shared by the gate and every connector. One registry per process. */
export class GateMetrics {
  readonly registry = new Registry();
  readonly sessionsTotal = new Counter({
    name: 'gatehouse_sessions_total',
    help: 'Client sessions opened, by connector and outcome',
    labelNames: ['connector', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly sessionsActive = new Gauge({
    name: 'gatehouse_sessions_active',
    help: 'Client sessions currently open',
    labelNames: ['connector'] as const,
    registers: [this.registry],
  });
  readonly commandsTotal = new Counter({
    name: 'gatehouse_commands_total',
    help: 'Commands seen, by connector and decision',
    labelNames: ['connector', 'decision'] as const,
    registers: [this.registry],
  });
  readonly approvalWaitSeconds = new Histogram({
    name: 'gatehouse_approval_wait_seconds',
    help: 'Time commands spent waiting for a review decision',
    labelNames: ['connector'] as const,
    buckets: [1, 5, 15, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly gateLatencySeconds = new Histogram({
    name: 'gatehouse_gate_latency_seconds',
    help: 'Time the gate adds before a command is forwarded (classify, decide, record)',
    labelNames: ['connector'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });

  readonly auditCommitSeconds = new Histogram({
    name: 'gatehouse_audit_commit_seconds',
    help: 'Time one grouped audit commit took (a transaction, or a journal write), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
    registers: [this.registry],
  });
  readonly auditBatchRecords = new Histogram({
    name: 'gatehouse_audit_batch_records',
    help: 'Audit records per grouped commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  readonly storeErrorsTotal = new Counter({
    name: 'gatehouse_store_errors_total',
    help: 'Store operations that failed, by operation (audit_commit, readiness)',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });
  #countTickets: (() => Promise<Record<string, number>>) | undefined;
  readonly ticketsByState = new Gauge({
    name: 'gatehouse_tickets',
    help: 'Review tickets in the store, by state (counted at each scrape)',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: async () => {
      this.ticketsByState.reset();
      if (!this.#countTickets) return;
      try {
        const counts = await this.#countTickets();
        for (const [state, n] of Object.entries(counts)) this.ticketsByState.set({ state }, n);
      } catch {
        // A scrape never fails on the store; the error is counted instead.
        this.storeErrorsTotal.inc({ operation: 'ticket_count' });
      }
    },
  });

  /** Observes one grouped audit commit (the audit sink's `onCommit`). */
  auditCommitted(outcome: { ok: boolean; records: number; ms: number }): void {
    this.auditCommitSeconds.observe({ outcome: outcome.ok ? 'ok' : 'failed' }, outcome.ms / 1000);
    if (outcome.ok) this.auditBatchRecords.observe(outcome.records);
    else this.storeErrorsTotal.inc({ operation: 'audit_commit' });
  }

  /** Where `gatehouse_tickets` counts come from (the approvals' ticket store). */
  countTicketsOnScrape(count: () => Promise<Record<string, number>>): void {
    this.#countTickets = count;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
