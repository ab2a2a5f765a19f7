/**
 * The codeswitch extension: starts `codeswitch serve`, enables inline completion (a proposed LSP
 * 3.18 feature), keeps the server's settings in sync, and adds the edit / refactor / spend / route
 * commands, explain / review (src/analysis.ts) and a status bar item.
 */
import * as vscode from 'vscode';
import { DidChangeConfigurationNotification, LanguageClient, State } from 'vscode-languageclient/node';
import { Host, editWithInstruction, explainLastRoute, refactorWorkspace, showSpend } from './common/commands';
import { registerAnalysis } from './analysis';
import { ServerState, StatusParams, statusAfter, statusBar } from './common/format';
import { SECTION, readSetting, startServer, stopServer } from './common/server';
import { RESTART_KEYS, SERVER_KEYS, serverSettings } from './common/settings';
import { InlineSwitchItem } from './switch';

export const STATUS_NOTIFICATION = 'codeswitch/status';

let client: LanguageClient | undefined;
let starting: Promise<void> | undefined;

function renderStatus(item: vscode.StatusBarItem, status: StatusParams | undefined, state: ServerState): void {
  const { text, tooltip } = statusBar(status, state);
  item.text = text;
  item.tooltip = tooltip;
  item.command = state === 'stopped' ? 'codeswitch.showOutput' : 'codeswitch.showSpend';
  item.show();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('codeswitch', { log: true });
  const trace = vscode.window.createOutputChannel('codeswitch trace', { log: true });
  const status = vscode.window.createStatusBarItem('codeswitch.status', vscode.StatusBarAlignment.Right, 100);
  status.name = 'codeswitch';
  let last: StatusParams | undefined;
  renderStatus(status, last, 'starting');
  const inlineSwitch = new InlineSwitchItem(() => client);
  context.subscriptions.push(output, trace, status, inlineSwitch);

  const start = async (): Promise<void> => {
    renderStatus(status, last, 'starting');
    client = await startServer(output, trace);
    if (client === undefined) {
      renderStatus(status, last, 'stopped');
      return;
    }
    client.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => {
      last = params;
      renderStatus(status, last, 'running');
    });
    inlineSwitch.attach(client);
    client.onDidChangeState((event) => {
      renderStatus(status, last, event.newState === State.Running ? 'running'
        : event.newState === State.Starting ? 'starting' : 'stopped');
    });
    renderStatus(status, last, 'running');
  };
  const restart = async (): Promise<void> => {
    await starting;
    const old = client;
    client = undefined;
    await stopServer(old);
    starting = start();
    await starting;
  };
  const host: Host = {
    client: () => client,
    served: (result) => {
      last = statusAfter(last, result);
      renderStatus(status, last, 'running');
    },
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('codeswitch.editWithInstruction', (...args: unknown[]) => editWithInstruction(host, ...args)),
    vscode.commands.registerCommand('codeswitch.refactorWorkspace', (...args: unknown[]) => refactorWorkspace(host, ...args)),
    vscode.commands.registerCommand('codeswitch.showSpend', () => showSpend(host)),
    vscode.commands.registerCommand('codeswitch.explainLastRoute', () => explainLastRoute(host)),
    vscode.commands.registerCommand('codeswitch.restartServer', restart),
    vscode.commands.registerCommand('codeswitch.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (RESTART_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
        await restart();
      } else if (SERVER_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`)) && client?.isRunning()) {
        await client.sendNotification(DidChangeConfigurationNotification.type, { settings: serverSettings(readSetting) });
      }
    }),
  );
  registerAnalysis(context, host);
  starting = start();
  await starting;
}

export async function deactivate(): Promise<void> {
  await stopServer(client);
  client = undefined;
}
