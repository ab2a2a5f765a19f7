/**
 * Starting and stopping the codeswitch language server (`codeswitch serve` over stdio).
 */
import { ChildProcess, spawn } from 'node:child_process';
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
} from 'vscode-languageclient/node';
import { ServerLaunch, lastErrorLine, launchProblem, serverLaunch, serverSettings, startFailureMessage } from './settings';

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

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The last few KB the server wrote to stderr (the client shows all of it in the output too). */
class StderrTail {
  private text = '';

  attach(proc: ChildProcess): void {
    proc.stderr?.on('data', (chunk: Buffer | string) => {
      this.text = (this.text + chunk.toString()).slice(-4096);
    });
    proc.on('error', (err) => {
      this.text += `\n${err.message}\n`;
    });
  }

  lastLine(): string | undefined {
    return lastErrorLine(this.text);
  }
}

/**
 * Restart a server that crashes after it started, at most 3 times in 3 minutes; one that dies
 * while starting is not restarted (the start failure is reported instead).
 */
class Restarts {
  started = false;
  private times: number[] = [];
  constructor(private readonly onGiveUp: () => void) {}

  error(): { action: ErrorAction } {
    return { action: ErrorAction.Continue };
  }

  closed(): { action: CloseAction; handled?: boolean } {
    if (!this.started) {
      return { action: CloseAction.DoNotRestart, handled: true };  // startServer reports it
    }
    const now = Date.now();
    this.times = this.times.filter((t) => now - t < 180_000);
    this.times.push(now);
    if (this.times.length > 3) {
      this.onGiveUp();
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    return { action: CloseAction.Restart };
  }
}

/**
 * The language client, except that while it starts its errors go to the output only: a failed
 * start is reported once, by startServer, with the cause and the setting to fix.
 */
class CodeswitchClient extends LanguageClient {
  quiet = true;

  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, this.quiet ? false : showNotification);
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
  const env = { ...process.env, ...launch.env };
  const problem = launchProblem(launch, env.PATH, isExecutable, path.delimiter);
  if (problem !== undefined) {
    const message = startFailureMessage(launch, problem);
    output.error(message);
    void showStartError(message, output);
    return undefined;
  }
  output.appendLine(`Starting: ${launch.command} ${launch.args.join(' ')}`);
  const stderr = new StderrTail();
  const serverOptions: ServerOptions = async () => {
    const proc = spawn(launch.command, launch.args, {
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      env,
      stdio: 'pipe',
    });
    stderr.attach(proc);
    return proc;
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
    // no retry and no extra notification: startServer reports the failure with its cause
    initializationFailedHandler: () => false,
  };
  const client = new CodeswitchClient('codeswitch', 'codeswitch', serverOptions, clientOptions);
  client.registerProposedFeatures();
  try {
    await client.start();
    restarts.started = true;
    client.quiet = false;
  } catch (err) {
    const reason = stderr.lastLine() ?? (err instanceof Error ? err.message : String(err));
    const message = startFailureMessage(launch, reason);
    output.error(message);
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
