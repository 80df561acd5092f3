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

export interface CapturedResult {
  columns?: string[];
  rows?: Array<Array<string | null>>;
  truncated?: boolean;
  text?: string;
}

export interface SessionCommand {
  seq: number;
  at: number | string;
  text: string;
  params?: Array<string | null>;
  classes: string[];
  whereAbsent?: boolean;
  unclassifiable: boolean;
  decision: { action: 'allow' | 'deny' | 'review'; rule?: string; reason: string };
  ticketId?: string;
  executedText?: string;
  outcome?: {
    tag?: string;
    rows?: number;
    error?: { code?: string; message: string };
    durationMs: number;
    /** The first rows as the client received them (masked, capped by audit.capture). */
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
  whereAbsent: boolean;
  unclassifiable: boolean;
  database?: string;
  rules: Array<{ rule: string; action: string; matched: boolean; unmet: string[] }>;
}
