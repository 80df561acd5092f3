import type { FastifyInstance } from 'fastify';
import type { ApprovalService } from '../approvals/approval-service.js';
import type { ReviewAction, TicketStatus } from '../approvals/ticket.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import { identityOf } from './bearer-auth.js';
import { bearerSecurity, idParamSchema, reviewBodySchema } from './schemas.js';
import { mayView, ticketView } from './ticket-view.js';

const STATUSES = ['pending', 'approved', 'denied', 'modified', 'expired', 'cancelled'];

/** `/api/approvals…`: list, show, approve, deny, modify, revoke (docs/approvals.md, "API"). */
export function registerApprovalRoutes(
  app: FastifyInstance,
  approvals: ApprovalService,
  clock: Clock,
): void {
  const view = (
    ticket: Parameters<typeof ticketView>[0],
    request: Parameters<typeof identityOf>[0],
  ) => ticketView(ticket, identityOf(request), clock.now(), approvals.ticketUrl(ticket.id));

  const load = async (id: string, request: Parameters<typeof identityOf>[0]) => {
    const ticket = await approvals.get(id);
    // Not-visible and missing look the same, so ids cannot be probed.
    if (!mayView(ticket, identityOf(request)))
      throw new GatehouseError('not_found', `no ticket ${id}`);
    return ticket;
  };

  app.get<{ Querystring: { status?: TicketStatus; connector?: string; limit?: number } }>(
    '/api/approvals',
    {
      schema: {
        summary: 'List tickets the caller may review or has requested',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: STATUSES },
            connector: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
        response: { 200: { type: 'array', items: { $ref: 'Ticket#' } } },
      },
    },
    async (request) => {
      const identity = identityOf(request);
      const tickets = await approvals.list(request.query);
      return tickets
        .filter((ticket) => mayView(ticket, identity))
        .map((ticket) => view(ticket, request));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/approvals/:id',
    {
      schema: {
        summary: 'One ticket',
        security: bearerSecurity,
        params: idParamSchema,
        response: { 200: { $ref: 'Ticket#' } },
      },
    },
    async (request) => view(await load(request.params.id, request), request),
  );

  const SUMMARIES = {
    approve: 'Approve a ticket (rationale optional)',
    deny: 'Deny a ticket (rationale required)',
    modify: "Run the reviewer's command instead (command and rationale required)",
    revoke: 'Revoke an approved access grant before it ends (rationale required)',
  } as const;
  for (const action of Object.keys(SUMMARIES) as (ReviewAction | 'revoke')[]) {
    app.post<{ Params: { id: string }; Body: { rationale?: string; command?: string } }>(
      `/api/approvals/:id/${action}`,
      {
        schema: {
          summary: SUMMARIES[action],
          security: bearerSecurity,
          params: idParamSchema,
          body: reviewBodySchema,
          response: { 200: { $ref: 'Ticket#' } },
        },
      },
      async (request) => {
        const { id } = request.params;
        await load(id, request);
        const reviewer = identityOf(request);
        const body = request.body ?? {};
        const ticket =
          action === 'revoke'
            ? await approvals.revoke(id, reviewer, body.rationale ?? '')
            : await approvals.review(id, reviewer, action, body);
        return view(ticket, request);
      },
    );
  }
}
