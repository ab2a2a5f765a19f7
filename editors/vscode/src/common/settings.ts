/**
 * Reading the extension's settings: which command starts the server, and which settings go to
 * the server as `initializationOptions` / `workspace/didChangeConfiguration`.
 *
 * Pure functions (no `vscode` import) so they can be unit-tested without VS Code; the caller
 * passes a reader for `codeswitch.*` keys.
 */

/** Settings the server understands (codeswitch/config.py `Config` fields); the others are client-only. */
export const SERVER_KEYS = [
  'providers',
  'tiers',
  'budget',
  'inline',
  'team',
  'exclude',
  'catalog_path',
] as const;

/** Client-only settings: changing one of these restarts the server. */
export const RESTART_KEYS = ['server.command', 'server.python', 'server.env'] as const;

export type Reader = (key: string) => unknown;

export interface ServerLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** How the command was chosen, for error messages. */
  source: 'codeswitch.server.command' | 'codeswitch.server.python' | 'PATH';
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') {
    return true;
  }
  if (Array.isArray(value)) {
    return value.length === 0;
  }
  if (typeof value === 'object') {
    return Object.keys(value as object).length === 0;
  }
  return false;
}

/**
 * The server's settings dict: the same keys as config.toml. Unset (empty) settings are left out
 * so that they do not hide what the user and workspace config files say.
 */
export function serverSettings(read: Reader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = read(key);
    if (!isEmpty(value)) {
      out[key] = value;
    }
  }
  return out;
}

export interface ExpandContext {
  home: string;
  workspaceFolder?: string;
}

/** Expands a leading `~` and `${workspaceFolder}` / `${userHome}` in one path-like setting. */
export function expand(value: string, ctx: ExpandContext): string {
  let out = value.replace(/\$\{userHome\}/g, ctx.home);
  if (ctx.workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, ctx.workspaceFolder);
  }
  if (out === '~' || out.startsWith('~/')) {
    out = ctx.home + out.slice(1);
  }
  return out;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string') {
        out[k] = v;
      }
    }
  }
  return out;
}

/**
 * The command line that starts the server: `codeswitch.server.command` when set, else
 * `<codeswitch.server.python> -m codeswitch serve`, else `codeswitch serve` from PATH.
 */
export function serverLaunch(read: Reader, ctx: ExpandContext): ServerLaunch {
  const env = stringMap(read('server.env'));
  const command = stringArray(read('server.command')).map((part) => expand(part, ctx));
  if (command.length > 0) {
    return { command: command[0], args: command.slice(1), env, source: 'codeswitch.server.command' };
  }
  const python = read('server.python');
  if (typeof python === 'string' && python.trim() !== '') {
    return { command: expand(python.trim(), ctx), args: ['-m', 'codeswitch', 'serve'], env,
      source: 'codeswitch.server.python' };
  }
  return { command: 'codeswitch', args: ['serve'], env, source: 'PATH' };
}

/** The launch as one shell-like line, for messages. */
export function launchLine(launch: ServerLaunch): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [launch.command, ...launch.args].map(quote).join(' ');
}

/** A clear message for a server that did not start, naming the command and the setting to fix. */
export function startFailureMessage(launch: ServerLaunch, reason: string): string {
  const fix = launch.source === 'PATH'
    ? 'Put codeswitch on PATH, or set codeswitch.server.python (an interpreter that has it) or codeswitch.server.command.'
    : `Check the ${launch.source} setting.`;
  const why = reason.trim() === '' ? '' : ` (${reason.trim()})`;
  return `codeswitch: the server could not start with \`${launchLine(launch)}\`${why}. ${fix}`;
}

/**
 * Where `command` resolves: itself when it names a path (contains a slash), else the first PATH
 * entry holding an executable of that name; undefined when there is none.
 */
export function resolveCommand(command: string, pathEnv: string | undefined,
  isExecutable: (file: string) => boolean, delimiter = ':'): string | undefined {
  if (command.includes('/') || command.includes('\\')) {
    return isExecutable(command) ? command : undefined;
  }
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '') {
      continue;
    }
    const candidate = `${dir.replace(/[/\\]+$/, '')}/${command}`;
    if (isExecutable(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** Why a launch cannot work before trying it (the command is missing), or undefined. */
export function launchProblem(launch: ServerLaunch, pathEnv: string | undefined,
  isExecutable: (file: string) => boolean, delimiter = ':'): string | undefined {
  if (resolveCommand(launch.command, pathEnv, isExecutable, delimiter) !== undefined) {
    return undefined;
  }
  const hasPath = launch.command.includes('/') || launch.command.includes('\\');
  return hasPath ? `${launch.command} does not exist or is not executable` : `${launch.command} was not found on PATH`;
}

/**
 * The most telling line of what a server printed before it died: the last non-empty stderr
 * line (a Python traceback ends with the exception), cut to a readable length.
 */
export function lastErrorLine(stderr: string, max = 300): string | undefined {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) {
    return undefined;
  }
  return last.length > max ? `${last.slice(0, max - 1)}…` : last;
}
