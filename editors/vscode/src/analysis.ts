/**
 * "Explain this" and "Review my changes": sends codeswitch/explain or codeswitch/review with a
 * cancellable progress notification, then shows the Markdown answer in the Markdown preview of a
 * read-only virtual document (scheme codeswitch-analysis).
 */
import * as vscode from 'vscode';
import { Host, currentTarget, requestFailed, requireClient, withProgress } from './common/commands';
import {
  ANALYSIS_SCHEME, AnalysisResult, EXPLAIN_METHOD, REVIEW_METHOD, analysisOutcome, documentPath, explainParams,
  reviewParams,
} from './common/analysis';

/** The answers shown so far, by URI (read-only: the provider is the only source of their text). */
export class AnalysisDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private seq = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  add(title: string, markdown: string): vscode.Uri {
    this.seq += 1;
    const uri = vscode.Uri.from({ scheme: ANALYSIS_SCHEME, path: documentPath(this.seq, title) });
    this.texts.set(uri.toString(), markdown);
    return uri;
  }
}

async function show(docs: AnalysisDocuments, host: Host, result: AnalysisResult | undefined): Promise<boolean> {
  if (result === undefined) {
    return false; // cancelled
  }
  host.served({ edit: null, model: result.model, tier: result.tier, usage: result.usage });
  const outcome = analysisOutcome(result);
  if (outcome.kind === 'error') {
    void vscode.window.showErrorMessage(outcome.message);
    return false;
  }
  const uri = docs.add(outcome.title, outcome.markdown);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch {
    // no Markdown preview (the built-in extension is disabled): the read-only text itself
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: false });
  }
  vscode.window.setStatusBarMessage(outcome.status, 8000);
  return true;
}

export async function explain(docs: AnalysisDocuments, host: Host, ...args: unknown[]): Promise<boolean> {
  const client = requireClient(host);
  if (client === undefined) {
    return false;
  }
  const target = currentTarget(args, client);
  if (target === undefined) {
    void vscode.window.showWarningMessage('codeswitch: open a file and put the cursor in the code to explain first.');
    return false;
  }
  try {
    const result = await withProgress<AnalysisResult>(client, 'codeswitch: explaining…', EXPLAIN_METHOD,
      (token) => explainParams(target, token));
    return await show(docs, host, result);
  } catch (err) {
    requestFailed('the explanation', err);
    return false;
  }
}

export async function reviewChanges(docs: AnalysisDocuments, host: Host): Promise<boolean> {
  const client = requireClient(host);
  if (client === undefined) {
    return false;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const uri = active?.scheme === 'file' ? active.toString() : undefined;
  try {
    const result = await withProgress<AnalysisResult>(client, 'codeswitch: reviewing your changes…', REVIEW_METHOD,
      (token) => reviewParams(token, uri));
    return await show(docs, host, result);
  } catch (err) {
    requestFailed('the review', err);
    return false;
  }
}

/** Registers the document provider and the two commands (the code actions' client commands). */
export function registerAnalysis(context: vscode.ExtensionContext, host: Host): void {
  const docs = new AnalysisDocuments();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(ANALYSIS_SCHEME, docs),
    vscode.commands.registerCommand('codeswitch.explain', (...args: unknown[]) => explain(docs, host, ...args)),
    vscode.commands.registerCommand('codeswitch.reviewChanges', () => reviewChanges(docs, host)),
  );
}
