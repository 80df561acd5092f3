import type { ChildProcess } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ApiClient, tableExists } from '../approvals/flow-helpers.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { type ProcessResult, psql } from '../helpers/psql.js';
import { requireCommands, requirePostgres } from '../helpers/services.js';
import {
  collectConsoleErrors,
  devSignIn,
  eventually,
  launchChromium,
  screenshot,
  unlabelledControls,
} from './browser.js';
import { ensureWebBuild } from './web-build.js';

/**
 * The reviewer console in Debian's Chromium against a real gateway (dev issuer, SQLite store,
 * the machine's PostgreSQL as target): a reviewer signs in, an agent's psql DROP TABLE appears
 * live, the reviewer approves or denies it, and psql finishes accordingly.
 */
const RULES = [
  {
    name: 'destructive-changes-need-a-dba',
    when: { statement: ['drop_table', 'truncate'] },
    action: 'review',
    review: { approvers: ['dba'], wait: '60s', timeout: '1h' },
  },
  {
    name: 'agents-unbounded-deletes',
    when: { statement: ['delete'], where: 'absent', agent: true },
    action: 'review',
    review: { approvers: ['dba'], wait: '60s', timeout: '1h' },
  },
];

const AGENT = { subject: 'release-agent', claims: { groups: ['agents'], agent: true } };

const ready = (await requirePostgres()) && requireCommands(['psql']);

describe.runIf(ready)('reviewer console (Chromium)', { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];
  const pageErrors = new Map<Page, string[]>();
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    await ensureWebBuild();
    db = await createDatabase('gh_console');
    await db.exec(`
      create table orders (id int primary key, customer text, total numeric);
      insert into orders values (1, 'ada', 12.50), (2, 'grace', 99.00), (3, 'linus', 7.25);
      create table customers (id int primary key, name text);
      insert into customers values (1, 'ada'), (2, 'grace');
      create table line_items (id int primary key);
    `);
    gw = await startTestGateway({
      database: db.name,
      rules: RULES,
      access: { groups: ['*'] },
      // Reviewers in dba may change the central policy (the last test does).
      configure: (config) => {
        config['policy'] = { editors: ['dba'] };
      },
    });
    base = gw.gateway.apiUrl;
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGTERM');
    await browser?.close();
    await gw?.close();
    await db?.drop();
  });

  afterEach(() => {
    for (const [page, errors] of pageErrors) {
      expect(errors, `console errors on ${page.url()}`).toEqual([]);
    }
  });

  async function openPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    pageErrors.set(page, collectConsoleErrors(page));
    return page;
  }

  /** psql as `who` through the gateway; resolves when psql exits. */
  async function runPsql(who: typeof AGENT, sql: string): Promise<ProcessResult> {
    const target = await gw.clientConfig(who.subject, who.claims);
    return psql(
      {
        host: target.host!,
        port: Number(target.port),
        user: who.subject,
        database: db.name,
        password: String(target.password),
      },
      sql,
      [],
      (child) => running.push(child),
    );
  }

  const api = async (subject: string, groups: string[]) =>
    new ApiClient(base, await gw.token(subject, { groups }));

  let reviewer: Page;

  it('signs a reviewer in, shows an agent’s held DROP TABLE without reloading, and approving lets psql finish', async () => {
    reviewer = await openPage();
    await devSignIn(reviewer, base, { subject: 'alice', name: 'Alice Reviewer', groups: 'dba' });
    await reviewer.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    expect(await unlabelledControls(reviewer)).toEqual([]);
    await reviewer.evaluate('window.loadedOnce = 1');

    const done = runPsql(
      AGENT,
      'SELECT id, customer, total FROM orders ORDER BY id;\nDROP TABLE orders;\n',
    );
    const item = reviewer.locator('.ticket-item', { hasText: 'DROP TABLE orders' });
    await item.waitFor({ timeout: 15_000 });
    // Same document: the ticket arrived over the event stream, not through a reload.
    expect(await reviewer.evaluate('window.loadedOnce')).toBe(1);
    await item.locator('.badge-agent').waitFor();
    await item.locator('.chip-danger', { hasText: 'drop_table' }).waitFor();
    await screenshot(reviewer, 'inbox');

    await item.click();
    await reviewer.waitForURL(/#\/approvals\//);
    const detail = reviewer.locator('.ticket-detail');
    await detail.getByText('destructive-changes-need-a-dba').waitFor();
    await detail.locator('.stmt-label-danger', { hasText: 'DROP TABLE' }).waitFor();
    await screenshot(reviewer, 'ticket');

    await detail.getByRole('button', { name: 'Approve', exact: true }).click();
    await detail.locator('.status-approved').waitFor();
    const result = await done;
    expect(result.stdout).toContain('DROP TABLE');
    expect(await tableExists(db, 'orders')).toBe(false);
  });

  it('denies with a rationale (required) and the agent sees it', async () => {
    const rationale = 'customers is production data; ship this as a reviewed migration';
    const done = runPsql(AGENT, 'DROP TABLE customers;\n');
    const item = reviewer.locator('.ticket-item', { hasText: 'DROP TABLE customers' });
    await item.waitFor({ timeout: 15_000 });
    await item.click();
    const detail = reviewer.locator('.ticket-detail', { hasText: 'DROP TABLE customers' });

    await detail.getByRole('button', { name: 'Deny' }).click();
    await detail.getByRole('alert').filter({ hasText: 'rationale is required to deny' }).waitFor();
    await eventually(async () =>
      expect(
        await reviewer.evaluate(
          "document.activeElement?.labels?.[0]?.textContent?.startsWith('Rationale') === true",
        ),
      ).toBe(true),
    );
    const alice = await api('alice', ['dba']);
    expect((await alice.ticketsFor('DROP TABLE customers;'))[0]?.status).toBe('pending');

    await detail.getByLabel(/Rationale/).fill(rationale);
    await detail.getByRole('button', { name: 'Deny' }).click();
    await detail.locator('.status-denied').waitFor();
    expect(await detail.locator('.decisions blockquote').textContent()).toBe(rationale);
    const result = await done;
    expect(result.stderr).toContain('42501');
    expect(result.stderr).toContain(rationale);
    expect(await tableExists(db, 'customers')).toBe(true);
  });

  it('shows the requester its own ticket but not the means to approve it, with the reason', async () => {
    const bob = { subject: 'bob', claims: { groups: ['dba'], agent: false } };
    const done = runPsql(bob, 'DROP TABLE line_items;\n');
    const page = await openPage();
    await devSignIn(page, base, { subject: 'bob', name: 'Bob Builder', groups: 'dba' });
    const item = page.locator('.ticket-item', { hasText: 'DROP TABLE line_items' });
    await item.waitFor({ timeout: 15_000 });
    await item.click();
    const detail = page.locator('.ticket-detail', { hasText: 'DROP TABLE line_items' });
    await detail
      .getByRole('note')
      .filter({ hasText: 'requesters cannot review their own ticket' })
      .waitFor();
    expect(await detail.getByRole('button', { name: 'Approve', exact: true }).isDisabled()).toBe(
      true,
    );
    expect(await detail.getByRole('button', { name: 'Deny' }).isDisabled()).toBe(true);
    await screenshot(page, 'requester-own-ticket');

    // Through the API too: the session cookie is no way around the rule.
    const status = await page.evaluate(`(async () => {
      const session = await (await fetch('/console/session')).json();
      const [ticket] = await (await fetch('/api/approvals?status=pending')).json();
      const response = await fetch('/api/approvals/' + ticket.id + '/approve', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gatehouse-csrf': session.csrf },
        body: '{}',
      });
      return response.status;
    })()`);
    expect(status).toBe(403);
    // Chromium logs that deliberate 403 as a console error; it is the expected refusal.
    pageErrors.get(page)!.splice(0);

    const alice = await api('alice', ['dba']);
    const [ticket] = await alice.ticketsFor('DROP TABLE line_items;');
    await alice.decide(ticket!.id, 'deny', { rationale: 'cleanup after the test' });
    await done;
  });

  it('replays the agent’s session: commands in order with decisions, tickets and results', async () => {
    await reviewer.goto(`${base}/#/sessions?subject=${AGENT.subject}`);
    const rows = reviewer.locator('table tbody tr');
    await rows.first().waitFor();
    await screenshot(reviewer, 'sessions');
    // Newest first: the session that ran the SELECT and the approved DROP is the older one.
    const row = rows.filter({ hasText: AGENT.subject }).last();
    await row.getByRole('link').click();
    await reviewer.getByRole('heading', { name: /Session on/ }).waitFor();
    const entries = reviewer.locator('.timeline > li');
    await eventually(async () => expect(await entries.count()).toBe(2));
    expect(await entries.nth(0).textContent()).toContain('SELECT id, customer, total FROM orders');
    expect(await entries.nth(1).textContent()).toContain('DROP TABLE orders');
    await entries.nth(1).locator('.status-review').waitFor();
    await entries
      .nth(1)
      .getByRole('link', { name: /ticket/ })
      .waitFor();
    expect(await unlabelledControls(reviewer)).toEqual([]);
    await screenshot(reviewer, 'session-replay');
  });

  it('modifies a held command: the reviewer’s text runs instead, with the rationale recorded', async () => {
    await reviewer.goto(`${base}/#/`);
    await reviewer.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const done = runPsql(AGENT, 'TRUNCATE customers;\n');
    const item = reviewer.locator('.ticket-item', { hasText: 'TRUNCATE customers' });
    await item.waitFor({ timeout: 15_000 });
    await item.click();
    const detail = reviewer.locator('.ticket-detail', { hasText: 'TRUNCATE customers' });
    await detail.getByRole('button', { name: 'Modify…' }).click();
    await detail.getByLabel('Command to run instead').fill('DELETE FROM customers WHERE id = 2;');
    await detail.getByLabel(/Rationale/).fill('only the test customer goes');
    await detail.getByRole('button', { name: 'Approve modified command' }).click();
    await detail.locator('.status-modified').waitFor();
    await detail.getByRole('region', { name: 'Command that runs' }).waitFor();
    await detail
      .locator('.decisions blockquote', { hasText: 'only the test customer goes' })
      .waitFor();
    expect((await done).stdout).toContain('DELETE 1');
    const client = await db.connect();
    try {
      const { rows } = await client.query('select id from customers order by id');
      expect(rows).toEqual([{ id: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('lets a reviewer decide with the keyboard alone', async () => {
    await reviewer.goto(`${base}/#/`);
    await reviewer.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const done = runPsql(AGENT, 'TRUNCATE line_items;\n');
    const item = reviewer.locator('.ticket-item', { hasText: 'TRUNCATE line_items' });
    await item.waitFor({ timeout: 15_000 });
    await item.focus();
    await reviewer.keyboard.press('Enter');
    await reviewer.waitForURL(/#\/approvals\//);
    const detail = reviewer.locator('.ticket-detail', { hasText: 'TRUNCATE line_items' });
    await detail.waitFor();
    let onApprove = false;
    for (let i = 0; i < 40 && !onApprove; i++) {
      await reviewer.keyboard.press('Tab');
      onApprove = await reviewer.evaluate(
        "document.activeElement?.tagName === 'BUTTON' && document.activeElement.textContent === 'Approve' && document.activeElement.closest('.ticket-detail')?.textContent.includes('TRUNCATE line_items')",
      );
    }
    expect(onApprove).toBe(true);
    await reviewer.keyboard.press('Enter');
    await detail.locator('.status-approved').waitFor();
    expect((await done).stdout).toContain('TRUNCATE TABLE');
  });

  it('replays a recorded terminal session with asciinema-player', async () => {
    // No connector records terminals yet: the browser is handed a session and an asciicast v2
    // recording at the network layer, so the player itself runs for real in the page.
    const id = '00000000-0000-4000-8000-0000000000aa';
    const cast = [
      JSON.stringify({ version: 2, width: 80, height: 12, timestamp: 1764000000 }),
      JSON.stringify([0.1, 'o', '\u001b[32mops@db-1\u001b[0m:~$ ']),
      JSON.stringify([0.6, 'o', 'sudo systemctl restart postgresql\r\n']),
      JSON.stringify([1.2, 'o', '\u001b[32mops@db-1\u001b[0m:~$ ']),
    ].join('\n');
    const page = await openPage();
    await devSignIn(page, base, { subject: 'alice', name: 'Alice Reviewer', groups: 'dba' });
    await page.route(`**/api/sessions/${id}`, (route) =>
      route.fulfill({
        json: {
          id,
          connector: 'ssh-prod',
          protocol: 'ssh',
          identity: { issuer: 'dev', subject: 'ops-agent', groups: ['agents'], agent: true },
          client: { address: '127.0.0.1', tls: true },
          startedAt: '2026-11-25T02:00:00.000Z',
          endedAt: '2026-11-25T02:00:02.000Z',
          endReason: 'client closed',
          commandCount: 0,
          recording: true,
          commands: [],
        },
      }),
    );
    await page.route(`**/api/sessions/${id}/recording`, (route) =>
      route.fulfill({ body: cast, contentType: 'application/x-asciicast' }),
    );
    await page.goto(`${base}/#/sessions/${id}`);
    await page.getByRole('heading', { name: 'Terminal replay' }).waitFor();
    await page.locator('.ap-player').waitFor();
    await page.locator('.ap-player').click();
    await eventually(async () =>
      expect(await page.locator('.ap-player').textContent()).toContain('systemctl restart'),
    );
    await screenshot(page, 'terminal-replay');
  });

  it('explains a decision in the policy tester with the rule that produced it', async () => {
    await reviewer.goto(`${base}/#/policy`);
    await reviewer.getByLabel('Command', { exact: true }).fill('DELETE FROM orders;');
    await reviewer.getByRole('button', { name: 'Test' }).click();
    const verdict = reviewer.locator('.verdict');
    await verdict.locator('.status-review').waitFor();
    expect(await verdict.textContent()).toContain('agents-unbounded-deletes');
    // The tester knows the DELETE has no WHERE, so its class is marked red.
    await reviewer.locator('.tester-result .chip-danger', { hasText: 'delete' }).waitFor();
    expect(await unlabelledControls(reviewer)).toEqual([]);
    await screenshot(reviewer, 'policy-tester');
  });

  it('applies a central policy version, refuses an invalid one by line, and shows the history', async () => {
    await reviewer.goto(`${base}/#/policy-versions`);
    await reviewer.getByRole('heading', { name: 'Policy versions' }).waitFor();
    await reviewer.getByText('No central version yet').waitFor();
    const documentField = reviewer.getByLabel(/^Document/);
    await documentField.fill('connectors:\n  - name: pg\n    default: maybe\n');
    await reviewer.getByRole('button', { name: 'Apply' }).click();
    const refusal = reviewer.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/line 3: connectors\[0\]\.default/);
    // Chromium logs the 400 that refused the document; that one is expected, nothing else is.
    const errors = pageErrors.get(reviewer)!;
    const expected = errors.findIndex((e) => e.includes('status of 400'));
    expect(expected).toBeGreaterThanOrEqual(0);
    errors.splice(expected, 1);

    const rules = [
      ...RULES,
      {
        name: 'no-truncating-orders',
        when: { statement: ['truncate'] },
        action: 'deny',
        reason: 'orders are kept',
      },
    ];
    await documentField.fill(stringify({ connectors: [{ name: 'pg', rules }] }));
    await reviewer.getByLabel('Why').fill('keep the orders');
    await reviewer.getByRole('button', { name: 'Apply' }).click();
    await reviewer.getByRole('status').filter({ hasText: 'Version 1 is in force.' }).waitFor();
    const row = reviewer.locator('tbody tr', { hasText: 'keep the orders' });
    await row.getByRole('button', { name: '1 (in force)' }).waitFor();
    expect(await reviewer.getByLabel('Version 1').textContent()).toContain('no-truncating-orders');

    // In force at once: the agent's TRUNCATE is refused by the new rule.
    const refused = await runPsql(AGENT, 'TRUNCATE line_items;\n');
    expect(refused.stderr).toContain('no-truncating-orders');
    expect(await unlabelledControls(reviewer)).toEqual([]);
    await screenshot(reviewer, 'policy-versions');
  });
});
