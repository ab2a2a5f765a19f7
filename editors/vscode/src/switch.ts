/**
 * The inline switch in VS Code: a status bar item (click: toggle), the "Toggle inline suggestions"
 * and "Snooze inline suggestions…" commands. The switch itself lives in the server (shared with
 * Neovim and the CLI); this only asks it and shows its answer for the active file.
 */
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';
import {
  SNOOZE_CHOICES, SNOOZE_COMMAND, STATUS_COMMAND, SWITCH_NOTIFICATION, SwitchState, TOGGLE_COMMAND, asSwitchState,
  refreshIn, switchBar,
} from './common/inlineSwitch';

export class InlineSwitchItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: SwitchState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly client: () => LanguageClient | undefined) {
    this.item = vscode.window.createStatusBarItem('codeswitch.inlineSwitch', vscode.StatusBarAlignment.Right, 101);
    this.item.name = 'codeswitch inline suggestions';
    this.item.command = 'codeswitch.toggleInline';
    this.render();
    this.subscriptions.push(
      vscode.commands.registerCommand('codeswitch.toggleInline', () => this.run(TOGGLE_COMMAND, {})),
      vscode.commands.registerCommand('codeswitch.snoozeInline', (minutes?: unknown) => this.snooze(minutes)),
      vscode.window.onDidChangeActiveTextEditor(() => void this.run(STATUS_COMMAND, {})),
    );
  }

  /** Follow a (re)started client: its notifications, then ask it for the state. */
  attach(client: LanguageClient): void {
    client.onNotification(SWITCH_NOTIFICATION, (params: unknown) => this.show(asSwitchState(params)));
    void this.run(STATUS_COMMAND, {});
  }

  private activeUri(client: LanguageClient): string | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    return doc === undefined ? undefined : client.code2ProtocolConverter.asUri(doc.uri);
  }

  private async run(command: string, options: Record<string, unknown>): Promise<void> {
    const client = this.client();
    if (client === undefined || !client.isRunning()) {
      return;
    }
    const uri = this.activeUri(client);
    try {
      const answer: unknown = await client.sendRequest(ExecuteCommandRequest.type,
        { command, arguments: [uri === undefined ? options : { ...options, uri }] });
      this.show(asSwitchState(answer));
    } catch (err) {
      void vscode.window.showErrorMessage(`codeswitch: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async snooze(minutes: unknown): Promise<void> {
    let chosen = typeof minutes === 'number' ? minutes : undefined;
    if (chosen === undefined) {
      const pick = await vscode.window.showQuickPick(SNOOZE_CHOICES.map((c) => ({ label: c.label, minutes: c.minutes })),
        { placeHolder: 'Snooze inline suggestions for…' });
      chosen = pick?.minutes;
    }
    if (chosen !== undefined) {
      await this.run(SNOOZE_COMMAND, { minutes: chosen });
    }
  }

  private show(state: SwitchState | undefined): void {
    if (state === undefined) {
      return;
    }
    this.state = state;
    this.render();
    clearTimeout(this.timer);
    const wait = refreshIn(state);
    if (wait !== undefined) {  // redraw when the snooze ends
      this.timer = setTimeout(() => void this.run(STATUS_COMMAND, {}), Math.min(wait, 2 ** 31 - 1));
    }
  }

  private render(): void {
    const { text, tooltip } = switchBar(this.state);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.item.dispose();
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
