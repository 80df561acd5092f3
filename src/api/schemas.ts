/** JSON Schemas shared by request validation and the OpenAPI document. */
const isoTime = { type: 'string', format: 'date-time' } as const;

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  properties: {
    error: { type: 'string', description: 'stable error code, e.g. access_denied, conflict' },
    message: { type: 'string' },
    ticketId: { type: 'string' },
    rationale: { type: 'string' },
    hint: { type: 'string' },
  },
  required: ['error', 'message'],
} as const;

export const ticketSchema = {
  $id: 'Ticket',
  type: 'object',
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    connector: { type: 'string' },
    status: {
      type: 'string',
      enum: ['pending', 'approved', 'denied', 'modified', 'expired', 'cancelled'],
    },
    scope: { type: 'string', enum: ['command', 'grant'] },
    requester: {
      type: 'object',
      properties: {
        issuer: { type: 'string' },
        subject: { type: 'string' },
        name: { type: 'string' },
        groups: { type: 'array', items: { type: 'string' } },
        agent: { type: 'boolean' },
      },
    },
    reason: { type: 'string', description: "the requester's stated reason, if given" },
    command: { type: 'string' },
    params: { type: 'array', items: { type: ['string', 'null'] } },
    classes: { type: 'array', items: { type: 'string' } },
    rule: { type: 'string' },
    approvers: { type: 'array', items: { type: 'string' } },
    approvalsRequired: { type: 'integer' },
    createdAt: isoTime,
    expiresAt: isoTime,
    grantExpiresAt: isoTime,
    revokedAt: isoTime,
    usedAt: isoTime,
    executedCommand: { type: 'string' },
    decisions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          reviewer: {
            type: 'object',
            properties: {
              issuer: { type: 'string' },
              subject: { type: 'string' },
              name: { type: 'string' },
            },
          },
          action: { type: 'string', enum: ['approve', 'deny', 'modify', 'revoke'] },
          rationale: { type: 'string' },
          command: { type: 'string' },
          at: isoTime,
        },
      },
    },
    viewer: {
      type: 'object',
      description: 'whether the caller may decide this ticket, and if not, why',
      properties: { canDecide: { type: 'boolean' }, reason: { type: 'string' } },
    },
  },
} as const;

export const reviewBodySchema = {
  type: 'object',
  properties: {
    rationale: { type: 'string', maxLength: 4000 },
    command: {
      type: 'string',
      maxLength: 1_000_000,
      description: 'modify only: the command to run instead',
    },
  },
  additionalProperties: false,
} as const;

export const idParamSchema = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['id'],
} as const;

export const bearerSecurity = [{ bearer: [] as string[] }];
