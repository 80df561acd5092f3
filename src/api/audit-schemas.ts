/** JSON Schemas of the audit API (sessions, verify, export), inlined into each route. */
const isoTime = { type: 'string', format: 'date-time' } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

export const sessionSummarySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    connector: { type: 'string' },
    protocol: { type: 'string' },
    identity: {
      type: 'object',
      properties: {
        issuer: { type: 'string' },
        issuerName: { type: 'string' },
        subject: { type: 'string' },
        name: { type: 'string' },
        groups: strings,
        agent: { type: 'boolean' },
      },
    },
    client: {
      type: 'object',
      properties: {
        address: { type: 'string' },
        port: { type: 'integer' },
        tls: { type: 'boolean' },
      },
    },
    target: stringMap,
    startedAt: isoTime,
    endedAt: isoTime,
    endReason: { type: 'string' },
    commandCount: { type: 'integer' },
  },
} as const;

/**
 * What the client was shown, masked and capped by audit.capture. One object for the three
 * shapes (`kind`: a table when absent, `terminal`, `exchange`): the serializer keeps only the
 * properties listed here.
 */
const capturedResultSchema = {
  type: 'object',
  description:
    'the start of what the client was shown (masked), capped by audit.capture: a table (kind absent or "table"), a terminal stream ("terminal", asciicast v2) or a request/response ("exchange")',
  properties: {
    kind: { type: 'string', enum: ['table', 'terminal', 'exchange'] },
    columns: strings,
    rows: { type: 'array', items: { type: 'array', items: { type: ['string', 'null'] } } },
    truncated: { type: 'boolean' },
    numeric: { type: 'array', items: { type: 'boolean' } },
    header: {
      type: 'object',
      properties: {
        version: { type: 'integer' },
        width: { type: 'integer' },
        height: { type: 'integer' },
        timestamp: { type: 'number' },
      },
    },
    events: {
      type: 'array',
      description: 'asciicast v2 events: [seconds, type, data]',
      items: { type: 'array', items: { type: ['number', 'string'] } },
    },
    method: { type: 'string' },
    target: { type: 'string' },
    status: { type: 'integer' },
    headers: stringMap,
    body: { type: 'string' },
  },
} as const;

export const commandSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    at: isoTime,
    text: { type: 'string' },
    params: { type: 'array', items: { type: ['string', 'null'] } },
    classes: strings,
    attributes: {
      type: 'object',
      description: "protocol facts the connector's rule conditions test, named by the connector",
      additionalProperties: { type: ['string', 'boolean'] },
    },
    unclassifiable: { type: 'boolean' },
    target: stringMap,
    decision: {
      type: 'object',
      properties: {
        action: { type: 'string', enum: ['allow', 'deny', 'review'] },
        rule: { type: 'string' },
        reason: { type: 'string' },
      },
    },
    ticketId: { type: 'string' },
    executedText: { type: 'string', description: 'what reached the target; absent if nothing did' },
    outcome: {
      type: 'object',
      properties: {
        tag: { type: 'string' },
        rows: { type: 'integer' },
        error: {
          type: 'object',
          properties: { code: { type: 'string' }, message: { type: 'string' } },
        },
        durationMs: { type: 'integer' },
        result: capturedResultSchema,
      },
    },
    completedAt: isoTime,
  },
} as const;

export const sessionDetailSchema = {
  ...sessionSummarySchema,
  properties: {
    ...sessionSummarySchema.properties,
    commands: { type: 'array', items: commandSchema },
  },
} as const;

export const sessionQuerySchema = {
  type: 'object',
  properties: {
    connector: { type: 'string' },
    subject: { type: 'string' },
    since: { type: 'string', description: 'ISO 8601 time, or a duration ago such as 24h' },
    until: { type: 'string', description: 'ISO 8601 time, or a duration ago such as 1h' },
    decision: { type: 'string', enum: ['allow', 'deny', 'review'] },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
  additionalProperties: false,
} as const;

const chainPoint = {
  type: 'object',
  properties: { seq: { type: 'integer' }, hash: { type: 'string' } },
} as const;

export const verifyReportSchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    records: { type: 'integer' },
    chains: { type: 'integer' },
    head: chainPoint,
    base: chainPoint,
    broken: {
      type: 'object',
      properties: {
        seq: { type: 'integer' },
        chain: { type: 'string' },
        problem: { type: 'string', enum: ['edited', 'missing', 'out_of_order', 'inserted'] },
        detail: { type: 'string' },
      },
    },
  },
} as const;

export const exportQuerySchema = {
  type: 'object',
  properties: {
    format: { type: 'string', enum: ['jsonl', 'csv'], default: 'jsonl' },
    since: { type: 'string', description: 'ISO 8601 time, or a duration ago such as 24h' },
    until: { type: 'string', description: 'ISO 8601 time, or a duration ago such as 1h' },
  },
  additionalProperties: false,
} as const;
