import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEdit, statusAfter, formatLastRoute, formatStats, statusBar, usd } from '../src/common/format';

test('usd shows fractions of a cent and unknown prices', () => {
  assert.equal(usd(0), '$0.00');
  assert.equal(usd(1.5), '$1.50');
  assert.equal(usd(0.00123), '$0.0012');
  assert.equal(usd(null), 'unknown');
  assert.equal(usd(undefined), 'unknown');
});

test('formatStats lists tiers, models with acceptance, and the premium comparison', () => {
  const text = formatStats({
    since: null,
    totals: { name: 'total', requests: 12, input_tokens: 1200, output_tokens: 300, cost_usd: 0.5, unknown_cost_calls: 2 },
    by_tier: [{ name: 'inline', requests: 12, served: 10, failed: 1, cancelled: 1, cost_usd: 0 }],
    by_model: [{ name: 'gpt-5.3-codex-spark', requests: 12, cost_usd: 0, unknown_cost_calls: 12,
      inline_served: 10, accepted: 4, acceptance_rate: 0.4, input_tokens: 1200, output_tokens: 300 }],
    premium: { model_key: 'claude-opus-4-6', premium_only_usd: 3, actual_usd: 0.5, unknown_cost_calls: 2 },
  });
  assert.match(text, /\*\*Total:\*\* \$0\.50 \(\+2 at unpublished prices\) over 12 requests \(1,200 input \/ 300 output tokens\)/);
  assert.match(text, /\| inline \| 12 \| 10 \| 1 \| 1 \| \$0\.00 \|/);
  assert.match(text, /\| gpt-5\.3-codex-spark \| 12 \| 1,200 \/ 300 \| \$0\.00 \(\+12 at unpublished prices\) \| 4 of 10 \(40%\) \|/);
  assert.match(text, /On claude-opus-4-6 alone these calls would have cost \$3\.00; they cost \$0\.50, saving \$2\.50 \(an upper bound/);
  assert.doesNotMatch(text, /No requests recorded/);
});

test('formatStats says when nothing was recorded', () => {
  const text = formatStats({ since: null, totals: { name: 'total', requests: 0 }, by_tier: [], by_model: [], premium: null });
  assert.match(text, /No requests recorded yet/);
  assert.match(text, /over 0 requests/);
});

test('formatLastRoute explains the chain, the reasons and the signals', () => {
  const text = formatLastRoute({
    method: 'codeswitch/edit', uri: 'file:///a.py', scope: 'function', tier: 'function',
    model_chain: ['gpt-5.3-codex', 'claude-sonnet-4-5'], cause: 'explicit instruction',
    signals: { anchor: 'function', lines: 12 }, reasons: ['the selection is one function'],
    served_by: 'gpt-5.3-codex', at: 0,
  });
  assert.match(text, /codeswitch\/edit on file:\/\/\/a\.py/);
  assert.match(text, /1970-01-01 00:00:00 UTC/);
  assert.match(text, /gpt-5\.3-codex → claude-sonnet-4-5/);
  assert.match(text, /\*\*Served by:\*\* gpt-5\.3-codex/);
  assert.match(text, /- the selection is one function/);
  assert.match(text, /- lines: 12/);
  assert.match(formatLastRoute(null), /Nothing has been routed yet/);
});

test('status bar shows the serving model and the spend today', () => {
  assert.equal(statusBar(undefined).text, '$(sparkle) codeswitch');
  const s = statusBar({ model: 'gpt-5.3-codex-spark', tier: 'inline', spentTodayUsd: 0.1234 });
  assert.equal(s.text, '$(sparkle) gpt-5.3-codex-spark · $0.12 today');
  assert.match(s.tooltip, /served by gpt-5\.3-codex-spark \(inline\)/);
  assert.equal(statusBar({ model: 'm', tier: 'inline', spentTodayUsd: null }).text, '$(sparkle) m');
  assert.equal(statusBar(undefined, 'starting').text, '$(sync~spin) codeswitch');
  assert.match(statusBar({ model: 'm' }, 'stopped').tooltip, /not running/);
});

test('describeEdit tells errors, empty answers and proposals apart', () => {
  const base = { edit: null, model: 'gpt-5.3-codex', tier: 'function', usage: { cost_usd: 0.02 } };
  const failed = describeEdit({ ...base, model: null, error: { kind: 'all_failed', message: 'no model answered' },
    fallbacks: [{ model: 'gpt-5.3-codex', error: 'rate_limit' }] }, 'edit');
  assert.equal(failed.kind, 'error');
  assert.match(failed.message, /edit failed \(all_failed\): no model answered \[tried gpt-5\.3-codex: rate_limit\]/);
  assert.equal(describeEdit({ ...base, error: null }, 'edit').kind, 'empty');
  const ok = describeEdit({ ...base, edit: { changes: {} }, error: null }, 'refactor');
  assert.deepEqual(ok, { kind: 'ok', message: 'codeswitch: applied the refactor from gpt-5.3-codex (function tier, $0.02).' });
});

test('statusAfter shows the editing model and adds its cost to a known spend', () => {
  const result = { edit: {}, model: 'gpt-5.3-codex', tier: 'function', usage: { cost_usd: 0.25 } };
  assert.deepEqual(statusAfter({ model: 'spark', tier: 'inline', spentTodayUsd: 1 }, result),
    { model: 'gpt-5.3-codex', tier: 'function', spentTodayUsd: 1.25 });
  assert.deepEqual(statusAfter(undefined, result), { model: 'gpt-5.3-codex', tier: 'function', spentTodayUsd: undefined });
  const last = { model: 'spark', tier: 'inline', spentTodayUsd: 1 };
  assert.equal(statusAfter(last, { ...result, model: null }), last);
  assert.equal(statusAfter(last, { ...result, usage: { cost_usd: null } })?.spentTodayUsd, 1);
});
