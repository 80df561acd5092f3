import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium); Playwright downloads no browser here. */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Everything the page logged as an error or threw, for "no console errors" assertions; with
 * `origin`, only what came from pages or resources of that origin (not an identity provider's).
 */
export function collectConsoleErrors(page: Page, origin?: string): string[] {
  const errors: string[] = [];
  const ours = (url: string) => origin === undefined || url.startsWith(origin);
  page.on('console', (message) => {
    if (message.type() === 'error' && ours(message.location().url || page.url())) {
      errors.push(message.text());
    }
  });
  page.on('pageerror', (error) => {
    if (ours(page.url())) errors.push(String(error));
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Form controls without an accessible name: must stay empty on every page. */
export function unlabelledControls(page: Page): Promise<string[]> {
  // A string runs in the page; the test's own types know no DOM.
  return page.evaluate(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => !((el.labels && el.labels.length > 0) || el.getAttribute('aria-label') ||
      el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim())))
    .map((el) => el.outerHTML.slice(0, 120))`);
}

/** Signs in through the console's dev sign-in form. */
export async function devSignIn(
  page: Page,
  baseUrl: string,
  who: { subject: string; name: string; groups: string },
) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Subject').fill(who.subject);
  await page.getByLabel('Display name').fill(who.name);
  await page.getByLabel('Groups').fill(who.groups);
  await page.getByRole('button', { name: 'Sign in with the dev issuer' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
}

/** Retries an assertion until it passes or `timeoutMs` is up (pages update asynchronously). */
export async function eventually(
  assertion: () => Promise<void> | void,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
