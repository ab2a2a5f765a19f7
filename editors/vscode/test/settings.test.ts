import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expand, lastErrorLine, launchLine, launchProblem, resolveCommand, serverLaunch, serverSettings, startFailureMessage,
} from '../src/common/settings';

const reader = (values: Record<string, unknown>) => (key: string): unknown => values[key];
const ctx = { home: '/home/u', workspaceFolder: '/ws' };

test('serverSettings passes the server keys and leaves out empty and client-only settings', () => {
  const settings = serverSettings(reader({
    providers: { openai: { base_url: 'http://127.0.0.1:9/v1' } },
    tiers: {},
    budget: { daily_usd: 5 },
    exclude: [],
    catalog_path: null,
    inline: { debounce_ms: 75 },
    'server.command': ['codeswitch', 'serve'],
    'trace.server': 'verbose',
  }));
  assert.deepEqual(settings, {
    providers: { openai: { base_url: 'http://127.0.0.1:9/v1' } },
    budget: { daily_usd: 5 },
    inline: { debounce_ms: 75 },
  });
});

test('serverSettings keeps a non-empty exclude list and a catalog path', () => {
  const settings = serverSettings(reader({ exclude: ['**/secrets/**'], catalog_path: '/c.toml' }));
  assert.deepEqual(settings, { exclude: ['**/secrets/**'], catalog_path: '/c.toml' });
});

test('the command setting wins over the python setting and expands variables', () => {
  const launch = serverLaunch(reader({
    'server.command': ['${workspaceFolder}/.venv/bin/codeswitch', 'serve', '--log', '~/cs.log'],
    'server.python': '/usr/bin/python3',
    'server.env': { XDG_DATA_HOME: '/tmp/d', BAD: 3 },
  }), ctx);
  assert.equal(launch.command, '/ws/.venv/bin/codeswitch');
  assert.deepEqual(launch.args, ['serve', '--log', '/home/u/cs.log']);
  assert.deepEqual(launch.env, { XDG_DATA_HOME: '/tmp/d' });
  assert.equal(launch.source, 'codeswitch.server.command');
});

test('the python setting runs the module', () => {
  const launch = serverLaunch(reader({ 'server.command': [], 'server.python': ' ~/venv/bin/python ' }), ctx);
  assert.equal(launch.command, '/home/u/venv/bin/python');
  assert.deepEqual(launch.args, ['-m', 'codeswitch', 'serve']);
  assert.equal(launch.source, 'codeswitch.server.python');
});

test('without settings the server is codeswitch serve from PATH', () => {
  const launch = serverLaunch(reader({}), ctx);
  assert.deepEqual([launch.command, ...launch.args], ['codeswitch', 'serve']);
  assert.equal(launch.source, 'PATH');
});

test('expand leaves other text alone and knows no folder when none is open', () => {
  assert.equal(expand('a~b', ctx), 'a~b');
  assert.equal(expand('${workspaceFolder}/x', { home: '/h' }), '${workspaceFolder}/x');
  assert.equal(expand('${userHome}/x', { home: '/h' }), '/h/x');
});

test('a start failure names the command line and the setting to fix', () => {
  const launch = serverLaunch(reader({ 'server.python': '/opt/my python/bin/python' }), ctx);
  assert.equal(launchLine(launch), `'/opt/my python/bin/python' -m codeswitch serve`);
  const message = startFailureMessage(launch, 'spawn ENOENT');
  assert.match(message, /could not start with `'\/opt\/my python\/bin\/python' -m codeswitch serve` \(spawn ENOENT\)/);
  assert.match(message, /codeswitch\.server\.python/);
  const fromPath = startFailureMessage(serverLaunch(reader({}), ctx), '');
  assert.match(fromPath, /Put codeswitch on PATH, or set codeswitch\.server\.python/);
  assert.doesNotMatch(fromPath, /\(\)/);
});

test('resolveCommand searches PATH for bare names and checks paths as they are', () => {
  const exists = new Set(['/usr/bin/codeswitch', '/opt/py/bin/python']);
  const isExec = (f: string): boolean => exists.has(f);
  assert.equal(resolveCommand('codeswitch', '/bin:/usr/bin/', isExec), '/usr/bin/codeswitch');
  assert.equal(resolveCommand('codeswitch', '/bin', isExec), undefined);
  assert.equal(resolveCommand('codeswitch', undefined, isExec), undefined);
  assert.equal(resolveCommand('/opt/py/bin/python', '', isExec), '/opt/py/bin/python');
  assert.equal(resolveCommand('./python', '/opt/py/bin', isExec), undefined);
});

test('launchProblem says whether a command is missing on PATH or at its path', () => {
  const none = (): boolean => false;
  const fromPath = serverLaunch(reader({}), ctx);
  assert.equal(launchProblem(fromPath, '/bin', none), 'codeswitch was not found on PATH');
  const python = serverLaunch(reader({ 'server.python': '/x/python' }), ctx);
  assert.equal(launchProblem(python, '/bin', none), '/x/python does not exist or is not executable');
  assert.equal(launchProblem(python, '/bin', () => true), undefined);
});

test('lastErrorLine picks the exception line of a traceback', () => {
  const traceback = 'Traceback (most recent call last):\n  File "x", line 1\nModuleNotFoundError: No module named \'pygls\'\n\n';
  assert.equal(lastErrorLine(traceback), "ModuleNotFoundError: No module named 'pygls'");
  assert.equal(lastErrorLine('/v/bin/python: No module named codeswitch\n'), '/v/bin/python: No module named codeswitch');
  assert.equal(lastErrorLine('\n  \n'), undefined);
  assert.equal(lastErrorLine('x'.repeat(500), 10), `${'x'.repeat(9)}…`);
});
