// The explain / review steps of the VS Code end-to-end test (drive.cjs runs them with its helpers):
// "Explain function …" from the code action menu and "codeswitch: Review my changes" from the
// palette each open the answer in the Markdown preview of a read-only virtual document.
'use strict';

/**
 * Polls every frame (the preview is a webview) until one shows `text` and not `stale` (the
 * previous answer, which the same preview showed before); returns that frame's text.
 */
async function previewText(page, text, timeout, stale) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      const body = await frame.evaluate(() => (document.body ? document.body.innerText : '')).catch(() => '');
      if (body.includes(text) && (stale === undefined || !body.includes(stale))) {
        return body;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`no preview shows ${JSON.stringify(text)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function analysisSteps(page, h) {
  h.step('explain a function from the code action menu: Markdown preview of a read-only document');
  const mini = async () => (await h.emulator('/_emulator/requests')).filter((r) => r.model === 'gpt-5.1-codex-mini');
  const before = (await mini()).length;  // the inline and edit steps used the same model
  await h.goToLine(page, 'def invoice_for');
  await page.keyboard.press('Control+.');
  const label = 'Explain function `invoice_for`';
  const row = page.locator('.action-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible' });
  for (let i = 0; i < 12 && !(await row.evaluate((el) => el.classList.contains('focused'))); i++) {
    await page.keyboard.press('ArrowDown');
  }
  await page.locator('.action-widget .monaco-list-row.focused', { hasText: label }).waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await page.locator('.tab', { hasText: 'Explanation-function-invoice_for' }).first().waitFor({ state: 'visible' });
  const explained = await previewText(page, 'Explanation: function invoice_for', h.timeout);
  await page.locator('.notification-toast', { hasText: 'codeswitch: explaining' }).waitFor({ state: 'detached' });
  if (!explained.includes('gpt-5.1-codex-mini') || !explained.includes('What it relies on')) {
    throw new Error(`the explanation does not name its model or what the function relies on:\n${explained}`);
  }
  await h.statusBarHas(page, 'gpt-5.1-codex-mini');
  await h.shot(page, 'explanation');
  // the editor area alone, small enough for docs/img/vscode-explain.png
  await page.screenshot({ path: require('node:path').join(h.out, 'explanation-editor.png'),
    clip: { x: 350, y: 36, width: 1000, height: 520 } });

  h.step('review my changes (command palette): the diff against HEAD, reviewed');
  await h.runCommand(page, 'codeswitch: Review my changes');
  await page.locator('.tab', { hasText: 'Review-changes-in' }).first().waitFor({ state: 'visible' });
  const reviewed = await previewText(page, 'Verdict:', h.timeout, 'Explanation: function');
  await page.locator('.notification-toast', { hasText: 'codeswitch: reviewing' }).waitFor({ state: 'detached' });
  if (!/Review: changes in \d+ files?/.test(reviewed) || !reviewed.includes('refund_due')) {
    throw new Error(`the review does not cover the changed definitions:\n${reviewed}`);
  }
  await h.shot(page, 'review');
  const sent = (await mini()).slice(before);
  if (sent.length !== 2 || sent.some((r) => JSON.stringify(r.body).includes('sk-e2e-shop-secret'))) {
    throw new Error(`expected two analysis requests to gpt-5.1-codex-mini, none with the .env secret: ${sent.length}`);
  }
  // close the previews (the answers), keep billing.py open for the next steps
  const previews = page.locator('.tab', { hasText: /^Preview / });
  while (await previews.count() > 0) {
    const before = await previews.count();
    await previews.first().click();
    await page.keyboard.press('Control+W');
    await page.waitForFunction((n) => [...document.querySelectorAll('.tab')]
      .filter((t) => t.textContent.trim().startsWith('Preview ')).length < n, before);
  }
}

module.exports = { analysisSteps };
