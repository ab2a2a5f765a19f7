/**
 * Parameters of the custom requests (docs/architecture.md "Custom protocol"). Pure functions.
 */

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

/** Where a command applies: `[{textDocument: {uri}, range}]`, as the server's code actions send it. */
export interface Target {
  uri: string;
  range: LspRange;
}

function isPosition(value: unknown): value is LspPosition {
  const p = value as LspPosition | null;
  return p !== null && typeof p === 'object' && Number.isInteger(p.line) && Number.isInteger(p.character) &&
    p.line >= 0 && p.character >= 0;
}

function isRange(value: unknown): value is LspRange {
  const r = value as LspRange | null;
  return r !== null && typeof r === 'object' && isPosition(r.start) && isPosition(r.end);
}

/**
 * The target named by command arguments: the first argument `{textDocument: {uri}, range}` (or
 * that object inside an array). Undefined when the command ran without one (command palette).
 */
export function targetFromArgs(args: readonly unknown[]): Target | undefined {
  let first: unknown = args[0];
  if (Array.isArray(first)) {
    first = first[0];
  }
  if (first === null || typeof first !== 'object') {
    return undefined;
  }
  const obj = first as { textDocument?: { uri?: unknown }; range?: unknown };
  const uri = obj.textDocument?.uri;
  if (typeof uri !== 'string' || uri === '' || !isRange(obj.range)) {
    return undefined;
  }
  return { uri, range: obj.range };
}

export function editParams(target: Target, instruction: string, workDoneToken?: string): Record<string, unknown> {
  const params: Record<string, unknown> = {
    textDocument: { uri: target.uri },
    range: target.range,
    instruction,
  };
  if (workDoneToken !== undefined) {
    params.workDoneToken = workDoneToken;
  }
  return params;
}

export function refactorParams(target: Target | undefined, instruction: string,
  workDoneToken?: string): Record<string, unknown> {
  const params: Record<string, unknown> = { instruction };
  if (target !== undefined) {
    params.textDocument = { uri: target.uri };
    params.range = target.range;
  }
  if (workDoneToken !== undefined) {
    params.workDoneToken = workDoneToken;
  }
  return params;
}
