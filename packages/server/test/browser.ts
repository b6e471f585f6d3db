/**
 * Debian's Chromium driven by playwright-core, for the web console's tests: one browser per test
 * file, a fresh context (cookie jar) per person. Every page visited through `visit` is checked by
 * axe (no serious or critical violation), must raise no CSP violation, and is photographed at
 * 1280 px and 375 px under .test-results/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT } from './harness.js';

/**
 * Debian's chromium-headless-shell: the same Chromium (Blink, V8, the same version as Debian's
 * `chromium`) built for headless use only, as Playwright itself runs headless Chromium. The full
 * browser in headless mode took twice the CPU for the same two test files (57 → 28 s, 45 → 30 s
 * of wall time). ACCT_CHROMIUM picks another binary, e.g. /usr/bin/chromium.
 */
const HEADLESS_SHELL = '/usr/bin/chromium-headless-shell';
export const CHROMIUM = process.env['ACCT_CHROMIUM'] ?? (fs.existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : '/usr/bin/chromium');
export const SCREENSHOTS = path.join(ROOT, '.test-results/screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium-headless-shell (scripts/test installs it)`);
  // Playwright gives each launch a fresh temporary profile (its own --user-data-dir).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** CSP violations and page errors seen so far; `visit` fails on any. */
  problems: string[];
}

/** A new person: their own cookies, one tab, listening for CSP violations and script errors. */
export async function newPerson(browser: Browser, baseURL: string): Promise<Person> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const problems: string[] = [];
  // Added through the DevTools protocol, so the page's CSP does not apply to this listener itself.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (/Content Security Policy|CSP violation/i.test(msg.text())) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  // Destructive buttons confirm first (console.js): a person says yes.
  page.on('dialog', (dialog) => void dialog.accept());
  return { context, page, problems };
}

const shot = new Set<string>();

/**
 * Checks the page a person is on: no CSP violation or script error, axe finds nothing serious
 * or critical; then photographs it at 1280 px and 375 px (once per name).
 */
export async function check(person: Person, name: string): Promise<void> {
  const { page } = person;
  await page.waitForLoadState('load');
  expect(person.problems, `CSP violations or errors on ${name} (${page.url()})`).toEqual([]);
  // Legacy mode: axe.run inside the page. The default (runPartial in each frame, then finishRun in
  // a blank page it opens) started a renderer process per check (console-browser: 45 → 38 s) for
  // cross-origin frames the pages cannot have: their CSP's default-src 'none' leaves no frame-src.
  const results = await new AxeBuilder({ page }).setLegacyMode(true).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), `axe on ${name}`).toEqual([]);
  if (shot.has(name)) return;
  shot.add(name);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(size);
  expect(person.problems, `CSP violations or errors on ${name} after resizing`).toEqual([]);
}

/** Goes to a path and checks the page. */
export async function visit(person: Person, pathname: string, name: string): Promise<void> {
  await person.page.goto(pathname);
  await check(person, name);
}
