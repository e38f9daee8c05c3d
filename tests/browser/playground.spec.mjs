// End-to-end tests of the playground in Debian's Chromium against the release build.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  trackRequests, foreign, trackErrors, row, expectVerdict, setEditorText, editorText, shot, openFresh,
} from './helpers.mjs';

const DOCKER_DEFAULT = fs.readFileSync(
  new URL('../../templates/docker-default.rendered.apparmor', import.meta.url), 'utf8');

let requests;
let errors;
test.beforeEach(async ({ page }) => {
  requests = trackRequests(page);
  errors = trackErrors(page);
});
test.afterEach(async ({ page }, info) => {
  await shot(page, info.title.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
  // No request may leave 127.0.0.1, in any test.
  expect(foreign(requests)).toEqual([]);
  expect(errors).toEqual([]);
});

test('loads with docker-default and the correct default verdicts', async ({ page }) => {
  await openFresh(page);
  expect(await editorText(page)).toBe(DOCKER_DEFAULT);
  await expect(page.locator('#template-select')).toHaveValue('docker-default');
  // The famous ones: sysrq-trigger and kcore are denied outright; core_pattern is caught by
  // the /proc/sys/kernel/{?,??,[^s][^h][^m]**} rule; shm* stays writable.
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'deny');
  await expectVerdict(page, 'r /proc/kcore', 'deny');
  await expectVerdict(page, 'w /proc/sys/kernel/core_pattern', 'deny');
  await expectVerdict(page, 'w /proc/sys/kernel/shmmax', 'allow');
  await expectVerdict(page, 'w /proc/sys/net/ipv4/ip_forward', 'deny');
  await expectVerdict(page, 'r /proc/self/status', 'allow');
  await expectVerdict(page, 'w /sys/kernel/security/apparmor/policy', 'deny');
  await expectVerdict(page, 'r /sys/firmware/efi/efivars/Boot0000', 'deny');
  await expectVerdict(page, 'capability sys_admin', 'allow');
  await expectVerdict(page, 'mount /dev/sda1 -> /mnt', 'deny');
  // AF_ALG sockets are refused since moby/profiles v0.2.1; the host may signal containers,
  // containers may not signal or trace the host.
  await expectVerdict(page, 'network alg seqpacket', 'deny');
  await expectVerdict(page, 'signal receive set=kill peer=unconfined', 'allow');
  await expectVerdict(page, 'signal send set=kill peer=unconfined', 'deny');
  await expectVerdict(page, 'ptrace trace peer=unconfined', 'deny');
  // Every row carries a verdict, and the profile has no errors.
  const rows = page.locator('.q-row');
  const n = await rows.count();
  expect(n).toBeGreaterThan(5);
  await expect(page.locator('.q-row[data-verdict]')).toHaveCount(n);
  await expect(page.locator('.diag.error')).toHaveCount(0);
  // "Why" names the deciding rule with its line, and jumping selects it in the editor.
  const sysrq = row(page, 'w /proc/sysrq-trigger');
  await sysrq.getByRole('button', { name: 'why' }).click();
  const rule = sysrq.locator('.why .rule', { hasText: 'sysrq-trigger' });
  await expect(rule).toContainText('deny @{PROC}/sysrq-trigger rwklx');
  const line = DOCKER_DEFAULT.split('\n').findIndex((l) => l.includes('sysrq-trigger rwklx')) + 1;
  await expect(rule.locator('.jump')).toHaveText(`line ${line}`);
  await rule.locator('.jump').click();
  const selected = await page.locator('#editor').evaluate(
    (ta) => ta.value.slice(ta.selectionStart, ta.selectionEnd));
  expect(selected).toContain('sysrq-trigger');
});

test('editing a rule changes a verdict', async ({ page }) => {
  await openFresh(page);
  await expectVerdict(page, 'r /proc/kcore', 'deny');
  await setEditorText(page, DOCKER_DEFAULT.replace('  deny @{PROC}/kcore rwklx,\n', ''));
  // Without its deny rule, the bare `file,` rule allows reading it (`deny @{PROC}/* w` only
  // removes writes).
  await expectVerdict(page, 'r /proc/kcore', 'allow');
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'deny');
  await expect(page.locator('#template-select')).toHaveValue('');
});

test('typing in the editor updates verdicts', async ({ page }) => {
  await openFresh(page);
  await expectVerdict(page, 'capability sys_admin', 'allow');
  // Put the caret after `capability` on its line and type a deny rule on a new line.
  const text = await editorText(page);
  const at = text.indexOf('  capability,\n') + '  capability,'.length;
  await page.locator('#editor').evaluate((ta, pos) => { ta.focus(); ta.setSelectionRange(pos, pos); }, at);
  await page.keyboard.press('Enter');
  await page.keyboard.type('deny capability sys_admin,');
  // Enter kept the indentation.
  expect(await editorText(page)).toContain('  capability,\n  deny capability sys_admin,\n');
  await expectVerdict(page, 'capability sys_admin', 'deny');
  // The browser's own undo takes the edit back (Chromium undoes typing in several steps).
  for (let i = 0; i < 20 && (await editorText(page)) !== DOCKER_DEFAULT; i++) {
    await page.keyboard.press('Control+z');
  }
  expect(await editorText(page)).toBe(DOCKER_DEFAULT);
  await expectVerdict(page, 'capability sys_admin', 'allow');
  // And redo brings it back.
  for (let i = 0; i < 20 && !(await editorText(page)).includes('sys_admin,'); i++) {
    await page.keyboard.press('Control+Shift+z');
  }
  await expectVerdict(page, 'capability sys_admin', 'deny');
});

test('a broken line shows a diagnostic while other verdicts still update', async ({ page }) => {
  await openFresh(page);
  const broken = DOCKER_DEFAULT
    .replace('  capability,\n', '  capability,\n  this is not a rule,\n')
    .replace('  deny @{PROC}/kcore rwklx,\n', '');
  await setEditorText(page, broken);
  const lineNo = broken.split('\n').findIndex((l) => l.includes('this is not a rule')) + 1;
  await expect(page.locator('.diag.error').first()).toBeVisible();
  await expect(page.locator('.diag.error .jump').first()).toHaveText(new RegExp(`^${lineNo}:`));
  await expect(page.locator('.gutter .ln-error')).toContainText(String(lineNo));
  await expect(page.locator('.diag.error').first()).toContainText('this');
  // The rest of the profile is still evaluated, with the edit applied.
  await expectVerdict(page, 'r /proc/kcore', 'allow');
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'deny');
});

test('the docs template allows writing core_pattern', async ({ page }) => {
  await openFresh(page);
  await page.locator('#template-select').selectOption('docker-default-docs');
  await expect.poll(() => editorText(page)).toContain('**^[0-9*]');
  // The docs profile's @{PROC}/{*,**^[0-9*],sys/kernel/shm*} leaves core_pattern writable.
  await expectVerdict(page, 'w /proc/sys/kernel/core_pattern', 'allow');
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'deny');
});

test('export downloads text that re-parses', async ({ page }) => {
  await openFresh(page);
  const edited = DOCKER_DEFAULT.replace('  umount,\n', '  umount,\n  # exported by the browser test\n');
  await setEditorText(page, edited);
  await page.getByRole('tab', { name: 'Export' }).click();
  await expect(page.locator('.snippet').first()).toContainText('armorlab load docker-default');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#download').click(),
  ]);
  expect(download.suggestedFilename()).toBe('docker-default');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'armorlab-export-')), 'docker-default');
  await download.saveAs(file);
  expect(fs.readFileSync(file, 'utf8')).toBe(edited);
  // The real parser accepts it (compile only, no kernel).
  if (fs.existsSync('/usr/sbin/apparmor_parser')) {
    execFileSync('/usr/sbin/apparmor_parser', ['-Q', '-K', '-I', '/etc/apparmor.d', file], { stdio: 'pipe' });
  } else {
    console.log('apparmor_parser is absent: the re-parse check was skipped');
  }
});

test('a share link round-trips', async ({ page, browser }) => {
  await openFresh(page);
  const text = DOCKER_DEFAULT.replace('  umount,\n', '  umount,\n  # shared ünïcode comment\n');
  await setEditorText(page, text);
  await page.locator('#add-query').fill('w /etc/shadow');
  await page.locator('#add-query').press('Enter');
  await expect(row(page, 'w /etc/shadow')).toHaveCount(1);
  const queries = await page.locator('.q-row').evaluateAll((rs) => rs.map((r) => r.dataset.query));
  // Edit an include file.
  await page.getByRole('tab', { name: 'Includes' }).click();
  await page.locator('.includes .filter').fill('tunables/proc');
  await page.locator('.includes .file', { hasText: /^tunables\/proc$/ }).click();
  const incl = (await editorText(page)) + '# edited include\n';
  await setEditorText(page, incl);
  await expect(page.locator('.includes li.modified')).toHaveCount(1);
  await page.locator('#share-btn').click();
  const link = await page.locator('#share-link').inputValue();
  expect(link).toMatch(/#s=1\./);
  // A fresh browser context: no autosave to fall back on.
  const ctx = await browser.newContext();
  const other = await ctx.newPage();
  const otherRequests = trackRequests(other);
  await other.goto(link);
  await other.waitForSelector('.q-row');
  expect(await editorText(other)).toBe(text);
  expect(await other.locator('.q-row').evaluateAll((rs) => rs.map((r) => r.dataset.query))).toEqual(queries);
  await expectVerdict(other, 'w /proc/sysrq-trigger', 'deny');
  await other.getByRole('tab', { name: 'Includes' }).click();
  await other.locator('.includes .file', { hasText: 'tunables/proc' }).click();
  expect(await editorText(other)).toBe(incl);
  expect(foreign(otherRequests)).toEqual([]);
  await ctx.close();
});

test('a garbage share link shows a friendly error, not a blank page', async ({ page }) => {
  await openFresh(page, '#s=1.bm90IGRlZmxhdGU');
  await expect(page.locator('.banner')).toContainText('could not be opened');
  expect(await editorText(page)).toBe(DOCKER_DEFAULT);
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'deny');
});

test('an embed URL renders rows with data-verdict', async ({ page }) => {
  await openFresh(page,
    '#embed&template=docker-default&q=w%20/proc/sysrq-trigger&q=w%20/proc/sys/kernel/shmmax');
  await expect(page.locator('.app.embed')).toHaveCount(1);
  await expect(page.locator('.q-row')).toHaveCount(2);
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'deny');
  await expectVerdict(page, 'w /proc/sys/kernel/shmmax', 'allow');
  // Read-only profile and a way out to the full playground.
  await expect(page.locator('#editor')).toHaveJSProperty('readOnly', true);
  const open = page.getByRole('link', { name: /open in playground/i });
  expect(await open.getAttribute('href')).toContain('#s=1.');
});

test('the embed button makes an iframe snippet that renders the same rows', async ({ page }) => {
  await openFresh(page);
  await page.locator('#embed-btn').click();
  await expect(page.locator('#embed-code')).toBeFocused();
  const snippet = await page.locator('#embed-code').inputValue();
  const src = snippet.match(/src="([^"]+)"/)[1].replace(/&quot;/g, '"');
  expect(src).toContain('#embed&template=docker-default');
  await page.goto(src);
  await page.waitForSelector('.app.embed .q-row[data-verdict]');
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'deny');
});

test('a pasted denial line becomes a query', async ({ page }) => {
  await openFresh(page);
  const line = 'audit: type=1400 audit(1700000000.123:45): apparmor="DENIED" operation="open" '
    + 'class="file" profile="docker-default" name="/proc/sys/kernel/modprobe" pid=4242 comm="sh" '
    + 'requested_mask="w" denied_mask="w" fsuid=0 ouid=0';
  await page.locator('#add-denial').fill(line);
  await page.locator('#add-denial').press('Enter');
  const r = row(page, 'w /proc/sys/kernel/modprobe');
  await expect(r).toHaveAttribute('data-verdict', 'deny');
  // The why is open at once and names the deciding rule.
  await expect(r.locator('.why .rule.deny')).toContainText('/sys/kernel/{?,??,[^s][^h][^m]**} w');
});

test('keyboard: help overlay, panels, accessible labels', async ({ page }) => {
  await openFresh(page);
  await page.locator('body').press('?');
  await expect(page.getByRole('dialog')).toContainText('Keyboard shortcuts');
  await expect(page.getByRole('dialog').getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.keyboard.press('Alt+4');
  await expect(page.getByRole('tab', { name: 'About' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('.about')).toContainText('containerd-default');
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('#add-query')).toBeFocused();
  await page.keyboard.press('Control+Shift+S');
  await expect(page.locator('#share-link')).toHaveValue(/#s=1\./);
  await expect(page.locator('#share-link')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // Every form control has an accessible name.
  const unnamed = await page.locator('input, textarea, select, button').evaluateAll((els) =>
    els.filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim()
      || e.getAttribute('placeholder'))).map((e) => e.outerHTML));
  expect(unnamed).toEqual([]);
});

test('narrow screens stack the editor above the queries', async ({ page }) => {
  await page.setViewportSize({ width: 420, height: 800 });
  await openFresh(page);
  const ed = await page.locator('.editor').boundingBox();
  const q = await page.locator('.queries').boundingBox();
  expect(q.y).toBeGreaterThan(ed.y + ed.height - 1);
  expect(ed.width).toBeLessThanOrEqual(420);
  // Nothing sticks out sideways: the buttons of the forms stay on screen.
  for (const b of await page.locator('.queries form button').all()) {
    const box = await b.boundingBox();
    expect(box.x + box.width).toBeLessThanOrEqual(420);
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
});

test('include edits affect evaluation at once', async ({ page }) => {
  await openFresh(page);
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'deny');
  await page.getByRole('tab', { name: 'Includes' }).click();
  await page.locator('.includes .filter').fill('tunables/proc');
  await page.locator('.includes .file', { hasText: /^tunables\/proc$/ }).click();
  const original = await editorText(page);
  expect(original).toContain('@{PROC}=/proc/');
  // Point @{PROC} elsewhere: the profile's /proc deny rules no longer cover /proc.
  await setEditorText(page, original.replace('@{PROC}=/proc/', '@{PROC}=/elsewhere/'));
  await page.getByRole('tab', { name: 'Queries' }).click();
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'allow');
  // A new include file, included from the profile, takes part too.
  await page.getByRole('tab', { name: 'Includes' }).click();
  await page.locator('#new-include').fill('local/extra');
  await page.locator('#new-include').press('Enter');
  await expect(page.locator('.file-bar')).toContainText('/etc/apparmor.d/local/extra');
  await setEditorText(page, 'deny capability sys_admin,\n');
  await page.locator('.file-bar button.link').click();
  await setEditorText(page, DOCKER_DEFAULT.replace('  #include <abstractions/base>\n',
    '  #include <abstractions/base>\n  include <local/extra>\n'));
  await page.getByRole('tab', { name: 'Queries' }).click();
  await expectVerdict(page, 'capability sys_admin', 'deny');
});

test('an oversized share link is refused with a message', async ({ page }) => {
  await openFresh(page, '#s=1.' + 'A'.repeat(600 * 1024));
  await expect(page.locator('.banner')).toContainText('too long');
  await expectVerdict(page, 'w /proc/sysrq-trigger', 'deny');
});

test('autosave restores the work after a reload', async ({ page }) => {
  await openFresh(page);
  const text = DOCKER_DEFAULT.replace('  umount,\n', '  umount,\n  # autosaved\n');
  await setEditorText(page, text);
  await page.locator('#add-query').fill('r /etc/hostname');
  await page.locator('#add-query').press('Enter');
  await expect(row(page, 'r /etc/hostname')).toHaveCount(1);
  // The autosave is debounced; wait until it has the edit.
  await expect.poll(() => page.evaluate(() => localStorage.getItem('armorlab.autosave.v1') || ''))
    .toMatch(/^s=1\./);
  await page.waitForTimeout(600);
  await page.goto('./');
  await page.waitForSelector('.q-row');
  expect(await editorText(page)).toBe(text);
  await expect(row(page, 'r /etc/hostname')).toHaveCount(1);
});

test('a rule from an include opens that include at the rule', async ({ page }) => {
  await openFresh(page);
  // The empty template has no `file,` rule: only abstractions/base allows mapping libc.
  await page.locator('#template-select').selectOption('empty');
  await expect.poll(() => editorText(page)).toContain('profile my-profile');
  await page.locator('#add-query').fill('m /usr/lib/x86_64-linux-gnu/libc.so.6');
  await page.locator('#add-query').press('Enter');
  const r = row(page, 'm /usr/lib/x86_64-linux-gnu/libc.so.6');
  await expect(r).toHaveAttribute('data-verdict', 'allow');
  await r.getByRole('button', { name: 'why' }).click();
  const jump = r.locator('.why .rule .jump', { hasText: 'abstractions/base:' }).first();
  await expect(jump).toBeVisible();
  await jump.click();
  await expect(page.locator('.file-bar')).toContainText('/etc/apparmor.d/abstractions/base');
  const selected = await page.locator('#editor').evaluate(
    (ta) => ta.value.slice(ta.selectionStart, ta.selectionEnd));
  expect(selected).toMatch(/\.so\*\s+mr$/);
  await expect(page.locator('#editor')).toHaveAttribute('aria-label', 'include file /etc/apparmor.d/abstractions/base');
});

test('profile text is never rendered as HTML, and the CSP forbids inline scripts', async ({ page }) => {
  await openFresh(page);
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  // Markup in the profile (and in the diagnostics that quote it) stays text.
  const hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>\n' + DOCKER_DEFAULT
    .replace('  capability,\n', '  capability,\n  <script>window.__pwned=2</script>,\n');
  await setEditorText(page, hostile);
  await expect(page.locator('.diag.error').first()).toBeVisible();
  await expect(page.locator('.app img, .app b, .app script')).toHaveCount(0);
  await expect(page.locator('pre.hl')).toContainText('<img src=x onerror="window.__pwned=1"><b>bold</b>');
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  // An inline script is refused by the policy.
  const inlineRan = await page.evaluate(() => new Promise((resolve) => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = true';
    document.head.append(s);
    setTimeout(() => resolve(window.__inline === true), 50);
  }));
  expect(inlineRan).toBe(false);
  // The refused script logs a CSP violation: expected here, not an app error.
  await page.waitForTimeout(100);
  errors.splice(0, errors.length, ...errors.filter((e) => !/Content Security Policy/i.test(e)));
});

test('a file with several profiles lets the user choose which one answers', async ({ page }) => {
  await openFresh(page);
  await setEditorText(page, [
    'profile first {',
    '  capability sys_admin,',
    '}',
    'profile second {',
    '  deny capability sys_admin,',
    '}',
    '',
  ].join('\n'));
  await expect(page.locator('#profile-select')).toHaveValue('first');
  await expectVerdict(page, 'capability sys_admin', 'allow');
  await page.locator('#profile-select').selectOption('second');
  await expectVerdict(page, 'capability sys_admin', 'deny');
  await expect(page.locator('.evaluated')).toContainText('second');
});

test('a long profile is analysed debounced and still ends on the right verdicts', async ({ page }) => {
  await openFresh(page);
  const extra = Array.from({ length: 600 }, (_, i) => `  /srv/data${i}/** rw, # rule ${i}`).join('\n');
  const big = DOCKER_DEFAULT.replace('  umount,\n', `  umount,\n${extra}\n`);
  await setEditorText(page, big);
  await expectVerdict(page, 'capability sys_admin', 'allow');
  // Type quickly at the end of the capability line: the last state must win.
  const at = big.indexOf('  capability,') + '  capability'.length;
  await page.locator('#editor').evaluate((ta, pos) => { ta.focus(); ta.setSelectionRange(pos, pos); }, at);
  await page.keyboard.type(' sys_module');
  await expectVerdict(page, 'capability sys_admin', 'deny');
  await expect(page.locator('.gutter .ln').last()).toHaveText(String(big.split('\n').length));
});
