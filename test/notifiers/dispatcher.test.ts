import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DispatcherOptions,
  NotificationDispatcher,
  type NotifierConfig,
} from '../../src/approvals/notifiers/index.js';
import { resolveSecret } from '../../src/secrets/index.js';
import { sampleEvent } from '../support/notifier-events.js';
import {
  captureLogger,
  closedPort,
  type Receiver,
  startReceiver,
  verifyStandardWebhook,
} from './receiver.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const env = { HOOK_SECRET: SECRET };
const secret: DispatcherOptions['secret'] = (ref) => resolveSecret(ref, env);

const receivers: Receiver[] = [];
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

function webhook(url: string, extra: Partial<NotifierConfig> = {}): NotifierConfig {
  return { type: 'webhook', url, secret: { env: 'HOOK_SECRET' }, ...extra };
}

function dispatcher(notifiers: NotifierConfig[], options: Partial<DispatcherOptions> = {}) {
  const log = captureLogger();
  const instance = new NotificationDispatcher(notifiers, {
    secret,
    logger: log.logger,
    baseDelayMs: 10,
    maxAttempts: 6,
    ...options,
  });
  return { dispatcher: instance, log };
}

describe('generic webhook (Standard Webhooks)', () => {
  it('delivers a signed event that an independent verifier accepts', async () => {
    const r = await receiver({ secret: SECRET });
    const { dispatcher: d } = dispatcher([webhook(`${r.url}/hooks/gatehouse`)]);
    const event = sampleEvent();
    d.notify(event);
    await d.drain(5000);

    expect(r.requests).toHaveLength(1);
    const [req] = r.requests;
    expect(req!.verified).toBe(true);
    expect(req!.path).toBe('/hooks/gatehouse');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    const body = JSON.parse(req!.body);
    expect(body).toEqual({ ...event, timestamp: expect.any(String) });
    expect(Date.parse(body.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(d.stats()).toEqual({ delivered: 1, failed: 0, pending: 0, attempts: 1 });
  });

  it('the verifier rejects a tampered body, a stale timestamp and another secret', async () => {
    const r = await receiver({ secret: SECRET });
    const { dispatcher: d } = dispatcher([webhook(r.url)]);
    d.notify(sampleEvent());
    await d.drain(5000);
    const { headers, body } = r.requests[0]!;
    const now = Math.floor(Date.now() / 1000);
    expect(await verifyStandardWebhook(SECRET, headers, body, now)).toBe(true);
    const tampered = body.replace('DELETE FROM orders', 'DELETE FROM users');
    expect(tampered).not.toBe(body);
    expect(await verifyStandardWebhook(SECRET, headers, tampered, now)).toBe(false);
    expect(await verifyStandardWebhook(SECRET, headers, body, now + 3600)).toBe(false);
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    expect(await verifyStandardWebhook(other, headers, body, now)).toBe(false);

    // The same tampered request, sent over the wire, is refused by the receiver.
    const response = await fetch(r.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': String(headers['webhook-id']),
        'webhook-timestamp': String(headers['webhook-timestamp']),
        'webhook-signature': String(headers['webhook-signature']),
      },
      body: tampered,
    });
    expect(response.status).toBe(401);
  });

  it('a stale signature (sender clock 10 minutes behind) is refused with 401 and not retried', async () => {
    const r = await receiver({ secret: SECRET });
    const { dispatcher: d, log } = dispatcher([webhook(r.url)], {
      clock: { now: () => Date.now() - 600_000 },
    });
    d.notify(sampleEvent());
    await d.drain(5000);
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]!.verified).toBe(false);
    expect(d.stats()).toMatchObject({ delivered: 0, failed: 1, attempts: 1 });
    const failure = log.records.find((rec) => rec.level === 50);
    expect(failure).toMatchObject({ status: 401, eventId: r.requests[0]!.headers['webhook-id'] });
  });

  it('retries 500, 500 then delivers once, with the same webhook-id on every attempt', async () => {
    const r = await receiver({ secret: SECRET, script: [500, 500, 200] });
    const { dispatcher: d, log } = dispatcher([webhook(r.url)]);
    d.notify(sampleEvent());
    await d.drain(5000);

    expect(r.requests).toHaveLength(3);
    expect(r.requests.every((req) => req.verified)).toBe(true);
    const ids = new Set(r.requests.map((req) => req.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(new Set(r.requests.map((req) => req.body)).size).toBe(1);
    expect(r.processed.size).toBe(1);
    expect(d.stats()).toEqual({ delivered: 1, failed: 0, pending: 0, attempts: 3 });
    const retries = log.records.filter((rec) => rec.msg.includes('will retry'));
    expect(retries.map((rec) => rec['status'])).toEqual([500, 500]);
  });

  it('does not retry a 400, and logs the failure with the event id', async () => {
    const r = await receiver({ secret: SECRET, script: [400] });
    const { dispatcher: d, log } = dispatcher([webhook(r.url)]);
    d.notify(sampleEvent());
    await d.drain(5000);

    expect(r.requests).toHaveLength(1);
    expect(d.stats()).toMatchObject({ delivered: 0, failed: 1, attempts: 1 });
    const failure = log.records.find((rec) => rec.level === 50);
    expect(failure).toMatchObject({
      notifier: 'webhook#0',
      eventId: r.requests[0]!.headers['webhook-id'],
      ticketId: 'tkt_01',
      eventType: 'ticket.created',
      status: 400,
    });
  });

  it('times out a hanging receiver and retries', async () => {
    const r = await receiver({ secret: SECRET, script: ['hang', 200] });
    const { dispatcher: d, log } = dispatcher([webhook(r.url, { timeout: 200 })]);
    const started = Date.now();
    d.notify(sampleEvent());
    // notify() returned before the request even reached the receiver.
    expect(r.requests).toHaveLength(0);
    await d.drain(5000);

    expect(r.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(d.stats()).toMatchObject({ delivered: 1, failed: 0, attempts: 2 });
    expect(log.records.find((rec) => rec.msg.includes('will retry'))).toMatchObject({
      reason: 'timed out',
    });
    // A fresh timestamp (and so signature) per attempt, the same id.
    expect(r.requests[0]!.headers['webhook-id']).toBe(r.requests[1]!.headers['webhook-id']);
  });

  it('honours Retry-After on 429', async () => {
    const r = await receiver({
      secret: SECRET,
      script: [{ status: 429, headers: { 'retry-after': '1' } }, 200],
    });
    const { dispatcher: d } = dispatcher([webhook(r.url)]);
    d.notify(sampleEvent());
    await d.drain(5000);
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1]!.at - r.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(d.stats().delivered).toBe(1);
  });

  it('gives up on a closed port after maxAttempts; notify() returns at once and never throws', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/hooks/s3cr3t-path-token`;
    const { dispatcher: d, log } = dispatcher([webhook(url)], { maxAttempts: 4 });

    const before = performance.now();
    expect(() => d.notify(sampleEvent())).not.toThrow();
    expect(performance.now() - before).toBeLessThan(50);
    expect(d.stats().pending).toBe(1);
    await d.drain(10_000);

    expect(d.stats()).toEqual({ delivered: 0, failed: 1, pending: 0, attempts: 4 });
    const failure = log.records.find((rec) => rec.level === 50)!;
    expect(failure.msg).toBe('notification not delivered after 4 attempt(s)');
    expect(failure['eventId']).toMatch(/^msg_/);
    expect(failure['reason']).toBe('network error (ECONNREFUSED)');
    expect(log.text()).not.toContain('s3cr3t-path-token');
  });
});

describe('Slack and Teams', () => {
  it('posts a Block Kit message to Slack, URL taken from a secret reference', async () => {
    const r = await receiver();
    const urlEnv = { SLACK_URL: `${r.url}/services/T000/B000/XXXXSECRET` };
    const log = captureLogger();
    const d = new NotificationDispatcher([{ type: 'slack', url: { env: 'SLACK_URL' } }], {
      secret: (ref) => resolveSecret(ref, urlEnv),
      logger: log.logger,
      baseDelayMs: 10,
    });
    d.notify(sampleEvent());
    await d.drain(5000);

    expect(r.requests).toHaveLength(1);
    const { headers, body, path } = r.requests[0]!;
    expect(path).toBe('/services/T000/B000/XXXXSECRET');
    expect(headers['webhook-signature']).toBeUndefined();
    const message = JSON.parse(body);
    expect(message.text).toContain('Review requested');
    expect(message.blocks.map((b: { type: string }) => b.type)).toEqual([
      'header',
      'section',
      'rich_text',
      'actions',
      'context',
    ]);
    expect(message.blocks[3].elements[0]).toMatchObject({
      type: 'button',
      text: { text: 'Review' },
      url: 'https://gatehouse.example.com/tickets/tkt_01',
    });
    expect(log.text()).not.toContain('XXXXSECRET');
  });

  it('posts an Adaptive Card message to Teams and keeps the URL out of the logs on failure', async () => {
    const r = await receiver({ script: [404] });
    const { dispatcher: d, log } = dispatcher([
      { type: 'teams', url: `${r.url}/workflows/abc/triggers/manual?sig=TEAMSSIG123` },
    ]);
    d.notify(sampleEvent({ type: 'ticket.expired', ticket: { status: 'expired' } }));
    await d.drain(5000);

    const message = JSON.parse(r.requests[0]!.body);
    expect(message.type).toBe('message');
    expect(message.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(message.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(JSON.stringify(message)).toContain('Review expired · prod-db');
    // The receiver echoed the path in its 404 body; the log must not repeat it.
    const failure = log.records.find((rec) => rec.level === 50)!;
    expect(failure['reason']).toMatch(/^HTTP 404: error 404 at \[redacted\]/);
    expect(log.text()).not.toContain('TEAMSSIG123');
    expect(log.text()).not.toContain('/workflows/abc');
  });

  it('fans out to every notifier and honours their event filters', async () => {
    const slack = await receiver();
    const hook = await receiver({ secret: SECRET });
    const { dispatcher: d } = dispatcher([
      { type: 'slack', url: slack.url, events: ['ticket.created'] },
      webhook(hook.url),
    ]);
    d.notify(sampleEvent({ type: 'ticket.created' }));
    d.notify(sampleEvent({ type: 'ticket.decided', ticket: { status: 'approved' } }));
    await d.drain(5000);
    expect(slack.requests).toHaveLength(1);
    expect(hook.requests.map((req) => JSON.parse(req.body).type)).toEqual([
      'ticket.created',
      'ticket.decided',
    ]);
    const ids = hook.requests.map((req) => req.headers['webhook-id']);
    expect(ids[0]).not.toBe(ids[1]);
  });
});

describe('failure isolation and shutdown', () => {
  it('a 410 Gone disables the notifier; later events are dropped with a log line', async () => {
    const r = await receiver({ secret: SECRET, script: [410] });
    const { dispatcher: d, log } = dispatcher([webhook(r.url)]);
    d.notify(sampleEvent());
    await new Promise((resolve) => setTimeout(resolve, 300));
    d.notify(sampleEvent());
    await d.drain(5000);
    expect(r.requests).toHaveLength(1);
    expect(d.stats()).toMatchObject({ failed: 2, attempts: 1 });
    expect(log.records.filter((rec) => rec.level === 50).map((rec) => rec['reason'])).toEqual([
      expect.stringMatching(/^HTTP 410/),
      'notifier disabled after 410 Gone',
    ]);
  });

  it('drain() abandons retries still waiting at its deadline, and later notify() is dropped', async () => {
    const r = await receiver({ secret: SECRET, script: [500, 500, 500] });
    const { dispatcher: d, log } = dispatcher([webhook(r.url)], { baseDelayMs: 60_000 });
    d.notify(sampleEvent());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await d.drain(300);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.requests).toHaveLength(1);
    expect(d.stats()).toMatchObject({ delivered: 0, failed: 1, pending: 0 });
    expect(log.records.some((rec) => rec.msg === 'notification abandoned at shutdown')).toBe(true);

    d.notify(sampleEvent());
    expect(d.stats().failed).toBe(2);
    expect(r.requests).toHaveLength(1);
  });

  it('a broken event or a broken notifier never throws out of notify()', async () => {
    const r = await receiver({ secret: SECRET });
    const { dispatcher: d, log } = dispatcher([{ type: 'slack', url: r.url }, webhook(r.url)]);
    expect(() => d.notify(null as never)).not.toThrow();
    // Slack formatting needs ticket fields; the webhook body does not.
    expect(() =>
      d.notify({ type: 'ticket.created', ticket: { id: 'x' }, url: 'u' } as never),
    ).not.toThrow();
    await d.drain(5000);
    expect(log.records.filter((rec) => rec.level === 50).map((rec) => rec.msg)).toEqual([
      'notification could not be queued',
      'notification could not be rendered',
    ]);
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]!.verified).toBe(true);
  });

  it('caps pending deliveries', async () => {
    const r = await receiver({ secret: SECRET, script: ['hang', 'hang'] });
    const { dispatcher: d } = dispatcher([webhook(r.url, { timeout: 300 })], {
      maxPending: 1,
      maxAttempts: 1,
    });
    d.notify(sampleEvent());
    d.notify(sampleEvent());
    expect(d.stats()).toMatchObject({ pending: 1, failed: 1 });
    await d.drain(5000);
    expect(d.stats()).toMatchObject({ pending: 0, failed: 2, delivered: 0 });
  });
});

describe('configuration is checked at construction', () => {
  const log = captureLogger();
  const build = (config: NotifierConfig, resolve = secret) =>
    new NotificationDispatcher([config], { secret: resolve, logger: log.logger });

  it('refuses plain http except on loopback', () => {
    expect(() => build({ type: 'slack', url: 'http://hooks.example.com/x' })).toThrow(
      /reviews\.notifiers\[0\]\.url must use https/,
    );
    expect(() => build({ type: 'slack', url: 'https://hooks.example.com/x' })).not.toThrow();
    expect(() => build({ type: 'slack', url: 'http://[::1]:9/x' })).not.toThrow();
  });

  it('needs a valid signing secret for webhooks, and never prints it', () => {
    expect(() => build({ type: 'webhook', url: 'https://h.example.com' })).toThrow(
      /secret is required/,
    );
    const weak = 'whsec_c2hvcnQ=';
    let message = '';
    try {
      build(webhook('https://h.example.com'), () => weak);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^reviews\.notifiers\[0\]\.secret: .*24-64 bytes/);
    expect(message).not.toContain(weak);
  });

  it('names the key path when a secret reference does not resolve', () => {
    expect(() => build({ type: 'teams', url: { env: 'NO_SUCH_VARIABLE_X' } })).toThrow(
      'reviews.notifiers[0].url: environment variable NO_SUCH_VARIABLE_X is not set',
    );
  });
});
