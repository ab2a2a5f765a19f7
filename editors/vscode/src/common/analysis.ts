/**
 * Explain and review (docs/analysis.md): request parameters, and what to show for an answer. Pure
 * functions; src/analysis.ts shows the Markdown as a read-only virtual document in the preview.
 */
import { Target } from './requests';

export const EXPLAIN_METHOD = 'codeswitch/explain';
export const REVIEW_METHOD = 'codeswitch/review';
/** The URI scheme of the read-only documents the answers are shown in. */
export const ANALYSIS_SCHEME = 'codeswitch-analysis';

/** The result of codeswitch/explain and codeswitch/review. */
export interface AnalysisResult {
  task?: 'explain' | 'review';
  title?: string;
  markdown?: string;
  model?: string | null;
  tier?: string;
  context_tokens?: number;
  reasons?: string[];
  usage?: { input_tokens?: number; output_tokens?: number; cost_usd?: number | null };
  error?: { kind: string; message: string } | null;
}

export type AnalysisOutcome =
  | { kind: 'error'; message: string }
  | { kind: 'document'; title: string; markdown: string; status: string };

export function explainParams(target: Target, workDoneToken?: string, question?: string): Record<string, unknown> {
  const params: Record<string, unknown> = { textDocument: { uri: target.uri }, range: target.range };
  if (question !== undefined && question.trim() !== '') {
    params.question = question.trim();
  }
  if (workDoneToken !== undefined) {
    params.workDoneToken = workDoneToken;
  }
  return params;
}

/** The review's params: the changes of the workspace folder holding ``uri`` (the active editor's). */
export function reviewParams(workDoneToken?: string, uri?: string): Record<string, unknown> {
  return {
    ...(uri === undefined ? {} : { textDocument: { uri } }),
    ...(workDoneToken === undefined ? {} : { workDoneToken }),
  };
}

function tokens(n: number | undefined): string {
  if (typeof n !== 'number') {
    return 'unknown';
  }
  return n >= 1000 ? `${(n / 1000).toFixed(1)}K` : String(n);
}

/** What to show: the document, or the error message (the server says why in `error.message`). */
export function analysisOutcome(result: AnalysisResult | null | undefined): AnalysisOutcome {
  if (result === null || result === undefined || typeof result !== 'object') {
    return { kind: 'error', message: 'codeswitch: the server sent no answer.' };
  }
  if (result.error) {
    return { kind: 'error', message: `codeswitch: ${result.error.message}` };
  }
  if (!result.markdown) {
    return { kind: 'error', message: 'codeswitch: the answer was empty.' };
  }
  const title = result.title || (result.task === 'review' ? 'Review' : 'Explanation');
  const status = `codeswitch: ${title} by ${result.model ?? 'unknown model'} (${tokens(result.context_tokens)} tokens of context)`;
  return { kind: 'document', title, markdown: result.markdown, status };
}

/** The virtual document's path: unique per answer, named after the title, ending in .md. */
export function documentPath(seq: number, title: string): string {
  const slug = title.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'answer';
  return `/${seq}/${slug}.md`;
}
