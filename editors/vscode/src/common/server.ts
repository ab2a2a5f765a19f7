/**
 * Starting and stopping the codeswitch language server (`codeswitch serve` over stdio).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import { ServerLaunch, serverLaunch, serverSettings, startFailureMessage } from './settings';

export const SECTION = 'codeswitch';
const DOCUMENTS = ['python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'lua'];

/** `codeswitch.*` settings as a reader for settings.ts. */
export function readSetting(key: string): unknown {
  return vscode.workspace.getConfiguration(SECTION).get(key);
}

export function currentLaunch(): ServerLaunch {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return serverLaunch(readSetting, { home: os.homedir(), workspaceFolder: folder });
}

/** A reason to refuse the launch before spawning it (a configured interpreter that does not exist). */
function precheck(launch: ServerLaunch): string | undefined {
  if (launch.source !== 'PATH' && path.isAbsolute(launch.command) && !fs.existsSync(launch.command)) {
    return `${launch.command} does not exist`;
  }
  return undefined;
}

/** Restart a crashed server at most 3 times in 3 minutes, then stop and say so. */
class Restarts {
  private times: number[] = [];
  constructor(private readonly onGiveUp: () => void) {}

  error(): { action: ErrorAction } {
    return { action: ErrorAction.Continue };
  }

  closed(): { action: CloseAction } {
    const now = Date.now();
    this.times = this.times.filter((t) => now - t < 180_000);
    this.times.push(now);
    if (this.times.length > 3) {
      this.onGiveUp();
      return { action: CloseAction.DoNotRestart };
    }
    return { action: CloseAction.Restart };
  }
}

async function showStartError(message: string, output: vscode.OutputChannel): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, 'Show output', 'Open settings');
  if (choice === 'Show output') {
    output.show(true);
  } else if (choice === 'Open settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'codeswitch.server');
  }
}

/**
 * Creates and starts the client. Resolves to undefined (after telling the user, with a
 * "Show output" button) when the server cannot start.
 */
export async function startServer(output: vscode.LogOutputChannel,
  traceOutput: vscode.LogOutputChannel): Promise<LanguageClient | undefined> {
  const launch = currentLaunch();
  const problem = precheck(launch);
  if (problem !== undefined) {
    const message = startFailureMessage(launch, problem);
    output.appendLine(message);
    void showStartError(message, output);
    return undefined;
  }
  output.appendLine(`Starting: ${launch.command} ${launch.args.join(' ')}`);
  const serverOptions: ServerOptions = {
    command: launch.command,
    args: launch.args,
    transport: TransportKind.stdio,
    options: {
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      env: { ...process.env, ...launch.env },
    },
  };
  const restarts = new Restarts(() => {
    void showStartError('codeswitch: the server stopped 4 times in 3 minutes and will not be restarted. ' +
      'Run "codeswitch: Restart server" after fixing the cause.', output);
  });
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENTS.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    initializationOptions: serverSettings(readSetting),
    outputChannel: output,
    traceOutputChannel: traceOutput,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler: restarts,
  };
  const client = new LanguageClient('codeswitch', 'codeswitch', serverOptions, clientOptions);
  client.registerProposedFeatures();
  try {
    await client.start();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const message = startFailureMessage(launch, reason);
    output.appendLine(message);
    void showStartError(message, output);
    try {
      await client.dispose(2000);
    } catch {
      // the process is already gone
    }
    return undefined;
  }
  return client;
}

export async function stopServer(client: LanguageClient | undefined): Promise<void> {
  if (client === undefined) {
    return;
  }
  try {
    await client.stop(5000);
  } catch {
    // not running
  }
}
