import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A secret given by reference; the value itself never appears in config or logs. */
export const secretRef = z.union(
  [z.strictObject({ env: z.string().min(1) }), z.strictObject({ file: z.string().min(1) })],
  { error: 'a secret is {env: NAME} or {file: PATH}' },
);
export type SecretRef = z.infer<typeof secretRef>;

/** `30s`, `5m`, `1h` → milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${text}" (use e.g. 30s, 5m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:15432`, `[::1]:8080`, `:8080` (all interfaces). */
export const listenAddress = z.string().transform((text, ctx): ListenAddress => {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `invalid listen address "${text}" (use host:port)` });
    return z.NEVER;
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
});

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host.startsWith('::ffff:127.');
}

/** https anywhere; plain http only to a loopback host (docs/identity.md). */
function isSecureIssuer(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(host));
}

const tlsFiles = z.strictObject({ cert: z.string().min(1), key: z.string().min(1) });

/** Reviewer console sign-in: OIDC authorization code + PKCE against one configured issuer. */
const consoleSchema = z.strictObject({
  /** Name of an entry in identity.issuers. */
  issuer: z.string().min(1),
  client_id: z.string().min(1),
  client_secret: secretRef.optional(),
  redirect_path: z
    .string()
    .regex(/^\/[A-Za-z0-9/_-]*$/, 'a path such as /console/callback')
    .prefault('/console/callback'),
  scopes: z.array(z.string().min(1)).min(1).prefault(['openid', 'profile']),
  /** Which token from the code exchange proves the reviewer to the Authenticator. */
  token: z.enum(['access_token', 'id_token']).prefault('access_token'),
});
export type ConsoleConfig = z.infer<typeof consoleSchema>;

const serverSchema = z
  .strictObject({
    api: z
      .strictObject({
        listen: listenAddress.prefault('127.0.0.1:8080'),
        public_url: z.url().optional(),
      })
      .prefault({ listen: '127.0.0.1:8080' }),
    tls: tlsFiles.optional(),
    console: consoleSchema.optional(),
  })
  .prefault({ api: { listen: '127.0.0.1:8080' } });

const storeSchema = z
  .strictObject({
    url: z
      .string()
      .refine(
        (url) => /^(sqlite:|postgres(ql)?:\/\/)/.test(url),
        'store url must be sqlite:PATH or postgres://…',
      ),
    /**
     * SQLite only. `normal` (default): a commit is in the WAL file when it returns, so it
     * survives a gateway crash; a power loss can drop the last commits. `full`: every commit is
     * fsynced before it returns (power-loss safe), at the cost of a disk flush per grouped commit.
     */
    sqlite_synchronous: z.enum(['normal', 'full']).prefault('normal'),
  })
  .prefault({ url: 'sqlite:./.gatehouse/gatehouse.db' });

const claimMapping = z.strictObject({
  subject: z.string().optional(),
  name: z.string().optional(),
  groups: z.string().optional(),
});

const issuerSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['entra', 'generic', 'github-actions']).prefault('generic'),
  issuer: z.string().min(1).optional(),
  /** Entra tenant id, when the issuer URL does not carry it as its first path segment. */
  tenant: z.string().optional(),
  audience: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  claims: claimMapping.optional(),
  /** Subjects or groups that mark a token as an agent, beyond the kind's own rules. */
  agents: z
    .strictObject({
      groups: z.array(z.string()).optional(),
      subjects: z.array(z.string()).optional(),
    })
    .optional(),
  /** Entra groups overage resolution through Microsoft Graph. */
  graph: z
    .strictObject({ client_id: z.string(), client_secret: secretRef, endpoint: z.url().optional() })
    .optional(),
  /**
   * `gatehouse login` against this issuer: a public client allowed the device code grant, the
   * scopes to ask for (`offline_access` brings a refresh token), and which token to present.
   */
  login: z
    .strictObject({
      client_id: z.string().min(1),
      scopes: z.array(z.string().min(1)).min(1).prefault(['openid', 'offline_access']),
      token: z.enum(['access_token', 'id_token']).prefault('access_token'),
    })
    .optional(),
  /** The demo/dev issuer: keys kept locally, tokens minted by `gatehouse token --dev`. */
  dev: z.boolean().optional(),
  /** Where the dev issuer keeps its signing key. */
  key_file: z.string().optional(),
  clock_skew: duration.optional(),
  /**
   * `kind: github-actions` only, and required there: the GitHub owners (organisations or users)
   * whose workflows may sign in. Any repository on GitHub can mint tokens from that issuer.
   */
  owners: z.array(z.string().min(1)).min(1).optional(),
});
export type IssuerConfig = z.infer<typeof issuerSchema>;

const identitySchema = z
  .strictObject({ issuers: z.array(issuerSchema).min(1, 'configure at least one issuer') })
  .superRefine((identity, ctx) => {
    identity.issuers.forEach((issuer, index) => {
      if (issuer.kind === 'github-actions' && !issuer.owners) {
        ctx.addIssue({
          code: 'custom',
          path: ['issuers', index, 'owners'],
          message:
            'name the GitHub owners whose workflows may sign in (any repository on GitHub can mint tokens from this issuer)',
        });
      }
      if (issuer.kind !== 'github-actions' && issuer.owners) {
        ctx.addIssue({
          code: 'custom',
          path: ['issuers', index, 'owners'],
          message: 'owners applies to kind: github-actions only',
        });
      }
      if (!issuer.dev && !issuer.issuer && issuer.kind !== 'github-actions') {
        ctx.addIssue({
          code: 'custom',
          path: ['issuers', index, 'issuer'],
          message: 'issuer URL is required',
        });
      }
      if (issuer.issuer && !issuer.dev && !isSecureIssuer(issuer.issuer)) {
        ctx.addIssue({
          code: 'custom',
          path: ['issuers', index, 'issuer'],
          message: 'issuer must be an https URL (plain http is accepted only on loopback)',
        });
      }
      if (!issuer.dev && !issuer.audience) {
        ctx.addIssue({
          code: 'custom',
          path: ['issuers', index, 'audience'],
          message: 'audience is required',
        });
      }
    });
  });

const stringList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]));

/** A time window: days of the week and a daily range, in a time zone. */
const timeWindow = z.strictObject({
  days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).optional(),
  from: z
    .string()
    .regex(/^\d{2}:\d{2}$/)
    .optional(),
  to: z
    .string()
    .regex(/^\d{2}:\d{2}$/)
    .optional(),
  tz: z.string().optional(),
});

/** Rule conditions every connector type understands: identity and time. */
const commonConditions = {
  groups: stringList.optional(),
  groups_not: stringList.optional(),
  subjects: stringList.optional(),
  agent: z.boolean().optional(),
  time: z.union([timeWindow, z.array(timeWindow)]).optional(),
};

/** A rule's `when` as validated: the common conditions plus those of the connector's module. */
export type RuleConditions = {
  groups?: string[];
  groups_not?: string[];
  subjects?: string[];
  agent?: boolean;
  time?: z.infer<typeof timeWindow> | Array<z.infer<typeof timeWindow>>;
} & { readonly [key: string]: unknown };

/** The condition keys config handles for every connector type (the rest come from modules). */
export const COMMON_CONDITION_KEYS: ReadonlySet<string> = new Set(Object.keys(commonConditions));

const reviewSchema = z.strictObject({
  approvers: z.array(z.string()).min(1).optional(),
  approvals: z.number().int().min(1).prefault(1),
  timeout: duration.optional(),
  wait: duration.optional(),
  grant: duration.optional(),
});
export type ReviewConfig = z.infer<typeof reviewSchema>;

export const actionSchema = z.enum(['allow', 'deny', 'review']);
export type Action = z.infer<typeof actionSchema>;

export interface RuleConfig {
  name: string;
  when: RuleConditions;
  action: Action;
  review?: ReviewConfig;
  reason?: string;
}

const maskingRule = z.strictObject({
  columns: z.array(z.string()).optional(),
  column_pattern: z.string().optional(),
  detectors: z.array(z.string()).optional(),
  strategy: z.union([z.enum(['redact', 'hash', 'null']), z.string().regex(/^keep_last_\d+$/)]),
  exempt_groups: z.array(z.string()).optional(),
});
export type MaskingRuleConfig = z.infer<typeof maskingRule>;

/**
 * What config needs from a connector module (`ConnectorModule` in core satisfies it): the
 * `type:` it answers to and the schemas of its `target:` section and of its rule conditions.
 * Config composes them (`buildConfigSchema`); it never imports a connector.
 */
export interface ConnectorSchemaModule {
  readonly type: string;
  readonly targetSchema: z.ZodType;
  readonly conditions: Readonly<Record<string, { readonly schema: z.ZodType }>>;
  /** Files the validated target names (a CA bundle…), resolved and checked like the others. */
  targetFiles?(target: never): TargetFile[];
}

/** A file path inside a connector's `target:` section. */
export interface TargetFile {
  /** Key path below `target`, e.g. `['tls', 'ca']`. */
  path: PropertyKey[];
  file: string;
  set(file: string): void;
}

/** Tickets for central policy changes name this pseudo-connector (docs/policy.md). */
export const RESERVED_CONNECTOR_NAME = 'policy';

/** A connector's own listener certificate and key (PEM), by reference. */
const listenerTls = z.strictObject({ cert: secretRef, key: secretRef });

const connectorName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'connector names use letters, digits, - and _');

/** Who may connect at all: any listed group or subject; `groups: ["*"]` admits every verified identity. */
const accessSchema = z
  .strictObject({
    groups: z.array(z.string()).optional(),
    subjects: z.array(z.string()).optional(),
    /**
     * End each session when its token expires (the token's `exp`), with the protocol's own
     * error; off by default (a session then outlives its token, new connections need a fresh one).
     */
    end_session_at_token_expiry: z.boolean().optional(),
  })
  .refine(
    (a) => (a.groups?.length ?? 0) + (a.subjects?.length ?? 0) > 0,
    'name at least one group or subject',
  );

/** A rule for one module's connectors: the common conditions plus the module's own. */
function ruleSchemaFor(module: ConnectorSchemaModule) {
  const moduleConditions = Object.fromEntries(
    Object.entries(module.conditions)
      .filter(([key]) => !COMMON_CONDITION_KEYS.has(key))
      .map(([key, spec]) => [key, spec.schema.optional()]),
  );
  return z.strictObject({
    name: z.string().min(1),
    when: z.strictObject({ ...moduleConditions, ...commonConditions }).prefault({}),
    action: actionSchema,
    review: reviewSchema.optional(),
    reason: z.string().optional(),
  });
}

/** A connector's policy: what `policy apply` may replace (docs/policy.md, "Central policy"). */
export interface ConnectorPolicy {
  name: string;
  default: Action;
  rules: RuleConfig[];
  masking: MaskingRuleConfig[];
}

/**
 * One `connectors[]` entry of a central policy document for a connector of this module's type:
 * `name`, `default`, `rules` and `masking` checked exactly as in config (same defaults); other
 * keys (type, listen, target…) are ignored, so a config file applies as is.
 */
export function policyEntrySchemaFor(
  module: ConnectorSchemaModule,
): z.ZodType<ConnectorPolicy, unknown> {
  return z.object({
    name: connectorName,
    default: actionSchema.prefault('allow'),
    rules: z.array(ruleSchemaFor(module)).prefault([]),
    masking: z.array(maskingRule).prefault([]),
  }) as unknown as z.ZodType<ConnectorPolicy, unknown>;
}

/**
 * What the schema of one rule cannot say alone: a review rule needs approvers (its own or
 * `reviews.approvers`), review settings belong to review rules only. Paths are below the rules.
 */
export function ruleProblems(
  rules: ReadonlyArray<RuleConfig>,
  defaultApprovers: ReadonlyArray<string>,
): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  rules.forEach((rule, ruleIndex) => {
    if (rule.action === 'review' && !rule.review?.approvers && defaultApprovers.length === 0) {
      problems.push({
        path: ['rules', ruleIndex, 'review', 'approvers'],
        message: 'a review rule needs approvers (here or in reviews.approvers)',
      });
    }
    if (rule.action !== 'review' && rule.review) {
      problems.push({
        path: ['rules', ruleIndex, 'review'],
        message: 'review settings only apply to rules with action: review',
      });
    }
  });
  return problems;
}

/** One connector entry for one module: the shared fields, its target and its conditions. */
function connectorSchemaFor(module: ConnectorSchemaModule) {
  return z.strictObject({
    name: connectorName,
    type: z.literal(module.type),
    listen: listenAddress,
    /** The listener's own certificate and key, for protocols that serve TLS themselves. */
    tls: listenerTls.optional(),
    target: module.targetSchema,
    access: accessSchema,
    default: actionSchema.prefault('allow'),
    rules: z.array(ruleSchemaFor(module)).prefault([]),
    masking: z.array(maskingRule).prefault([]),
    /** Largest protocol message accepted from a client, in bytes. */
    max_message_bytes: z.number().int().min(1024).optional(),
  });
}

/**
 * A connector as validated. Shared code sees `target` as unknown; the connector's own code
 * knows its type (its module's `targetSchema`).
 */
export interface ConnectorConfig<Target = unknown> {
  name: string;
  /** A registered connector type (`ConnectorModule.type`). */
  type: string;
  listen: ListenAddress;
  /** This connector's listener certificate and key (else `server.tls`). */
  tls?: { cert: SecretRef; key: SecretRef };
  target: Target;
  access: { groups?: string[]; subjects?: string[]; end_session_at_token_expiry?: boolean };
  default: Action;
  rules: RuleConfig[];
  masking: MaskingRuleConfig[];
  max_message_bytes?: number;
}

/**
 * One `connectors[]` entry, checked by the schema of the module its `type` names (strict per
 * type). A type nobody registered is reported at `type`, naming the available ones.
 */
function connectorEntrySchema(
  modules: ReadonlyArray<ConnectorSchemaModule>,
): z.ZodType<ConnectorConfig, unknown> {
  const available = modules.map((m) => m.type).join(', ') || '(none in this build)';
  const unknownType = (input: unknown) => {
    const type =
      typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
    return type === undefined
      ? 'required'
      : `unknown connector type "${String(type)}" (available: ${available})`;
  };
  const [first, ...rest] = modules.map(connectorSchemaFor);
  if (!first) {
    return z.unknown().superRefine((input, ctx) => {
      ctx.addIssue({ code: 'custom', path: ['type'], message: unknownType(input) });
    }) as unknown as z.ZodType<ConnectorConfig, unknown>;
  }
  const entry = z.discriminatedUnion('type', [first, ...rest], {
    error: (issue) =>
      issue.code === 'invalid_union' && issue.note === 'No matching discriminator'
        ? unknownType(issue.input)
        : undefined,
  });
  return entry as unknown as z.ZodType<ConnectorConfig, unknown>;
}

/** Ticket events a notifier can subscribe to (all of them when `events` is omitted). */
export const notifierEvents = [
  'ticket.created',
  'ticket.decided',
  'ticket.expired',
  'grant.revoked',
] as const;

const notifierSchema = z
  .strictObject({
    type: z.enum(['slack', 'teams', 'webhook']),
    url: z.union([z.url(), secretRef]),
    /** Standard Webhooks signing secret (`whsec_…`); required for `type: webhook`. */
    secret: secretRef.optional(),
    events: z.array(z.enum(notifierEvents)).min(1).optional(),
    /** Per-attempt request timeout. */
    timeout: duration.optional(),
  })
  .refine((n) => n.type !== 'webhook' || n.secret !== undefined, {
    path: ['secret'],
    message: 'a webhook notifier needs a signing secret ({env} or {file} holding whsec_…)',
  });
export type NotifierConfig = z.infer<typeof notifierSchema>;

const reviewsSchema = z
  .strictObject({
    timeout: duration.prefault('1h'),
    wait: duration.prefault('5m'),
    /** Approver groups for review rules that name none. */
    approvers: z.array(z.string()).prefault([]),
    notifiers: z.array(notifierSchema).prefault([]),
  })
  .prefault({ timeout: '1h', wait: '5m', approvers: [], notifiers: [] });

const auditSchema = z
  .strictObject({
    durability: z.enum(['strict', 'batched']).prefault('strict'),
    capture: z
      .strictObject({
        max_rows: z.number().int().min(0).prefault(100),
        max_bytes: z.number().int().min(0).prefault(65536),
      })
      .prefault({ max_rows: 100, max_bytes: 65536 }),
    retention: duration.optional(),
    /** Groups that may read sessions, replay, export and verify (default: every approver group). */
    readers: z.array(z.string().min(1)).optional(),
  })
  .prefault({ durability: 'strict', capture: { max_rows: 100, max_bytes: 65536 } });

const maskingSchema = z
  .strictObject({
    hash_key: secretRef.optional(),
    custom: z.record(z.string(), z.string()).optional(),
  })
  .prefault({});

/**
 * Central policy (docs/policy.md, "Central policy"): who may apply a new version, and whether a
 * change needs review first (a ticket like any held command, decided by these approvers).
 */
const policySchema = z
  .strictObject({
    /** Groups that may apply or roll back a version (default: `reviews.approvers`). */
    editors: z.array(z.string().min(1)).optional(),
    review: z
      .strictObject({
        approvers: z.array(z.string().min(1)).min(1),
        approvals: z.number().int().min(1).prefault(1),
        timeout: duration.optional(),
        wait: duration.optional(),
      })
      .optional(),
  })
  .prefault({});
export type PolicyConfig = z.infer<typeof policySchema>;

/**
 * The config schema for a build's connector modules (`src/connectors/registry.ts` composes it).
 * Everything but `connectors[].target` and the modules' rule conditions is shared.
 */
export function buildConfigSchema(
  modules: ReadonlyArray<ConnectorSchemaModule>,
): z.ZodType<Config, unknown> {
  return z
    .strictObject({
      server: serverSchema,
      store: storeSchema,
      identity: identitySchema,
      connectors: z.array(connectorEntrySchema(modules)).prefault([]) as z.ZodType<
        ConnectorConfig[],
        unknown
      >,
      reviews: reviewsSchema,
      audit: auditSchema,
      masking: maskingSchema,
      policy: policySchema,
    })
    .superRefine((config, ctx) => {
      const signIn = config.server.console;
      const signInIssuer = config.identity.issuers.find((i) => i.name === signIn?.issuer);
      if (signIn && (!signInIssuer || signInIssuer.dev || !signInIssuer.issuer)) {
        ctx.addIssue({
          code: 'custom',
          path: ['server', 'console', 'issuer'],
          message:
            'name an identity issuer that has an issuer URL (the dev issuer needs no console section)',
        });
      }
      const seenNames = new Map<string, number>();
      const seenListen = new Map<string, number>();
      config.connectors.forEach((connector, index) => {
        if (connector.name === RESERVED_CONNECTOR_NAME) {
          ctx.addIssue({
            code: 'custom',
            path: ['connectors', index, 'name'],
            message: `"${RESERVED_CONNECTOR_NAME}" is reserved: central policy changes held for review carry it as their connector`,
          });
        }
        const before = seenNames.get(connector.name);
        if (before !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['connectors', index, 'name'],
            message: `duplicate connector name "${connector.name}"`,
          });
        }
        seenNames.set(connector.name, index);
        const key = `${connector.listen.host}:${connector.listen.port}`;
        if (seenListen.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['connectors', index, 'listen'],
            message: `listen address ${key} is used twice`,
          });
        }
        seenListen.set(key, index);
        for (const problem of ruleProblems(connector.rules, config.reviews.approvers)) {
          ctx.addIssue({
            code: 'custom',
            path: ['connectors', index, ...problem.path],
            message: problem.message,
          });
        }
      });
    });
}

/** The config as validated; durations are milliseconds, listen addresses parsed. */
export interface Config {
  server: z.infer<typeof serverSchema>;
  store: z.infer<typeof storeSchema>;
  identity: z.infer<typeof identitySchema>;
  connectors: ConnectorConfig[];
  reviews: z.infer<typeof reviewsSchema>;
  audit: z.infer<typeof auditSchema>;
  masking: z.infer<typeof maskingSchema>;
  policy: PolicyConfig;
}
