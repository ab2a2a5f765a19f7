/**
 * Turning server answers into text: the spend report, the last route, the status bar, edit
 * results. Pure functions (no `vscode` import), unit-tested without VS Code.
 *
 * The shapes of the custom methods' results (codeswitch/edit, codeswitch/refactor,
 * codeswitch/lastRoute, codeswitch/status) are those of docs/protocol.md.
 */

export interface SpendRow {
  name: string;
  requests?: number;
  calls?: number;
  served?: number;
  failed?: number;
  cancelled?: number;
  input_tokens?: number;
  output_tokens?: number;
  cost_usd?: number;
  unknown_cost_calls?: number;
}

export interface ModelRow extends SpendRow {
  inline_served?: number;
  accepted?: number;
  accepted_full?: number;
  accepted_chars?: number;
  acceptance_rate?: number | null;
}

export interface Stats {
  since?: number | null;
  totals?: SpendRow;
  by_tier?: SpendRow[];
  by_model?: ModelRow[];
  premium?: {
    model_key: string;
    premium_only_usd: number;
    actual_usd: number;
    unknown_cost_calls: number;
  } | null;
}

export interface LastRoute {
  method?: string;
  uri?: string;
  scope?: string;
  tier?: string;
  model_chain?: string[];
  cause?: string;
  signals?: Record<string, unknown> | unknown[] | null;
  reasons?: string[];
  served_by?: string | null;
  at?: number | string | null;
}

export interface StatusParams {
  model?: string | null;
  tier?: string | null;
  spentTodayUsd?: number | null;
}

export interface EditResult {
  edit: unknown;
  diff?: string;
  applied?: boolean;
  model?: string | null;
  scope?: string;
  tier?: string;
  reasons?: string[];
  usage?: { input_tokens?: number; output_tokens?: number; cost_usd?: number | null };
  fallbacks?: { model: string; error: string }[];
  error?: { kind: string; message: string } | null;
}

/** Dollars: two decimals from a cent up, four below (inline calls cost fractions of a cent). */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return 'unknown';
  }
  if (value === 0) {
    return '$0.00';
  }
  return Math.abs(value) >= 0.01 ? `$${value.toFixed(2)}` : `$${value.toFixed(4)}`;
}

function int(value: number | undefined): string {
  return (value ?? 0).toLocaleString('en-US');
}

function cost(row: SpendRow): string {
  const unknown = row.unknown_cost_calls ?? 0;
  return unknown > 0 ? `${usd(row.cost_usd ?? 0)} (+${unknown} at unpublished prices)` : usd(row.cost_usd ?? 0);
}

function when(at: number | string | null | undefined): string {
  if (at === null || at === undefined) {
    return 'unknown';
  }
  const date = typeof at === 'number' ? new Date(at * 1000) : new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** The `codeswitch/stats` result as a markdown report. */
export function formatStats(stats: Stats): string {
  const lines: string[] = ['# codeswitch spend', ''];
  lines.push(stats.since ? `Since ${when(stats.since)}.` : 'All recorded requests.');
  lines.push('');
  const totals = stats.totals ?? { name: 'total' };
  lines.push(`**Total:** ${cost(totals)} over ${int(totals.requests)} requests ` +
    `(${int(totals.input_tokens)} input / ${int(totals.output_tokens)} output tokens)`);
  lines.push('');
  const tiers = stats.by_tier ?? [];
  if (tiers.length > 0) {
    lines.push('## By tier', '', '| tier | requests | served | failed | cancelled | cost |', '|---|---:|---:|---:|---:|---:|');
    for (const t of tiers) {
      lines.push(`| ${t.name} | ${int(t.requests)} | ${int(t.served)} | ${int(t.failed)} | ${int(t.cancelled)} | ${cost(t)} |`);
    }
    lines.push('');
  }
  const models = stats.by_model ?? [];
  if (models.length > 0) {
    lines.push('## By model', '', '| model | requests | tokens in / out | cost | inline accepted |', '|---|---:|---:|---:|---:|');
    for (const m of models) {
      const served = m.inline_served ?? 0;
      const rate = m.acceptance_rate === null || m.acceptance_rate === undefined
        ? '' : ` (${Math.round(m.acceptance_rate * 100)}%)`;
      const accepted = served > 0 ? `${int(m.accepted)} of ${int(served)}${rate}` : '–';
      lines.push(`| ${m.name} | ${int(m.requests)} | ${int(m.input_tokens)} / ${int(m.output_tokens)} | ${cost(m)} | ${accepted} |`);
    }
    lines.push('');
  }
  if (stats.premium) {
    const p = stats.premium;
    const saved = p.premium_only_usd - p.actual_usd;
    const bound = p.unknown_cost_calls > 0 ? ' (an upper bound: some prices are unpublished)' : '';
    lines.push('## Against one premium model', '',
      `On ${p.model_key} alone these calls would have cost ${usd(p.premium_only_usd)}; ` +
      `they cost ${usd(p.actual_usd)}, saving ${usd(saved)}${bound}.`, '');
  }
  if (tiers.length === 0 && models.length === 0) {
    lines.push('No requests recorded yet.', '');
  }
  return lines.join('\n');
}

function signalsText(signals: LastRoute['signals']): string[] {
  if (signals === null || signals === undefined) {
    return [];
  }
  if (Array.isArray(signals)) {
    return signals.map((s) => `- ${typeof s === 'string' ? s : JSON.stringify(s)}`);
  }
  return Object.entries(signals).map(([k, v]) => `- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

/** The `codeswitch/lastRoute` result as markdown (null: nothing routed yet). */
export function formatLastRoute(route: LastRoute | null): string {
  if (route === null) {
    return '# Last route\n\nNothing has been routed yet in this session.\n';
  }
  const lines = ['# Last route', ''];
  lines.push(`- **Request:** ${route.method ?? 'unknown'}${route.uri ? ` on ${route.uri}` : ''}`);
  lines.push(`- **When:** ${when(route.at)}`);
  lines.push(`- **Scope:** ${route.scope ?? 'unknown'} → **tier** ${route.tier ?? 'unknown'}`);
  lines.push(`- **Model chain:** ${(route.model_chain ?? []).join(' → ') || 'none'}`);
  lines.push(`- **Served by:** ${route.served_by ?? 'nobody (failed or cancelled)'}`);
  if (route.cause) {
    lines.push(`- **Cause:** ${route.cause}`);
  }
  const reasons = route.reasons ?? [];
  if (reasons.length > 0) {
    lines.push('', '## Why', '', ...reasons.map((r) => `- ${r}`));
  }
  const signals = signalsText(route.signals);
  if (signals.length > 0) {
    lines.push('', '## Signals', '', ...signals);
  }
  lines.push('');
  return lines.join('\n');
}

export type ServerState = 'starting' | 'running' | 'stopped';

/** Status bar text and tooltip: the server state until a `codeswitch/status` notification arrives. */
export function statusBar(status: StatusParams | undefined, state: ServerState = 'running'): { text: string; tooltip: string } {
  if (state === 'starting') {
    return { text: '$(sync~spin) codeswitch', tooltip: 'codeswitch: starting the server…' };
  }
  if (state === 'stopped') {
    return { text: '$(error) codeswitch', tooltip: 'codeswitch: the server is not running. Click for the output.' };
  }
  if (status === undefined || !status.model) {
    return { text: '$(sparkle) codeswitch', tooltip: 'codeswitch: no request served yet. Click for spend.' };
  }
  const spent = status.spentTodayUsd === null || status.spentTodayUsd === undefined
    ? '' : ` · ${usd(status.spentTodayUsd)} today`;
  const tier = status.tier ? ` (${status.tier})` : '';
  return {
    text: `$(sparkle) ${status.model}${spent}`,
    tooltip: `codeswitch: last request served by ${status.model}${tier}; ` +
      `spent today: ${usd(status.spentTodayUsd)}. Click for spend.`,
  };
}

/** What to tell the user after an edit / refactor answer: 'error' | 'empty' | 'ok' and a message. */
export function describeEdit(result: EditResult, what: 'edit' | 'refactor'): { kind: 'error' | 'empty' | 'ok'; message: string } {
  const by = result.model ? ` by ${result.model}` : '';
  if (result.error) {
    const tried = (result.fallbacks ?? []).map((f) => `${f.model}: ${f.error}`).join('; ');
    return { kind: 'error', message: `codeswitch ${what} failed (${result.error.kind}): ${result.error.message}` +
      (tried ? ` [tried ${tried}]` : '') };
  }
  if (result.edit === null || result.edit === undefined) {
    return { kind: 'empty', message: `codeswitch: no changes proposed${by}.` };
  }
  const spend = result.usage?.cost_usd === undefined ? '' : `, ${usd(result.usage.cost_usd)}`;
  const from = result.model ? ` from ${result.model}` : '';
  return { kind: 'ok', message: `codeswitch: applied the ${what}${from} (${result.tier ?? result.scope ?? 'unknown'} tier${spend}).` };
}

/**
 * The status after an edit or refactor answer: the model that served it, and today's spend plus
 * its cost when today's spend is known (the server's `codeswitch/status` follows every served request).
 */
export function statusAfter(last: StatusParams | undefined, result: EditResult): StatusParams | undefined {
  if (!result.model) {
    return last;
  }
  const before = last?.spentTodayUsd;
  const cost = result.usage?.cost_usd;
  const spent = typeof before === 'number' ? before + (typeof cost === 'number' ? cost : 0) : undefined;
  return { model: result.model, tier: result.tier ?? null, spentTodayUsd: spent };
}
