import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';
import { ensureWebBuild } from './web-build.js';

/**
 * The console's server side through a real gateway, as a browser would talk to it but without
 * one: dev sign-in, the cookie session on the REST API, CSRF refusals, the live ticket stream,
 * the policy tester and the static files.
 */
const RULES = [
  {
    name: 'drops-need-a-dba',
    when: { statement: ['drop_table'] },
    action: 'review',
    review: { approvers: ['dba'], wait: '30s', timeout: '1h' },
  },
];

const ready = await requirePostgres();

describe.runIf(ready)('console API', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let base: string;
  let host: string;

  beforeAll(async () => {
    await ensureWebBuild();
    db = await createDatabase('gh_console_api');
    await db.exec('create table doomed (id int)');
    gw = await startTestGateway({ database: db.name, rules: RULES });
    base = gw.gateway.apiUrl;
    host = new URL(base).host;
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  /** Signs in through the dev form; returns the Cookie header and the CSRF token. */
  async function signIn(subject: string, groups: string[]) {
    const response = await fetch(`${base}/console/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ subject, groups }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .filter((c) => !c.endsWith('='))
      .join('; ');
    const session = (await (
      await fetch(`${base}/console/session`, { headers: { cookie } })
    ).json()) as {
      signedIn: boolean;
      csrf: string;
      identity: { subject: string; groups: string[] };
    };
    return { cookie, csrf: session.csrf, session, setCookies: response.headers.getSetCookie() };
  }

  it('signs in with the dev issuer into an http-only, Secure, SameSite=Strict cookie', async () => {
    const { session, setCookies } = await signIn('alice', ['dba']);
    expect(session.signedIn).toBe(true);
    expect(session.identity).toMatchObject({ subject: 'alice', groups: ['dba'] });
    const main = setCookies.find((c) => c.startsWith('gatehouse_session='))!;
    expect(main).toMatch(/HttpOnly/);
    expect(main).toMatch(/Secure/);
    expect(main).toMatch(/SameSite=Strict/);
    expect(main).toMatch(/Path=\//);
    expect(Number(/Max-Age=(\d+)/.exec(main)![1])).toBeGreaterThan(3600);

    const anonymous = await (await fetch(`${base}/console/session`)).json();
    expect(anonymous).toEqual({ signedIn: false, signIn: { dev: true } });
  });

  it('refuses a dev sign-in that a browser says came from another site', async () => {
    for (const headers of [{ origin: 'http://evil.example' }, { 'sec-fetch-site': 'cross-site' }]) {
      const response = await fetch(`${base}/console/dev-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ subject: 'mallory', groups: ['dba'] }),
      });
      expect(response.status).toBe(403);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    const bad = await fetch(`${base}/console/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ subject: 'a b', groups: ['dba'] }),
    });
    expect(bad.status).toBe(400);
  });

  it('lets the cookie session call the REST API, and checks CSRF on writes only', async () => {
    const { cookie, csrf } = await signIn('alice', ['dba']);
    expect((await fetch(`${base}/api/approvals`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/api/approvals`)).status).toBe(401);

    const post = (headers: Record<string, string>) =>
      fetch(`${base}/api/approvals/tkt_missing/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...headers },
        body: '{}',
      });
    const refused = async (headers: Record<string, string>) => {
      const response = await post(headers);
      const body = (await response.json()) as { error: string; message: string };
      return { status: response.status, ...body };
    };
    expect(await refused({})).toMatchObject({ status: 403, error: 'access_denied' });
    expect((await refused({ 'x-gatehouse-csrf': 'forged' })).message).toMatch(/x-gatehouse-csrf/);
    expect(
      (await refused({ 'x-gatehouse-csrf': csrf, origin: 'http://evil.example' })).message,
    ).toMatch(/origin/);
    expect(
      (await refused({ 'x-gatehouse-csrf': csrf, 'sec-fetch-site': 'same-site' })).message,
    ).toMatch(/Sec-Fetch-Site/);
    // Past the CSRF check: the ticket simply does not exist.
    expect(
      await refused({ 'x-gatehouse-csrf': csrf, origin: base, 'sec-fetch-site': 'same-origin' }),
    ).toMatchObject({
      status: 404,
      error: 'not_found',
    });
    // Another session's token is no good for this one.
    const other = await signIn('carol', ['dba']);
    expect((await refused({ 'x-gatehouse-csrf': other.csrf })).status).toBe(403);
  });

  it('prefers an Authorization header and never falls back to the cookie when one is sent', async () => {
    const { cookie } = await signIn('alice', ['dba']);
    const response = await fetch(`${base}/api/approvals`, {
      headers: { cookie, authorization: 'Bearer not-a-token' },
    });
    expect(response.status).toBe(401);
    const bearer = await fetch(`${base}/api/approvals`, {
      headers: { authorization: `Bearer ${await gw.token('alice', { groups: ['dba'] })}` },
    });
    expect(bearer.status).toBe(200);
  });

  it('forgets a session whose token no longer verifies', async () => {
    const response = await fetch(`${base}/console/session`, {
      headers: { cookie: 'gatehouse_session=eyJhbGciOiJFUzI1NiJ9.e30.AAAA' },
    });
    const body = (await response.json()) as { signedIn: boolean };
    expect(body.signedIn).toBe(false);
    expect(
      response.headers.getSetCookie().some((c) => /^gatehouse_session=;.*Max-Age=0/.test(c)),
    ).toBe(true);
  });

  it('signs out: a CSRF-checked write that clears every session cookie chunk', async () => {
    const { cookie, csrf } = await signIn('alice', ['dba']);
    const forged = await fetch(`${base}/console/logout`, { method: 'POST', headers: { cookie } });
    expect(forged.status).toBe(403);
    const response = await fetch(`${base}/console/logout`, {
      method: 'POST',
      headers: { cookie, 'x-gatehouse-csrf': csrf },
    });
    expect(response.status).toBe(204);
    const cleared = response.headers.getSetCookie().filter((c) => c.includes('Max-Age=0'));
    expect(cleared.map((c) => c.split('=')[0])).toEqual([
      'gatehouse_session',
      'gatehouse_session.1',
      'gatehouse_session.2',
      'gatehouse_session.3',
    ]);
  });

  it('pushes held tickets over server-sent events to reviewers who may see them, not to others', async () => {
    const reviewer = await signIn('alice', ['dba']);
    const outsider = await signIn('eve', ['marketing']);
    const alice = await openStream(base, reviewer.cookie);
    const eve = await openStream(base, outsider.cookie);
    expect(await alice.next()).toEqual({ event: 'ready', data: {} });
    expect(await eve.next()).toEqual({ event: 'ready', data: {} });

    const client = new pg.Client(
      await gw.clientConfig('agent-9', { groups: ['agents'], agent: true }),
    );
    await client.connect();
    const held = client.query('DROP TABLE doomed').catch((err: Error) => err);
    const event = await alice.next();
    expect(event.event).toBe('ticket');
    expect(event.data).toMatchObject({
      command: 'DROP TABLE doomed',
      status: 'pending',
      rule: 'drops-need-a-dba',
      requester: { subject: 'agent-9', agent: true },
      viewer: { canDecide: true },
    });

    // Deny through the cookie session; the stream reports the decision too.
    const id = (event.data as { id: string }).id;
    const denied = await fetch(`${base}/api/approvals/${id}/deny`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: reviewer.cookie,
        'x-gatehouse-csrf': reviewer.csrf,
      },
      body: JSON.stringify({ rationale: 'not today' }),
    });
    expect(denied.status).toBe(200);
    expect(await alice.next()).toMatchObject({ event: 'ticket', data: { id, status: 'denied' } });
    expect(String(await held)).toContain('not today');
    await client.end();

    expect(await eve.pending(300)).toBe(true);
    alice.close();
    eve.close();
  });

  it('explains a command with the policy tester: the same classifier and rules as the CLI', async () => {
    const { cookie, csrf } = await signIn('alice', ['dba']);
    const headers = { 'content-type': 'application/json', cookie, 'x-gatehouse-csrf': csrf };
    const connectors = await (
      await fetch(`${base}/api/policy/connectors`, { headers: { cookie } })
    ).json();
    expect(connectors).toEqual([
      { name: 'pg', type: 'postgres', database: db.name, testable: true },
    ]);

    const test = (body: unknown) =>
      fetch(`${base}/api/policy/test`, { method: 'POST', headers, body: JSON.stringify(body) });
    const held = await test({
      connector: 'pg',
      subject: 'bot',
      agent: true,
      command: '/* x */ drop table "doomed"',
    });
    expect(held.status).toBe(200);
    expect(await held.json()).toMatchObject({
      decision: { action: 'review', rule: 'drops-need-a-dba' },
      classes: expect.arrayContaining(['drop_table']),
      database: db.name,
      rules: [{ rule: 'drops-need-a-dba', matched: true, unmet: [] }],
    });
    const allowed = await (
      await test({ connector: 'pg', subject: 'bot', command: 'select 1' })
    ).json();
    expect(allowed).toMatchObject({
      decision: { action: 'allow', default: 'allow' },
      classes: ['read'],
    });
    expect((await test({ connector: 'nope', subject: 'bot', command: 'select 1' })).status).toBe(
      404,
    );
    expect((await test({ connector: 'pg', command: 'select 1' })).status).toBe(400);
    const noCsrf = await fetch(`${base}/api/policy/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ connector: 'pg', subject: 'bot', command: 'select 1' }),
    });
    expect(noCsrf.status).toBe(403);
  });

  it('serves the built console at / with a strict content security policy', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(
      /default-src 'self'.*frame-ancestors 'none'/,
    );
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${base}${script}`);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect((await asset.text()).length).toBeGreaterThan(1000);
    expect((await fetch(`${base}/assets/../../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/src/main.tsx`)).status).toBe(404);
    expect(host).toMatch(/^127\.0\.0\.1:\d+$/);
    const openapi = (await (await fetch(`${base}/api/openapi.json`)).json()) as { paths: object };
    const paths = Object.keys(openapi.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/approvals/stream',
        '/api/policy/connectors',
        '/api/policy/test',
      ]),
    );
    expect(
      paths.filter((p) => !p.startsWith('/api/') && !/^\/(healthz|readyz|metrics)$/.test(p)),
    ).toEqual([]);
  });
});

interface StreamEvent {
  event: string;
  data: unknown;
}

/** Reads server-sent events from /api/approvals/stream as a browser's EventSource would. */
async function openStream(base: string, cookie: string) {
  const abort = new AbortController();
  const response = await fetch(`${base}/api/approvals/stream`, {
    headers: { cookie, accept: 'text/event-stream' },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const queue: StreamEvent[] = [];
  let waiting: ((event: StreamEvent) => void) | undefined;
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data !== undefined) {
            const parsed = { event, data: JSON.parse(data) as unknown };
            if (waiting) {
              waiting(parsed);
              waiting = undefined;
            } else queue.push(parsed);
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    next(timeoutMs = 10_000): Promise<StreamEvent> {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no event in time')), timeoutMs);
        waiting = (event) => {
          clearTimeout(timer);
          resolve(event);
        };
      });
    },
    /** True when no event arrived within `ms`. */
    async pending(ms: number): Promise<boolean> {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return queue.length === 0;
    },
    close: () => abort.abort(),
  };
}
