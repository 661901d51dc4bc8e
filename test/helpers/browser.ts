/**
 * A page of the live view in Debian's Chromium (headless, driven by
 * playwright-core) for a test: launched, loaded until the page says it is
 * ready, its script errors collected, closed when the test ends.
 */
import { existsSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function viewPage(t: ExecutionContext, url: string): Promise<{ page: Page; errors: string[] }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/ensure-deps.mjs installs it for tests)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]');
  return { page, errors };
}
