import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseWebhookSecret, signWebhook, webhookHeaders } from './standard-webhooks.js';

const key = randomBytes(32);
const secret = `whsec_${key.toString('base64')}`;

describe('parseWebhookSecret', () => {
  it('decodes whsec_ secrets and bare base64 to the same key', () => {
    expect(parseWebhookSecret(secret).equals(key)).toBe(true);
    expect(parseWebhookSecret(key.toString('base64')).equals(key)).toBe(true);
    expect(parseWebhookSecret(`${secret}\n`).equals(key)).toBe(true);
  });

  it('rejects short, long and malformed secrets without echoing them', () => {
    const short = `whsec_${randomBytes(16).toString('base64')}`;
    expect(() => parseWebhookSecret(short)).toThrow(/24-64 bytes \(got 16\)/);
    expect(() => parseWebhookSecret(`whsec_${randomBytes(65).toString('base64')}`)).toThrow(
      /got 65/,
    );
    for (const bad of ['whsec_not base64!', 'whsec_abc', 'whsec_Zm9v!!!!']) {
      let message = '';
      try {
        parseWebhookSecret(bad);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/base64/);
      expect(message).not.toContain(bad);
    }
    expect(() => parseWebhookSecret('whsec_')).toThrow(/base64/);
  });
});

describe('signWebhook', () => {
  it('is HMAC-SHA256 over id.timestamp.body, base64, prefixed v1,', () => {
    const body = '{"type":"ticket.created"}';
    const expected = createHmac('sha256', key).update(`msg_1.1700000000.${body}`).digest('base64');
    expect(signWebhook(key, 'msg_1', 1700000000, body)).toBe(`v1,${expected}`);
    expect(signWebhook(key, 'msg_1', 1700000001, body)).not.toBe(`v1,${expected}`);
  });

  it('builds the three headers with the timestamp in whole seconds', () => {
    const headers = webhookHeaders(key, 'msg_abc', 1_700_000_000_999, '{}');
    expect(headers['webhook-id']).toBe('msg_abc');
    expect(headers['webhook-timestamp']).toBe('1700000000');
    expect(headers['webhook-signature']).toBe(signWebhook(key, 'msg_abc', 1_700_000_000, '{}'));
  });

  it('refuses ids containing a dot, which would make the signed content ambiguous', () => {
    expect(() => webhookHeaders(key, 'msg.1', 0, '{}')).toThrow(TypeError);
  });
});
