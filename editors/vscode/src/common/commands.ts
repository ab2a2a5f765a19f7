/**
 * The client-side commands: edit with an instruction, refactor the workspace, show spend, explain
 * the last route. Each sends one custom request (docs/architecture.md "Custom protocol").
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { LanguageClient, WorkDoneProgress, WorkspaceEdit as LspWorkspaceEdit } from 'vscode-languageclient/node';
import { EditResult, LastRoute, Stats, describeEdit, formatLastRoute, formatStats } from './format';
import { Target, editParams, refactorParams, targetFromArgs } from './requests';

export const EDIT_METHOD = 'codeswitch/edit';
export const REFACTOR_METHOD = 'codeswitch/refactor';
export const STATS_METHOD = 'codeswitch/stats';
export const LAST_ROUTE_METHOD = 'codeswitch/lastRoute';

/** What the commands need from the extension: the running client, and a hook for served answers. */
export interface Host {
  client(): LanguageClient | undefined;
  served(result: EditResult): void;
}

export function requireClient(host: Host): LanguageClient | undefined {
  const client = host.client();
  if (client === undefined || !client.isRunning()) {
    void vscode.window.showErrorMessage('codeswitch: the server is not running.', 'Show output').then((choice) => {
      if (choice === 'Show output') {
        void vscode.commands.executeCommand('codeswitch.showOutput');
      }
    });
    return undefined;
  }
  return client;
}

/** The command's target, else the active editor's selection (command palette). */
export function currentTarget(args: readonly unknown[], client: LanguageClient): Target | undefined {
  const fromArgs = targetFromArgs(args);
  if (fromArgs !== undefined) {
    return fromArgs;
  }
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    return undefined;
  }
  const c2p = client.code2ProtocolConverter;
  return { uri: c2p.asUri(editor.document.uri), range: c2p.asRange(editor.selection) };
}

/**
 * Sends `method` with a cancellable progress notification. Cancelling sends $/cancelRequest; the
 * server's $/progress messages (on our workDoneToken) show in the notification. Resolves to
 * undefined when the user cancelled.
 */
export async function withProgress<R>(client: LanguageClient, title: string, method: string,
  makeParams: (token: string) => Record<string, unknown>): Promise<R | undefined> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, cancel) => {
      const token = randomUUID();
      const listener = client.onProgress(WorkDoneProgress.type, token, (value) => {
        if (value.kind !== 'end' && value.message) {
          progress.report({ message: value.message });
        }
      });
      try {
        return await client.sendRequest<R>(method, makeParams(token), cancel);
      } catch (err) {
        if (cancel.isCancellationRequested) {
          return undefined;
        }
        throw err;
      } finally {
        listener.dispose();
      }
    });
}

async function applyResult(host: Host, client: LanguageClient, result: EditResult, what: 'edit' | 'refactor'): Promise<boolean> {
  host.served(result);
  const outcome = describeEdit(result, what);
  if (outcome.kind === 'error') {
    void vscode.window.showErrorMessage(outcome.message);
    return false;
  }
  if (outcome.kind === 'empty') {
    void vscode.window.showInformationMessage(outcome.message);
    return false;
  }
  if (result.applied) {
    vscode.window.setStatusBarMessage(outcome.message, 5000);
    return true;
  }
  const edit = await client.protocol2CodeConverter.asWorkspaceEdit(result.edit as LspWorkspaceEdit);
  const ok = await vscode.workspace.applyEdit(edit, { isRefactoring: what === 'refactor' });
  if (!ok && what === 'refactor') {
    void vscode.window.showInformationMessage(
      'codeswitch: the refactor was not applied (discarded or nothing checked in the preview, or a file ' +
      'changed while the team was working).');
    return false;
  }
  if (!ok) {
    void vscode.window.showErrorMessage(
      'codeswitch: the edit could not be applied (the file changed while the model was answering, ' +
      'or the preview was dismissed). Run the command again.');
    return false;
  }
  vscode.window.setStatusBarMessage(outcome.message, 5000);
  return true;
}

export function requestFailed(what: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  void vscode.window.showErrorMessage(`codeswitch: ${what} failed: ${message}`);
}

export async function editWithInstruction(host: Host, ...args: unknown[]): Promise<boolean> {
  const client = requireClient(host);
  if (client === undefined) {
    return false;
  }
  const target = currentTarget(args, client);
  if (target === undefined) {
    void vscode.window.showWarningMessage('codeswitch: open a file and select the code to edit first.');
    return false;
  }
  const instruction = await vscode.window.showInputBox({
    title: 'codeswitch: Edit with instruction',
    prompt: 'What should change in the selection (or the code around the cursor)?',
    placeHolder: 'e.g. validate the arguments and raise ValueError',
    ignoreFocusOut: true,
  });
  if (!instruction || instruction.trim() === '') {
    return false;
  }
  try {
    const result = await withProgress<EditResult>(client, 'codeswitch: editing…', EDIT_METHOD,
      (token) => editParams(target, instruction.trim(), token));
    return result === undefined ? false : await applyResult(host, client, result, 'edit');
  } catch (err) {
    requestFailed('the edit', err);
    return false;
  }
}

export async function refactorWorkspace(host: Host, ...args: unknown[]): Promise<boolean> {
  const client = requireClient(host);
  if (client === undefined) {
    return false;
  }
  const target = currentTarget(args, client);
  const instruction = await vscode.window.showInputBox({
    title: 'codeswitch: Refactor workspace',
    prompt: 'Describe the refactor across the workspace; you review every file before it is applied.',
    placeHolder: 'e.g. rename Order.total to Order.amount everywhere',
    ignoreFocusOut: true,
  });
  if (!instruction || instruction.trim() === '') {
    return false;
  }
  try {
    const result = await withProgress<EditResult>(client, 'codeswitch: refactoring the workspace…',
      REFACTOR_METHOD, (token) => refactorParams(target, instruction.trim(), token));
    return result === undefined ? false : await applyResult(host, client, result, 'refactor');
  } catch (err) {
    requestFailed('the refactor', err);
    return false;
  }
}

async function showMarkdown(content: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
  await vscode.window.showTextDocument(doc, { preview: true });
}

export async function showSpend(host: Host): Promise<void> {
  const client = requireClient(host);
  if (client === undefined) {
    return;
  }
  try {
    const stats = await client.sendRequest<Stats>(STATS_METHOD, {});
    await showMarkdown(formatStats(stats));
  } catch (err) {
    requestFailed('reading the spend', err);
  }
}

export async function explainLastRoute(host: Host): Promise<void> {
  const client = requireClient(host);
  if (client === undefined) {
    return;
  }
  try {
    const route = await client.sendRequest<LastRoute | null>(LAST_ROUTE_METHOD, {});
    await showMarkdown(formatLastRoute(route));
  } catch (err) {
    requestFailed('reading the last route', err);
  }
}
