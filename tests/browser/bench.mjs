// Playground budgets, printed as figures (never a timed test):
//   1. gzipped size of every asset of the first load (budget: 400 KB),
//   2. navigation start to the first verdicts on screen (budget: 1 s on localhost),
//   3. a keystroke in docker-default to refreshed verdicts (budget: 16 ms).
// Usage: ARMORLAB_URL=http://127.0.0.1:8080 node tests/browser/bench.mjs [--keystrokes N]
import { chromium } from '@playwright/test';
import zlib from 'node:zlib';
import { CHROMIUM, CHROMIUM_ARGS, BASE_URL } from './chromium.mjs';

const KEYSTROKES = Number(process.argv[process.argv.indexOf('--keystrokes') + 1]) || 40;
const RUNS = 5;

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}
const fmt = (x) => x.toFixed(1);

// Records, in the page, when every query row first carries a verdict, and how long each
// keystroke takes to reach refreshed verdicts (keydown event time to the DOM update that
// bumps the analysis sequence number).
const INIT = () => {
  window.__bench = { firstVerdicts: null, keys: [] };
  const check = () => {
    if (window.__bench.firstVerdicts !== null) return;
    const rows = document.querySelectorAll('.q-row');
    if (rows.length && document.querySelectorAll('.q-row[data-verdict]').length === rows.length) {
      window.__bench.firstVerdicts = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
  let pending = null;
  document.addEventListener('keydown', (e) => {
    const app = document.querySelector('.app');
    if (app) pending = { t: e.timeStamp, seq: app.dataset.analysisSeq };
  }, true);
  new MutationObserver(() => {
    const app = document.querySelector('.app');
    if (pending && app && app.dataset.analysisSeq !== pending.seq) {
      window.__bench.keys.push({ ms: performance.now() - pending.t, analysis: Number(app.dataset.analysisMs) });
      pending = null;
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-analysis-seq'] });
};

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  // 1. First-load assets, gzipped (what a compressing server would send).
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const bodies = new Map();
  page.on('response', async (r) => {
    try { bodies.set(r.url(), await r.body()); } catch { /* redirects have no body */ }
  });
  await page.goto(BASE_URL);
  await page.waitForSelector('.q-row[data-verdict]');
  await page.waitForLoadState('networkidle');
  let raw = 0;
  let gz = 0;
  console.log('first-load assets:');
  for (const [url, body] of bodies) {
    const z = zlib.gzipSync(body, { level: 9 }).length;
    raw += body.length;
    gz += z;
    console.log(`  ${new URL(url).pathname.padEnd(28)} ${String(body.length).padStart(8)} B  ${String(z).padStart(7)} B gzipped`);
  }
  console.log(`total: ${(raw / 1024).toFixed(1)} KB raw, ${(gz / 1024).toFixed(1)} KB gzipped (budget 400 KB) ${gz <= 400 * 1024 ? 'OK' : 'OVER BUDGET'}`);
  await ctx.close();

  // 2. Navigation to first verdicts, fresh context each run (cold cache).
  const nav = [];
  for (let i = 0; i < RUNS; i++) {
    const c = await browser.newContext();
    const p = await c.newPage();
    await p.addInitScript(INIT);
    await p.goto(BASE_URL);
    await p.waitForFunction(() => window.__bench.firstVerdicts !== null, null, { timeout: 30_000 });
    nav.push(await p.evaluate(() => window.__bench.firstVerdicts));
    await c.close();
  }
  const n = stats(nav);
  console.log(`navigation → first verdicts: median ${fmt(n.median)} ms, max ${fmt(n.max)} ms over ${RUNS} cold loads (budget 1000 ms) ${n.max <= 1000 ? 'OK' : 'OVER BUDGET'}`);

  // 3. Keystrokes in docker-default: type a comment at the end of a rule line.
  const c = await browser.newContext();
  const p = await c.newPage();
  await p.addInitScript(INIT);
  await p.goto(BASE_URL);
  await p.evaluate(() => localStorage.clear());
  await p.goto(BASE_URL);
  await p.waitForFunction(() => window.__bench.firstVerdicts !== null);
  await p.locator('#editor').evaluate((ta) => {
    const at = ta.value.indexOf('  capability,') + '  capability,'.length;
    ta.focus();
    ta.setSelectionRange(at, at);
  });
  // One keystroke at a time: each must reach the screen before the next is pressed.
  const typeOne = async (ch) => {
    const before = await p.evaluate(() => window.__bench.keys.length);
    await p.keyboard.type(ch);
    await p.waitForFunction((n) => window.__bench.keys.length > n, before);
  };
  await typeOne(' ');
  await typeOne('#');
  for (let i = 0; i < KEYSTROKES; i++) await typeOne(String.fromCharCode(97 + (i % 26)));
  const keys = await p.evaluate(() => window.__bench.keys.slice(2));
  const k = stats(keys.map((x) => x.ms));
  const a = stats(keys.map((x) => x.analysis));
  console.log(`keystroke → refreshed verdicts: median ${fmt(k.median)} ms, p95 ${fmt(k.p95)} ms, max ${fmt(k.max)} ms over ${keys.length} keystrokes (budget 16 ms) ${k.p95 <= 16 ? 'OK' : 'OVER BUDGET'}`);
  console.log(`  of which analysis (parse, resolve with includes, compile, ${await p.locator('.q-row').count()} queries): median ${fmt(a.median)} ms, p95 ${fmt(a.p95)} ms`);
  await c.close();
} finally {
  await browser.close();
}
