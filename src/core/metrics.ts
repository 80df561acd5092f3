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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
