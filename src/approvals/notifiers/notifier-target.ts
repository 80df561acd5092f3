import { isLoopback, type SecretRef } from '../../config/schema.js';
import { slackMessage } from './slack-format.js';
import { parseWebhookSecret, webhookHeaders } from './standard-webhooks.js';
import { teamsMessage } from './teams-format.js';
import type {
  EventEnvelope,
  NotifierConfig,
  RenderedRequest,
  TicketEvent,
  TicketEventType,
} from './types.js';

/** One configured notifier, ready to render and address requests. */
export interface NotifierTarget {
  /** `slack#0`, `webhook#2`: how logs name it. Never the URL, which embeds a secret. */
  readonly label: string;
  readonly type: NotifierConfig['type'];
  readonly url: URL;
  readonly timeoutMs: number | undefined;
  wants(type: TicketEventType): boolean;
  render(envelope: EventEnvelope): RenderedRequest;
  /**
   * The headers of one attempt at sending `body` for event `eventId`, computed at send time
   * (the outbox keeps the body and the event id, never the signing secret).
   */
  headers(eventId: string, attemptTime: number, body: string): Record<string, string>;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The generic webhook body: the event itself, plus when it happened (ISO 8601). */
export function webhookBody(envelope: EventEnvelope): string {
  const { type, ticket, url } = envelope.event;
  return JSON.stringify({ type, timestamp: new Date(envelope.time).toISOString(), ticket, url });
}

function parseUrl(text: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`${where}.url is not a valid URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, ''))) return url;
  throw new TypeError(`${where}.url must use https (plain http only on loopback)`);
}

/**
 * Validates one notifier's config and resolves its secrets; throws TypeError naming the key
 * path (never a secret) so a bad notifier stops the gateway at start.
 */
export function createTarget(
  config: NotifierConfig,
  index: number,
  secret: (ref: SecretRef) => string,
): NotifierTarget {
  const where = `reviews.notifiers[${index}]`;
  const resolve = (ref: SecretRef, key: string) => {
    try {
      return secret(ref);
    } catch (err) {
      throw new TypeError(`${where}.${key}: ${(err as Error).message}`, { cause: err });
    }
  };
  const url = parseUrl(
    typeof config.url === 'string' ? config.url : resolve(config.url, 'url'),
    where,
  );
  const events = config.events ? new Set<TicketEventType>(config.events) : undefined;
  const base = {
    label: `${config.type}#${index}`,
    type: config.type,
    url,
    timeoutMs: config.timeout,
    wants: (type: TicketEventType) => events === undefined || events.has(type),
  };
  const fixed = (format: (event: TicketEvent) => unknown) => ({
    render: (envelope: EventEnvelope) => {
      const body = JSON.stringify(format(envelope.event));
      return { body, headers: () => JSON_HEADERS };
    },
    headers: () => JSON_HEADERS,
  });
  switch (config.type) {
    case 'slack':
      return { ...base, ...fixed(slackMessage) };
    case 'teams':
      return { ...base, ...fixed(teamsMessage) };
    case 'webhook': {
      if (!config.secret) throw new TypeError(`${where}.secret is required for a webhook notifier`);
      let key: Buffer;
      try {
        key = parseWebhookSecret(resolve(config.secret, 'secret'));
      } catch (err) {
        if (err instanceof TypeError && err.message.startsWith(where)) throw err;
        throw new TypeError(`${where}.secret: ${(err as Error).message}`, { cause: err });
      }
      const headers = (eventId: string, attemptTime: number, body: string) => ({
        ...JSON_HEADERS,
        ...webhookHeaders(key, eventId, attemptTime, body),
      });
      return {
        ...base,
        render: (envelope) => {
          const body = webhookBody(envelope);
          return { body, headers: (attemptTime) => headers(envelope.id, attemptTime, body) };
        },
        headers,
      };
    }
  }
}
