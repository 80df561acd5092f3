import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { identityOf } from '../api/bearer-auth.js';
import { bearerSecurity } from '../api/schemas.js';
import { mayView, ticketView } from '../api/ticket-view.js';
import type { ApprovalService } from '../approvals/approval-service.js';
import type { TicketChanges } from '../approvals/ticket-changes.js';
import type { Clock } from '../core/clock.js';
import type { Identity } from '../core/identity.js';

/** A comment line this often keeps proxies from closing an idle stream; it carries no data. */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /api/approvals/stream`: server-sent events pushed from the ticket change feed (no polling):
 * `ticket` with the ticket as `GET /api/approvals/{id}` returns it, for every change the caller
 * may see; `resync` when the feed may have missed changes (re-list); `signed-out` when the
 * caller's token expires, then the stream ends.
 */
export function registerTicketStream(
  app: FastifyInstance,
  deps: { approvals: ApprovalService; changes: TicketChanges; clock: Clock; logger: Logger },
): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get(
    '/api/approvals/stream',
    {
      schema: {
        summary: 'Live ticket changes as server-sent events (ticket, resync, signed-out)',
        security: bearerSecurity,
        produces: ['text/event-stream'],
      },
    },
    (request, reply) => {
      const identity = identityOf(request);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n\n');
      send(res, 'ready', {});

      const unsubscribe = deps.changes.subscribe((id) => {
        if (id === '*') return send(res, 'resync', {});
        void pushTicket(id, identity, res, deps);
      });
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      const untilExpiry = expiryTimer(identity, deps.clock, () => {
        send(res, 'signed-out', {});
        end();
      });
      const end = () => {
        if (!open.delete(end)) return;
        unsubscribe();
        clearInterval(keepalive);
        clearTimeout(untilExpiry);
        res.end();
      };
      open.add(end);
      request.raw.on('close', end);
      res.on('error', end);
    },
  );
}

async function pushTicket(
  id: string,
  identity: Identity,
  res: ServerResponse,
  deps: { approvals: ApprovalService; clock: Clock; logger: Logger },
): Promise<void> {
  try {
    const ticket = await deps.approvals.get(id);
    if (!mayView(ticket, identity) || res.writableEnded) return;
    send(
      res,
      'ticket',
      ticketView(ticket, identity, deps.clock.now(), deps.approvals.ticketUrl(id)),
    );
  } catch (err) {
    // The client re-lists on resync; a ticket it cannot read now is not worth ending the stream.
    deps.logger.warn({ err, ticket: id }, 'ticket stream could not read a changed ticket');
    send(res, 'resync', {});
  }
}

function send(res: ServerResponse, event: string, data: unknown): void {
  if (res.writableEnded) return;
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function expiryTimer(identity: Identity, clock: Clock, onExpiry: () => void) {
  if (identity.expiresAt === undefined) return undefined;
  const ms = Math.max(0, identity.expiresAt * 1000 - clock.now());
  // setTimeout holds at most ~24.8 days; tokens are far shorter, but clamp anyway.
  return setTimeout(onExpiry, Math.min(ms, 2 ** 31 - 1)).unref();
}
