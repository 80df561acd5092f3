/** Shapes the console reads from the API (docs/approvals.md, docs/audit.md, docs/console.md). */

export type TicketStatus = 'pending' | 'approved' | 'denied' | 'modified' | 'expired' | 'cancelled';

export interface Ticket {
  id: string;
  /** The requester's stated reason (`gatehouse exec --reason`), if any. */
  reason?: string;
  url: string;
  connector: string;
  status: TicketStatus;
  scope: 'command' | 'grant';
  requester: { issuer: string; subject: string; name?: string; groups: string[]; agent: boolean };
  command: string;
  params: Array<string | null>;
  classes: string[];
  rule: string;
  approvers: string[];
  approvalsRequired: number;
  createdAt: string;
  expiresAt: string;
  grantExpiresAt?: string;
  revokedAt?: string;
  usedAt?: string;
  executedCommand?: string;
  decisions: Array<{
    reviewer: { issuer: string; subject: string; name?: string };
    action: 'approve' | 'deny' | 'modify' | 'revoke';
    rationale?: string;
    command?: string;
    at: string;
  }>;
  viewer: { canDecide: boolean; reason?: string };
}

export interface Me {
  subject: string;
  name?: string;
  groups: string[];
  agent: boolean;
  issuer: string;
}

export interface ConsoleSession {
  signedIn: boolean;
  signIn: { oidc?: string; dev: boolean };
  identity?: Me;
  expiresAt?: string;
  csrf?: string;
  error?: string;
}

export interface SessionIdentity {
  issuer: string;
  issuerName?: string;
  subject: string;
  name?: string;
  groups: string[];
  agent: boolean;
}

/** A recorded session (GET /api/sessions); times are epoch ms or ISO strings. */
export interface SessionSummary {
  id: string;
  connector: string;
  protocol: string;
  identity: SessionIdentity;
  client: { address: string; port?: number; tls: boolean };
  target?: Record<string, string>;
  startedAt: number | string;
  endedAt?: number | string;
  endReason?: string;
  commandCount: number;
  /** Set when the session has a terminal recording (asciicast v2). */
  recording?: string | boolean;
}

/** What the client was shown (masked, capped by audit.capture), in one of three shapes. */
export type CapturedResult = CapturedTable | CapturedTerminal | CapturedExchange;

/** Rows; a capture without `kind` is a table. */
export interface CapturedTable {
  kind?: 'table';
  columns: string[];
  rows: Array<Array<string | null>>;
  truncated: boolean;
  numeric?: boolean[];
}

/** A terminal stream (asciicast v2): header, then `[seconds, type, data]` events. */
export interface CapturedTerminal {
  kind: 'terminal';
  header: { version: 2; width: number; height: number; timestamp?: number };
  events: Array<[number, 'o' | 'i' | 'r' | 'm', string]>;
  truncated: boolean;
}

/** A request and the response the client received, summarised. */
export interface CapturedExchange {
  kind: 'exchange';
  method: string;
  target: string;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  truncated: boolean;
}

export interface SessionCommand {
  seq: number;
  at: number | string;
  text: string;
  params?: Array<string | null>;
  classes: string[];
  /** Protocol facts the connector's rule conditions test, e.g. `{ where: 'absent' }`. */
  attributes?: Record<string, string | boolean>;
  unclassifiable: boolean;
  decision: { action: 'allow' | 'deny' | 'review'; rule?: string; reason: string };
  ticketId?: string;
  executedText?: string;
  outcome?: {
    tag?: string;
    rows?: number;
    error?: { code?: string; message: string };
    durationMs: number;
    /** The start of what the client was shown (masked, capped by audit.capture). */
    result?: CapturedResult;
  };
  completedAt?: number | string;
}

export interface SessionDetail extends SessionSummary {
  commands: SessionCommand[];
}

export interface PolicyConnector {
  name: string;
  type: string;
  database?: string;
  testable: boolean;
}

export interface PolicyResult {
  at: string;
  decision: {
    action: 'allow' | 'deny' | 'review';
    rule?: string;
    reason: string;
    default?: string;
    review?: {
      approvers?: string[];
      approvals: number;
      timeout?: number;
      wait?: number;
      grant?: number;
    };
  };
  classes: string[];
  /** Protocol facts the connector's rule conditions test, e.g. `{ where: 'absent' }`. */
  attributes: Record<string, string | boolean>;
  unclassifiable: boolean;
  database?: string;
  rules: Array<{ rule: string; action: string; matched: boolean; unmet: string[] }>;
}
