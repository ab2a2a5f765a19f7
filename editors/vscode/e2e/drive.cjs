// Drives code-server in headless Chromium with playwright-core: ghost text, cycling through several
// suggestions and the inline switch (inline_steps.cjs), Tab to accept, the spend report (acceptance
// recorded through codeswitch.acceptInline), and "Edit with instruction…".
// Run by run.sh, which sets the E2E_* variables. Waits on conditions only, never on time.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const inlineSteps = require('./inline_steps.cjs');
const { analysisSteps } = require('./analysis.cjs');

const need = (name) => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set (run e2e/run.sh)`);
  }
  return value;
};
const { chromium } = createRequire(path.join(need('E2E_NODE_PATH'), 'x.js'))('playwright-core');

const URL = need('E2E_URL');
const WORKSPACE = need('E2E_WORKSPACE');
const OUT = need('E2E_OUT');
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 90000);
const FILE = path.join(WORKSPACE, 'billing.py');
const INLINE = 'invoice.gross - invoice.vat';
const DOCSTRING = 'The invoice for an order: its total plus VAT, rounded to cents.';

const steps = [];
function step(name) {
  console.log(`[e2e] ${name}`);
  steps.push(name);
}

async function shot(page, name) {
  const file = path.join(OUT, `${String(steps.length).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`[e2e] screenshot ${file}`);
}

/** Saves the active editor, waits until its tab is clean, and checks the file on disk. */
async function saveAndCheck(page, predicate, what) {
  await page.keyboard.press('Control+S');
  await page.locator('.tab.active.dirty').waitFor({ state: 'detached' });
  const text = fs.readFileSync(FILE, 'utf8');
  if (!predicate(text)) {
    throw new Error(`billing.py on disk lacks ${what}:\n${text}`);
  }
  return text;
}

/** Runs a command from the command palette (F1), choosing the row whose label contains `label`. */
async function runCommand(page, label) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${label}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

async function editorText(page) {
  return page.locator('.editor-instance .view-lines').first().innerText();
}

async function statusBarHas(page, text) {
  await page.waitForFunction((t) => [...document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')]
    .some((el) => el.textContent.includes(t)), text);
}

/** Closes the active untitled report without saving it. */
async function closeReport(page) {
  await page.keyboard.press('Control+W');
  const dontSave = page.locator('.monaco-dialog-box .monaco-button', { hasText: /Don.t Save/ });
  await dontSave.click();
  await dontSave.waitFor({ state: 'detached' });
}

async function goToLine(page, needle) {
  await page.locator('.tab', { hasText: 'billing.py' }).first().click();
  const line = fs.readFileSync(FILE, 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;
  if (line === 0) {
    throw new Error(`billing.py has no line with ${needle}`);
  }
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

async function answerInstruction(page, title, instruction, name) {
  await page.locator('.quick-input-widget', { hasText: title }).waitFor({ state: 'visible' });
  await page.locator('.quick-input-widget input').fill(instruction);
  await shot(page, name);
  await page.keyboard.press('Enter');
}

async function editSteps(page) {
  step('edit with instruction (command palette, cursor in invoice_for)');
  await goToLine(page, 'net = order.total');
  await runCommand(page, 'codeswitch: Edit with instruction');
  await answerInstruction(page, 'Edit with instruction', 'add a docstring', 'instruction');
  await page.locator('.editor-instance .view-lines', { hasText: DOCSTRING }).first().waitFor();
  await statusBarHas(page, 'gpt-5.3-codex ·');
  await shot(page, 'edited');
  await saveAndCheck(page, (t) => t.includes(`def invoice_for(order: Order) -> Invoice:\n    """${DOCSTRING}"""\n    net = order.total`),
    'the edit');

  step('explain last route');
  await runCommand(page, 'codeswitch: Explain last route');
  await page.locator('.editor-instance .view-lines', { hasText: 'Last route' }).first().waitFor();
  const route = (await editorText(page)).replace(/\s+/g, ' ');
  if (!/Served by:\*\* gpt-5\.3-codex\b/.test(route) || !/codeswitch\/edit/.test(route)) {
    throw new Error(`the last route does not name the edit and its model:\n${route}`);
  }
  await shot(page, 'last-route');
  await closeReport(page);

  step('edit from the code action (Ctrl+.) on capture_payment');
  await goToLine(page, 'def capture_payment');
  await page.keyboard.press('Control+.');
  // the server lists "Edit with instruction…" first, so it is the focused row; Enter runs it
  // (a click can land while the list re-renders with a later code action answer)
  await page.locator('.action-widget .monaco-list-row.focused', { hasText: 'Edit with instruction…' }).first()
    .waitFor({ state: 'visible' });
  await shot(page, 'code-actions');
  await page.keyboard.press('Enter');
  await answerInstruction(page, 'Edit with instruction', 'add a docstring', 'code-action-instruction');
  await page.locator('.editor-instance .view-lines', { hasText: 'Charge a reserved order and mark it paid.' }).first().waitFor();
  await saveAndCheck(page, (t) => t.includes('    """Charge a reserved order and mark it paid."""\n    if order.status'),
    'the code action edit');

  step('quick edit "Add docstring" from the light bulb: resolved by the server (codeAction/resolve)');
  await goToLine(page, 'def refund_due');
  await page.keyboard.press('Control+.');
  const quick = page.locator('.action-widget .monaco-list-row', { hasText: 'Add docstring to function `refund_due`' }).first();
  await quick.waitFor({ state: 'visible' });
  // move the focus onto it with the keyboard (clicks can land while the list re-renders)
  for (let i = 0; i < 5 && !(await quick.evaluate((el) => el.classList.contains('focused'))); i++) {
    await page.keyboard.press('ArrowDown');
  }
  await page.locator('.action-widget .monaco-list-row.focused', { hasText: 'Add docstring to function `refund_due`' })
    .waitFor({ state: 'visible' });
  await shot(page, 'quick-action');
  await page.keyboard.press('Enter');
  await page.locator('.editor-instance .view-lines', { hasText: 'What is due back on a refund' }).first().waitFor();
  await saveAndCheck(page, (t) => t.includes('    """What is due back on a refund: the net amount."""\n    return invoice.gross'),
    'the quick edit');
}

async function emulator(pathname, body) {
  const response = await fetch(`${need('E2E_EMULATOR')}${pathname}`, body === undefined ? {}
    : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) {
    throw new Error(`emulator ${pathname}: HTTP ${response.status}`);
  }
  return response.json();
}

/** Polls the emulator's request log until `predicate` holds for the last gpt-5.3-codex request. */
async function lastCodexRequest(predicate, what) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const requests = await emulator('/_emulator/requests');
    const last = requests.filter((r) => r.model === 'gpt-5.3-codex').pop();
    if (last && predicate(last)) {
      return last;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last gpt-5.3-codex request: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function cancelStep(page) {
  step('cancel an edit from its progress notification: the model call is dropped');
  const before = fs.readFileSync(FILE, 'utf8');
  const seen = (await emulator('/_emulator/requests')).filter((r) => r.model === 'gpt-5.3-codex').length;
  await emulator('/_emulator/script', { models: { 'gpt-5.3-codex': { faults: [{ kind: 'stall_first', times: 1 }] } } });
  await goToLine(page, 'def refund_due');
  await runCommand(page, 'codeswitch: Edit with instruction');
  await answerInstruction(page, 'Edit with instruction', 'add a docstring', 'cancel-instruction');
  const toast = page.locator('.notification-toast', { hasText: 'codeswitch: editing' }).first();
  await toast.waitFor({ state: 'visible' });
  // the request reached the model (and stalls there) before we cancel
  const requests = async () => (await emulator('/_emulator/requests')).filter((r) => r.model === 'gpt-5.3-codex');
  const deadline = Date.now() + TIMEOUT;
  while ((await requests()).length <= seen) {
    if (Date.now() > deadline) {
      throw new Error('the edit never reached the model');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await shot(page, 'cancel-progress');
  await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
  await toast.waitFor({ state: 'detached' });
  await lastCodexRequest((r) => r.disconnected_at !== null, 'the server to drop the model call');
  if (fs.readFileSync(FILE, 'utf8') !== before || await page.locator('.tab.active.dirty').count() > 0) {
    throw new Error('a cancelled edit changed billing.py');
  }
}

async function refactorSteps(page) {
  step('refactor workspace: preview, apply, save');
  await runCommand(page, 'codeswitch: Refactor workspace');
  await answerInstruction(page, 'Refactor workspace', 'rename reserve_stock to hold_stock everywhere', 'refactor-instruction');
  const apply = page.locator('.monaco-button', { hasText: /^Apply$/ }).first();
  await apply.waitFor({ state: 'visible' });
  await page.locator('.monaco-list-row', { hasText: 'inventory.py' }).first().waitFor();
  await shot(page, 'refactor-preview');
  // changes that need confirmation start unchecked: check each file, as a user would
  for (const name of ['api.py', 'billing.py', 'inventory.py', 'orders.py']) {
    const row = page.locator('.monaco-list-row', { hasText: name }).filter({ has: page.locator('.edit-checkbox') }).first();
    await row.scrollIntoViewIfNeeded();
    await row.locator('.edit-checkbox').first().click();
  }
  await shot(page, 'refactor-checked');
  await apply.click();
  await apply.waitFor({ state: 'hidden' });
  await runCommand(page, 'File: Save All');
  await page.locator('.tab.dirty').first().waitFor({ state: 'detached' });
  for (const name of ['inventory.py', 'orders.py', 'billing.py', 'api.py']) {
    const text = fs.readFileSync(path.join(WORKSPACE, name), 'utf8');
    if (text.includes('reserve_stock') || !text.includes('hold_stock')) {
      throw new Error(`${name} was not renamed:\n${text}`);
    }
  }
  await shot(page, 'refactored');
}

async function settingsChangeStep(page) {
  step('a changed server setting reaches the running server (workspace/didChangeConfiguration)');
  await goToLine(page, 'def capture_payment');
  await page.keyboard.press('Control+.');
  await page.locator('.action-widget .monaco-list-row', { hasText: 'Edit with instruction… (gpt-5.3-codex:' }).first()
    .waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
  await runCommand(page, 'Preferences: Open User Settings (JSON)');
  // the user settings.json (code-server opens it in a modal editor, focused)
  const json = page.locator('.view-lines', { hasText: '"codeswitch.server.python"' }).first();
  await json.waitFor({ state: 'visible' });
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.insertText('"codeswitch.tiers": { "function": { "chain": ["gpt-5.1-codex-mini"] } },');
  await page.locator('.view-lines', { hasText: '"codeswitch.tiers"' }).first().waitFor();
  await shot(page, 'settings-json');
  // close it and answer Save (deterministic: the document is dirty, so VS Code always asks)
  await page.keyboard.press('Control+W');
  const save = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Save$/ });
  await save.click();
  await json.waitFor({ state: 'hidden' });
  await goToLine(page, 'def capture_payment');
  await page.keyboard.press('Control+.');
  await page.locator('.action-widget .monaco-list-row', { hasText: 'Edit with instruction… (gpt-5.1-codex-mini:' }).first()
    .waitFor({ state: 'visible' });
  await shot(page, 'settings-applied');
  await page.keyboard.press('Escape');
}

/** Sets codeswitch.server.python through the Settings editor, as a user would, and closes it. */
async function setServerPython(page, value) {
  await page.keyboard.press('Control+Comma');  // the Settings editor (the palette lists the JSON one first once used)
  await page.locator('.settings-editor .suggest-input-container').first().waitFor({ state: 'visible' });
  await page.keyboard.type('codeswitch.server.python');
  const item = page.locator('.settings-editor .setting-item-contents', { hasText: 'Python interpreter' }).first();
  await item.waitFor({ state: 'visible' });
  await item.locator('input').first().fill(value);
  await page.keyboard.press('Tab');
}

async function closeSettings(page) {
  await page.locator('.settings-editor').first().click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+W');
  await page.locator('.settings-editor').first().waitFor({ state: 'hidden' });
}

async function serverFailed(page, python, outputText, name) {
  const toast = page.locator('.notification-toast', { hasText: 'could not start' }).first();
  await toast.waitFor({ state: 'visible' });
  const message = (await toast.innerText()).replace(/\s+/g, ' ');
  if (!message.includes(`${python} -m codeswitch serve`) || !message.includes(outputText)) {
    throw new Error(`the message does not name the command and the cause (${outputText}): ${message}`);
  }
  await page.waitForFunction(() => [...document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')]
    .some((el) => el.textContent.trim() === 'codeswitch' && el.querySelector('.codicon-error')));
  await closeSettings(page);
  const noise = page.locator('.notification-toast', { hasText: /couldn.t create connection|Pending response|got closed/ });
  if (await noise.count() > 0) {
    throw new Error(`the client showed its own start errors too: ${await noise.first().innerText()}`);
  }
  await shot(page, `${name}-message`);
  await toast.locator('.monaco-button', { hasText: 'Show output' }).click();
  await page.locator('.panel .view-lines', { hasText: outputText }).first().waitFor();
  await shot(page, `${name}-output`);
}

async function badServerStep(page) {
  step('a server interpreter that does not exist: clear message, Show output, status bar');
  await setServerPython(page, '/nonexistent/bin/python');
  await serverFailed(page, '/nonexistent/bin/python', 'does not exist or is not executable', 'missing-python');

  step('an interpreter without codeswitch: the server exits at start; the message and its output say why');
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.locator('.notification-toast').first().waitFor({ state: 'detached' });
  const bare = need('E2E_BARE_PYTHON');
  await setServerPython(page, bare);
  await serverFailed(page, bare, 'No module named codeswitch', 'bare-python');
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(need('E2E_TMP'), 'chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: need('E2E_CHROMIUM'),
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  browser.setDefaultTimeout(TIMEOUT);
  const page = browser.pages()[0] || await browser.newPage();
  page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));
  try {
    step('open the workspace');
    await page.goto(`${URL}/?folder=${encodeURIComponent(WORKSPACE)}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible' });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'billing.py' }).first().waitFor();

    step('open billing.py and wait for the codeswitch server');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'billing.py' }).first().click();
    await page.locator('.editor-instance .view-lines', { hasText: 'def invoice_for' }).first().waitFor();
    // the item reads "codeswitch" with no spinner once the server answered initialize
    await page.waitForFunction(() => [...document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')]
      .some((el) => el.textContent.trim() === 'codeswitch' && !el.querySelector('.codicon-sync') &&
        !el.querySelector('.codicon-error')));
    await shot(page, 'opened');

    step('type a function and see ghost text');
    await page.locator('.editor-instance .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('def refund_due(invoice: Invoice) -> Decimal:');
    await page.keyboard.press('Enter');
    await page.keyboard.type('return ');
    const ghost = page.locator('.ghost-text-decoration, .ghost-text', { hasText: 'invoice.gross' }).first();
    await ghost.waitFor({ state: 'visible' });
    await shot(page, 'ghost-text');
    const helpers = { step, shot, emulator, runCommand, statusBarHas, out: OUT };
    await inlineSteps.cycleSteps(page, helpers);

    step('accept with Tab');
    await page.keyboard.press('Tab');
    await page.locator('.editor-instance .view-lines', { hasText: `return ${INLINE}` }).first().waitFor();
    await saveAndCheck(page, (t) => t.includes(`def refund_due(invoice: Invoice) -> Decimal:\n    return ${INLINE}`),
      'the accepted suggestion on disk');
    await statusBarHas(page, 'gpt-5.3-codex-spark');
    await shot(page, 'accepted');

    step('show spend: the acceptance reached the ledger');
    await runCommand(page, 'codeswitch: Show spend');
    await page.locator('.editor-instance .view-lines', { hasText: 'codeswitch spend' }).first().waitFor();
    const spend = await editorText(page);
    if (!/gpt-5\.3-codex-spark.*1 of \d+/.test(spend.replace(/\s+/g, ' '))) {
      throw new Error(`the spend report shows no accepted inline completion:\n${spend}`);
    }
    await shot(page, 'spend');
    await closeReport(page);
    await inlineSteps.switchSteps(page, helpers);
    await saveAndCheck(page, (t) => t.trimEnd().endsWith(`return ${INLINE}`) && !t.includes('vat_of'),
      'billing.py as it was before the switch steps');

    await analysisSteps(page, { step, shot, goToLine, runCommand, statusBarHas, emulator, timeout: TIMEOUT, out: OUT });

    if (process.env.E2E_SKIP_EDIT === '1') {
      step('edit steps skipped (E2E_SKIP_EDIT=1, or the server has no codeswitch/edit)');
    } else {
      await editSteps(page);
      await cancelStep(page);
      await refactorSteps(page);
      await settingsChangeStep(page);
    }
    await badServerStep(page);
    step('passed');
    console.log(`[e2e] screenshots in ${OUT}`);
  } catch (err) {
    await shot(page, 'failure').catch(() => undefined);
    const html = await page.content().catch(() => '');
    fs.writeFileSync(path.join(OUT, 'failure.html'), html);
    // what the user was told (toasts hide themselves) and what reached the models
    await runCommand(page, 'Notifications: Show Notifications').then(() => shot(page, 'failure-notifications'))
      .catch(() => undefined);
    await emulator('/_emulator/requests').then((r) => fs.writeFileSync(path.join(OUT, 'failure-requests.json'),
      JSON.stringify(r, null, 1))).catch(() => undefined);
    throw err;
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(`[e2e] FAILED at "${steps[steps.length - 1]}": ${err.stack || err}`);
  process.exit(1);
});
