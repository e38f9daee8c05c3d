// Takes docs/screenshot.png (the README's picture of the playground).
// Usage: ARMORLAB_URL=http://127.0.0.1:8080 node tests/browser/screenshot.mjs [OUT]
import { chromium } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS, BASE_URL } from './chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || path.join(here, '..', '..', 'docs', 'screenshot.png');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(BASE_URL);
  await page.waitForSelector('.q-row[data-verdict]');
  // Show the "why" of the most asked question: may a container write core_pattern?
  const row = page.locator('.q-row[data-query="w /proc/sys/kernel/core_pattern"]');
  await row.getByRole('button', { name: 'why' }).click();
  await page.locator('#add-query').focus();
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
