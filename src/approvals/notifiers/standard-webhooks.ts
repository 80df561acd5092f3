import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks symmetric signatures (HMAC-SHA256, signature identifier `v1`).
 * Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */

const SECRET_PREFIX = 'whsec_';
/** The spec asks for random secrets of at least 24 bytes and at most 64. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes a `whsec_<base64>` secret (the prefix may be omitted) into the HMAC key.
 * Throws TypeError for a malformed or too short secret; the message never contains it.
 */
export function parseWebhookSecret(secret: string): Buffer {
  const encoded = secret.trim().startsWith(SECRET_PREFIX)
    ? secret.trim().slice(SECRET_PREFIX.length)
    : secret.trim();
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
    throw new TypeError('webhook secret must be whsec_ followed by base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new TypeError(
      `webhook secret must decode to ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes (got ${key.length})`,
    );
  }
  return key;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signWebhook(
  key: Buffer,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const mac = createHmac('sha256', key)
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/**
 * The three Standard Webhooks headers for one attempt. `id` stays the same across retries of
 * one event (receivers use it to deduplicate); the timestamp is the attempt's, in seconds.
 */
export function webhookHeaders(
  key: Buffer,
  id: string,
  attemptTimeMs: number,
  body: string,
): Record<string, string> {
  if (id.includes('.')) throw new TypeError('webhook id must not contain "."');
  const timestamp = Math.floor(attemptTimeMs / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(key, id, timestamp, body),
  };
}
