// Defects a demanding user found in review, each pinned by a test so it stays fixed.
import { test, expect } from '@playwright/test';
import {
  trackRequests, foreign, trackErrors, row, setEditorText, editorText, shot, openFresh,
} from './helpers.mjs';

let requests;
let errors;
test.beforeEach(async ({ page }) => {
  requests = trackRequests(page);
  errors = trackErrors(page);
});
test.afterEach(async ({ page }, info) => {
  await shot(page, 'review-' + info.title.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
  expect(foreign(requests)).toEqual([]);
  expect(errors).toEqual([]);
});

test('why says what each rule does instead of repeating its letters', async ({ page }) => {
  await openFresh(page);
  const r = row(page, 'w /proc/sysrq-trigger');
  await r.getByRole('button', { name: 'why' }).click();
  // `deny @{PROC}/* w` followed by a bare `w` read like a typo; the role is now a verb.
  const star = r.locator('.why .rule', { hasText: 'deny @{PROC}/* w' });
  await expect(star.locator('.rule-text')).toHaveText('deny @{PROC}/* w');
  await expect(star.locator('.perms')).toHaveText('→ denies w');
  // An open "why" looks different from a closed one.
  const bg = (loc) => loc.evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(await bg(r.locator('.why-btn'))).not.toBe(
    await bg(row(page, 'r /proc/kcore').locator('.why-btn')));
  const allow = row(page, 'w /proc/sys/kernel/shmmax');
  await allow.getByRole('button', { name: 'why' }).click();
  await expect(allow.locator('.why .rule .perms')).toHaveText('→ allows w');
  // Backtick-quoted input in the notes is shown in a code font, without the backticks.
  const note = r.locator('.why .note').first();
  await expect(note.locator('code', { hasText: '/proc/sysrq-trigger' })).toBeVisible();
  expect(await note.innerText()).not.toContain('`');
});

test('a long deciding rule stays on the line of its jump button', async ({ page }) => {
  await openFresh(page);
  const r = row(page, 'w /proc/sys/kernel/core_pattern');
  await r.getByRole('button', { name: 'why' }).click();
  const rule = r.locator('.why .rule').first();
  const jump = await rule.locator('.jump').boundingBox();
  const text = await rule.locator('.rule-text').boundingBox();
  // The rule text starts on the button's row, to its right (it wrapped below before).
  expect(text.x).toBeGreaterThan(jump.x + jump.width);
  expect(Math.abs(text.y - jump.y)).toBeLessThan(jump.height);
});

test('a diagnostic is underlined and its message shows on hover over the line', async ({ page }) => {
  await openFresh(page);
  const text = await editorText(page);
  await setEditorText(page, text.replace('  capability,\n', '  capability,\n  this is broken\n'));
  const sq = page.locator('.squiggle.error').first();
  await expect(sq).toBeVisible();
  // The underline must actually be drawn: `border-bottom: 2px wavy` was an invalid
  // declaration, so nothing showed.
  const drawn = await sq.evaluate((el) => {
    const cs = getComputedStyle(el);
    return cs.backgroundImage !== 'none' || parseFloat(cs.borderBottomWidth) > 0;
  });
  expect(drawn).toBe(true);
  // The textarea lies over the text, so it carries the hover message for the line.
  await page.locator('.gutter .ln-error').scrollIntoViewIfNeeded();
  const lineBox = await page.locator('.gutter .ln-error').boundingBox();
  const ed = await page.locator('#editor').boundingBox();
  await page.mouse.move(ed.x + 120, lineBox.y + lineBox.height / 2);
  await expect(page.locator('#editor')).toHaveAttribute('title', /error: .*this/);
  await page.mouse.move(ed.x + 120, lineBox.y - 3 * lineBox.height);
  await expect(page.locator('#editor')).toHaveAttribute('title', '');
});

test('a click anywhere in the editor area focuses the editor', async ({ page }) => {
  await openFresh(page);
  await page.locator('#template-select').selectOption('empty');
  await expect.poll(() => editorText(page)).toContain('my-profile');
  // The empty profile is short and narrow: the space below and to the right of it must
  // still be the editor.
  const box = await page.locator('.editor').boundingBox();
  await page.mouse.click(box.x + box.width - 30, box.y + box.height - 30);
  await expect(page.locator('#editor')).toBeFocused();
});

test('Copy buttons copy the snippet and say so', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openFresh(page);
  await page.getByRole('tab', { name: 'Export' }).click();
  const first = page.locator('.export li').first();
  const button = first.getByRole('button', { name: /copy/i });
  await button.click();
  await expect(button).toHaveText(/Copied/);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await first.locator('.snippet').innerText());
  await expect(button).toHaveText('Copy', { timeout: 5000 });
});

test('the includes panel offers "back to the profile" only from an include', async ({ page }) => {
  await openFresh(page);
  await page.getByRole('tab', { name: 'Includes' }).click();
  const back = page.getByRole('button', { name: /back to the profile/ });
  await expect(back).toHaveCount(0);
  await page.locator('.includes .files .file', { hasText: /^abstractions\/base$/ }).click();
  await expect(back).toBeVisible();
  await back.click();
  await expect(back).toHaveCount(0);
  await expect(page.locator('.file-bar')).toHaveText('docker-default');
});

test.describe('on a 390px phone screen', () => {
  test.use({ viewport: { width: 390, height: 844 } });
  test('query texts are shown in full width', async ({ page }) => {
    await openFresh(page);
    const input = row(page, 'w /sys/kernel/security/apparmor/policy').locator('input.q-text');
    const fits = await input.evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(fits).toBe(true);
    // Nothing scrolls sideways.
    const widths = await page.evaluate(
      () => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]);
  });
});

test('picking a template over an edited profile can be undone', async ({ page }) => {
  await openFresh(page);
  const mine = (await editorText(page)).replace('  umount,\n', '  umount,\n  # my own edit\n');
  await setEditorText(page, mine);
  await page.locator('#template-select').selectOption('containerd-default');
  await expect.poll(() => editorText(page)).not.toContain('# my own edit');
  await expect(page.locator('#template-undo')).toContainText('your edited profile was replaced');
  await page.locator('#undo-template').click();
  await expect.poll(() => editorText(page)).toBe(mine);
  await expect(page.locator('#template-undo')).toHaveCount(0);
  // Leaving an unedited template loses nothing, so nothing is offered.
  await page.locator('#template-select').selectOption('docker-default');
  await expect(page.locator('#template-undo')).toBeVisible();
  await page.locator('#template-select').selectOption('empty');
  await expect(page.locator('#template-undo')).toHaveCount(0);
});

test('the first row cannot move up nor the last one down', async ({ page }) => {
  await openFresh(page);
  const rows = page.locator('.q-row');
  await expect(rows.first().getByRole('button', { name: 'move up' })).toBeDisabled();
  await expect(rows.first().getByRole('button', { name: 'move down' })).toBeEnabled();
  await expect(rows.last().getByRole('button', { name: 'move down' })).toBeDisabled();
  await expect(rows.last().getByRole('button', { name: 'move up' })).toBeEnabled();
});

test('a good link opened after a bad one clears the error', async ({ page }) => {
  await openFresh(page);
  await page.evaluate(() => { location.hash = 's=1.not-a-link!!'; });
  const banner = page.locator('.banner[role=alert]');
  await expect(banner).toContainText('could not be opened');
  // Backtick-quoted parts of the message are code, not raw backticks.
  expect(await banner.innerText()).not.toContain('`');
  await page.evaluate(() => {
    location.hash = 'template=docker-default-docs&q=w%20/proc/sys/kernel/core_pattern';
  });
  await expect.poll(() => editorText(page)).toContain('**^[0-9*]');
  await expect(row(page, 'w /proc/sys/kernel/core_pattern')).toHaveAttribute('data-verdict', 'allow');
  await expect(banner).toHaveCount(0);
});

test('Tab over selected lines indents them instead of replacing them', async ({ page }) => {
  await openFresh(page);
  const before = await editorText(page);
  const from = before.indexOf('  network,');
  const to = before.indexOf('  capability,') + 4;
  await page.locator('#editor').evaluate((ta, [a, b]) => { ta.focus(); ta.setSelectionRange(a, b); }, [from, to]);
  await page.keyboard.press('Tab');
  const after = await editorText(page);
  expect(after).toContain('    network,\n');
  expect(after).toContain('    deny network alg,\n');
  expect(after).toContain('    capability,\n');
  expect(after).toContain('  file,\n');
  expect(after.length).toBe(before.length + 2 * 4);
  // Shift+Tab takes it back, and so does one undo of the Tab.
  await page.keyboard.press('Shift+Tab');
  expect(await editorText(page)).toBe(before);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Control+z');
  expect(await editorText(page)).toBe(before);
  await expect(page.locator('#editor')).toBeFocused();
});

test('dialogs keep focus inside, give it back on close, and close on the backdrop', async ({ page }) => {
  await openFresh(page);
  await page.locator('#share-btn').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#share-link')).toBeFocused();
  // Tab goes round the dialog's controls, never to the page behind it.
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    const inside = await page.evaluate(() => !!document.activeElement.closest('.dialog'));
    expect(inside).toBe(true);
  }
  await page.keyboard.press('Shift+Tab');
  expect(await page.evaluate(() => !!document.activeElement.closest('.dialog'))).toBe(true);
  await page.keyboard.press('Escape');
  await expect(page.locator('.overlay')).toHaveCount(0);
  await expect(page.locator('#share-btn')).toBeFocused();
  // The help overlay: Close returns focus to the ? button; a backdrop click closes it.
  await page.locator('#help-btn').click();
  await expect(page.locator('.dialog .close')).toBeFocused();
  await page.locator('.dialog .close').click();
  await expect(page.locator('#help-btn')).toBeFocused();
  await page.locator('#help-btn').click();
  await page.mouse.click(10, 790);
  await expect(page.locator('.overlay')).toHaveCount(0);
});

test('the query syntax is documented in place and a bad query says how to fix it', async ({ page }) => {
  await openFresh(page);
  await page.locator('.syntax summary').click();
  const example = page.locator('.syntax .example', { hasText: 'mount fstype=proc proc -> /mnt' });
  await example.click();
  await expect(page.locator('#add-query')).toHaveValue('mount fstype=proc proc -> /mnt');
  await expect(page.locator('#add-query')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(row(page, 'mount fstype=proc proc -> /mnt')).toHaveAttribute('data-verdict', 'deny');
  // A query the parser does not know shows the core's advice with the message.
  await page.locator('#add-query').fill('file,');
  await page.keyboard.press('Enter');
  const detail = row(page, 'file,').locator('.q-detail');
  await expect(detail).toContainText('unknown query');
  await expect(detail).toContainText('help:');
  await expect(detail.locator('code', { hasText: 'capability' }).first()).toBeVisible();
});

test('a denial from a profile the text does not define says which profile answered', async ({ page }) => {
  await openFresh(page);
  await page.locator('#add-denial').fill('audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="open" profile="cri-containerd.apparmor.d" name="/proc/kcore" pid=1 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0');
  await page.keyboard.press('Enter');
  await expect(row(page, 'r /proc/kcore').last()).toHaveAttribute('data-verdict', 'deny');
  const note = page.locator('.warning-note');
  await expect(note).toContainText('cri-containerd.apparmor.d');
  await expect(note).toContainText('answers below are for docker-default');
  // With the matching profile loaded the warning goes away.
  await page.locator('#template-select').selectOption('containerd-default');
  await expect(page.locator('.evaluated')).toContainText('cri-containerd.apparmor.d');
  await expect(note).toHaveCount(0);
});

test('in an embed, a rule\'s line button shows the rule in the profile', async ({ page }) => {
  await page.goto('./#embed&template=docker-default-docs&q=w%20/proc/sys/kernel/core_pattern&q=signal%20receive%20peer%3Dunconfined');
  const r = row(page, 'w /proc/sys/kernel/core_pattern');
  await expect(r).toHaveAttribute('data-verdict', 'allow');
  await r.locator('.why .rule button.jump').first().click();
  const selected = await page.locator('#editor').evaluate(
    (ta) => ta.value.slice(ta.selectionStart, ta.selectionEnd));
  expect(selected).toContain('file');
  await expect(page.locator('.mark-bg')).toBeVisible();
  // A rule from an include cannot be shown in an embed, so it is not offered as a button.
  const sig = row(page, 'signal receive peer=unconfined');
  await expect(sig.locator('.why .rule .jump', { hasText: 'abstractions/base' }).first()).toBeVisible();
  await expect(sig.locator('.why .rule button.jump', { hasText: 'abstractions/base' })).toHaveCount(0);
});

test('line numbers stay visible when long lines scroll sideways', async ({ page }) => {
  await openFresh(page);
  const editor = page.locator('.editor');
  const before = await page.locator('.gutter').boundingBox();
  await editor.evaluate((el) => { el.scrollLeft = 400; });
  expect(await editor.evaluate((el) => el.scrollLeft)).toBeGreaterThan(100);
  const after = await page.locator('.gutter').boundingBox();
  expect(after.x).toBe(before.x);
});

test('the editor tells keyboard users how to leave it, and Escape then Tab does', async ({ page }) => {
  await openFresh(page);
  const ed = page.locator('#editor');
  const hintId = await ed.getAttribute('aria-describedby');
  await expect(page.locator(`#${hintId}`)).toHaveText(/Escape, then Tab/);
  const before = await editorText(page);
  await ed.focus();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  await expect(ed).not.toBeFocused();
  expect(await editorText(page)).toBe(before);
});

test('keyboard users keep their place when moving and removing rows', async ({ page }) => {
  await openFresh(page);
  const rows = page.locator('.q-row');
  const second = await rows.nth(1).getAttribute('data-query');
  // Move the second row up twice: it reaches the top and its ↑ stays focused, inert.
  await rows.nth(1).getByRole('button', { name: 'move up' }).focus();
  await page.keyboard.press('Enter');
  await expect(rows.first()).toHaveAttribute('data-query', second);
  await page.keyboard.press('Enter');
  await expect(rows.first()).toHaveAttribute('data-query', second);
  await expect(rows.first().getByRole('button', { name: 'move up' })).toBeFocused();
  // Remove with the keyboard: focus goes to the next row's remove button.
  const n = await rows.count();
  const next = await rows.nth(1).getAttribute('data-query');
  await rows.first().getByRole('button', { name: 'remove query' }).focus();
  await page.keyboard.press('Enter');
  await expect(rows).toHaveCount(n - 1);
  await expect(row(page, next).getByRole('button', { name: 'remove query' })).toBeFocused();
});
