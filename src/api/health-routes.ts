import type { FastifyInstance } from 'fastify';
import type { GateMetrics } from '../core/metrics.js';

export interface HealthDeps {
  metrics: GateMetrics;
  /** Resolves when the store answers; readiness fails closed when it does not. */
  pingStore: () => Promise<void>;
  /** False while the process drains for shutdown. */
  accepting: () => boolean;
}

/** `/healthz` (process alive), `/readyz` (store reachable, not draining), `/metrics`. */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    if (!deps.accepting()) return reply.code(503).send({ status: 'draining' });
    try {
      await deps.pingStore();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'store_unavailable' });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
