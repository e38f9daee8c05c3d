// Shared helpers for the playground specs.
import { expect } from '@playwright/test';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(here, '..', 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

/** Records every request the page makes, so a test can assert none leaves 127.0.0.1. */
export function trackRequests(page) {
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}

/** Requests that went anywhere but the local server (data: and blob: stay in the page). */
export function foreign(urls) {
  return urls.filter((u) => {
    const url = new URL(u);
    if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
    return url.hostname !== '127.0.0.1';
  });
}

/** Collects console errors and uncaught exceptions. */
export function trackErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}

/** The query row for a query text. */
export function row(page, query) {
  return page.locator(`.q-row[data-query="${query.replace(/"/g, '\\"')}"]`);
}

/** Waits until a row shows a verdict and asserts it. */
export async function expectVerdict(page, query, verdict) {
  await expect(row(page, query)).toHaveAttribute('data-verdict', verdict);
}

/** Replaces the text in the editor as a user edit would (an input event on the textarea). */
export async function setEditorText(page, text) {
  await page.locator('#editor').fill(text);
}

export async function editorText(page) {
  return page.locator('#editor').inputValue();
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Opens the playground on a clean slate (no autosave from an earlier test). */
export async function openFresh(page, fragment = '') {
  await page.goto('./' + fragment);
  await page.evaluate(() => localStorage.clear());
  await page.goto('./' + fragment);
  await page.waitForSelector('.q-row');
}
