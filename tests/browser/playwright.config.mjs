// Playwright configuration for the playground's browser tests.
// Run: ARMORLAB_URL=http://127.0.0.1:8080 npx playwright test --config tests/browser/playwright.config.mjs
// The app must already be served (scripts/serve.sh or python3 -m http.server on dist/).
import { defineConfig } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, BASE_URL } from './chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  testDir: here,
  testMatch: /.*\.spec\.mjs$/,
  outputDir: path.join(here, '..', 'artifacts', 'test-results'),
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: BASE_URL,
    headless: true,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
  },
});
