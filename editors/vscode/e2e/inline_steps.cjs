// The inline steps of the VS Code end-to-end test: cycling through several suggestions (Alt+] asks
// the server with InlineCompletionTriggerKind.Invoked) and the inline switch (status bar click,
// snooze). Called by drive.cjs with its helpers. Waits on conditions only, never on time.
'use strict';

const FIRST = 'invoice.gross - invoice.vat';  // gpt-5.3-codex-spark (the emulator's default answer)
const SECOND = 'invoice.net';  // gpt-5.1-codex-mini (script.py)
const THIRD = 'invoice.gross * 0';  // claude-haiku-4-5 (script.py)
const INLINE_MODELS = ['gpt-5.3-codex-spark', 'gpt-5.1-codex-mini', 'claude-haiku-4-5'];

async function inlineRequests(h) {
  return (await h.emulator('/_emulator/requests')).filter((r) => INLINE_MODELS.includes(r.model));
}

/** The editor line that shows `text` with ghost text in it (colored ghost text comes in several spans). */
function ghost(page, text) {
  return page.locator('.view-line', { has: page.locator('.ghost-text-decoration, .ghost-text'), hasText: text }).first();
}

/** With the first ghost text shown: next suggestion, previous, one upstream call per further model. */
async function cycleSteps(page, h) {
  h.step('next suggestion (Alt+]): the server answers several items, from the next models of the chain');
  await page.keyboard.press('Alt+BracketRight');
  await ghost(page, SECOND).waitFor({ state: 'visible' });
  const hints = page.locator('.inlineSuggestionsHints', { hasText: '2/3' }).first();
  await hints.waitFor({ state: 'visible' });
  await h.shot(page, 'cycle-second');
  const box = await hints.boundingBox();
  if (box !== null) {  // the picture in docs/vscode.md: the toolbar with its counter over the ghost text
    const top = Math.max(0, box.y - 120);
    await page.screenshot({ path: `${h.out}/vscode-cycle.png`, clip: { x: 340, y: top, width: 760, height: 200 } });
  }
  // VS Code asks with InlineCompletionTriggerKind.Invoked (at the latest on Alt+]); the server
  // then asks the next models of the chain (Spark's answer is already shown). The exact call
  // counts are checked by tests/e2e/test_inline_cycle.py; here the inline tier's hedge may have
  // asked mini during the automatic request too.
  const after = await inlineRequests(h);
  const count = (model) => after.filter((r) => r.model === model).length;
  if (count('gpt-5.1-codex-mini') < 1 || count('claude-haiku-4-5') < 1) {
    throw new Error(`mini and haiku should have been asked: ${JSON.stringify(after.map((r) => r.model))}`);
  }
  await page.keyboard.press('Alt+BracketRight');
  await ghost(page, THIRD).waitFor({ state: 'visible' });
  await page.locator('.inlineSuggestionsHints', { hasText: '3/3' }).first().waitFor({ state: 'visible' });
  await h.shot(page, 'cycle-third');

  h.step('previous suggestion (Alt+[) back to the first; cycling asks nothing more');
  await page.keyboard.press('Alt+BracketLeft');
  await page.keyboard.press('Alt+BracketLeft');
  await ghost(page, FIRST).waitFor({ state: 'visible' });
  await page.locator('.inlineSuggestionsHints', { hasText: '1/3' }).first().waitFor({ state: 'visible' });
  const again = await inlineRequests(h);
  if (again.length !== after.length) {
    throw new Error(`cycling back made ${again.length - after.length} more model calls`);
  }
}

/** The switch in the status bar: off (no model call while off), on again, and a snooze. */
async function switchSteps(page, h) {
  h.step('status bar click turns inline suggestions off; typing then asks no model');
  const item = page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'inline' }).first();
  await h.statusBarHas(page, 'inline');
  const before = (await inlineRequests(h)).length;
  await item.click();
  await h.statusBarHas(page, 'inline off');
  await h.shot(page, 'inline-off');
  await page.locator('.editor-instance .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Shift+Tab');  // out of refund_due's body
  await page.keyboard.type('def vat_of(invoice: Invoice) -> Decimal:');
  await page.keyboard.press('Enter');
  await page.keyboard.type('return ');
  await page.keyboard.press('Alt+Backslash');  // ask explicitly too: still nothing may leave
  await h.shot(page, 'inline-off-typed');

  h.step('status bar click turns them on again: no model call was made while off, the next request makes one');
  await page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'inline off' }).first().click();
  await page.waitForFunction(() => [...document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')]
    .some((el) => el.textContent.trim() === 'inline'));
  const whileOff = (await inlineRequests(h)).length - before;
  if (whileOff !== 0) {
    throw new Error(`${whileOff} model calls were made while inline suggestions were off`);
  }
  await page.keyboard.press('Control+1');  // the focus back in the editor, the cursor where it was
  await page.keyboard.type('i');
  await ghost(page, 'nvoice').waitFor({ state: 'visible' });
  if ((await inlineRequests(h)).length - before < 1) {
    throw new Error('the ghost text after turning suggestions on came without a model call');
  }
  await page.keyboard.press('Escape');

  h.step('snooze for 30 minutes from the command palette; the status bar says until when; click resumes');
  await h.runCommand(page, 'codeswitch: Snooze inline suggestions');
  const choice = page.locator('.quick-input-widget .monaco-list-row', { hasText: '30 minutes' }).first();
  await choice.waitFor({ state: 'visible' });
  await choice.click();
  await h.statusBarHas(page, 'inline snoozed until');
  await h.shot(page, 'inline-snoozed');
  await page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'inline snoozed' }).first().click();
  await page.waitForFunction(() => [...document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')]
    .some((el) => el.textContent.trim() === 'inline'));

  // take the typed function out again (from the end of refund_due to the end of the file): the
  // steps after this one expect the file as it was
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+End');
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Shift+ArrowUp');
  }
  await page.keyboard.press('Shift+End');
  await page.keyboard.press('Delete');
  await page.locator('.editor-instance .view-lines', { hasText: 'vat_of' }).waitFor({ state: 'detached' });
}

module.exports = { cycleSteps, switchSteps, FIRST, SECOND, THIRD };
