import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analysisOutcome, documentPath, explainParams, reviewParams } from '../src/common/analysis';

const range = { start: { line: 3, character: 4 }, end: { line: 3, character: 4 } };

test('explain params carry the target, the question and the progress token', () => {
  assert.deepEqual(explainParams({ uri: 'file:///geo.py', range }, 'tok'), {
    textDocument: { uri: 'file:///geo.py' }, range, workDoneToken: 'tok',
  });
  assert.deepEqual(explainParams({ uri: 'file:///geo.py', range }, undefined, '  why?  '), {
    textDocument: { uri: 'file:///geo.py' }, range, question: 'why?',
  });
  assert.deepEqual(reviewParams('t'), { workDoneToken: 't' });
  assert.deepEqual(reviewParams(), {});
  assert.deepEqual(reviewParams('t', 'file:///w/a.py'), { textDocument: { uri: 'file:///w/a.py' }, workDoneToken: 't' });
});

test('an answer becomes a document with a status line; an error its message', () => {
  const outcome = analysisOutcome({ task: 'explain', title: 'Explanation: function `area` (geo.py:4)',
    markdown: '# Explanation\n\nIt multiplies.\n', model: 'gpt-5.1-codex-mini', context_tokens: 1234, error: null });
  assert.deepEqual(outcome, { kind: 'document', title: 'Explanation: function `area` (geo.py:4)',
    markdown: '# Explanation\n\nIt multiplies.\n',
    status: 'codeswitch: Explanation: function `area` (geo.py:4) by gpt-5.1-codex-mini (1.2K tokens of context)' });
  assert.deepEqual(analysisOutcome({ error: { kind: 'no_changes', message: 'no changes against HEAD to review' } }),
    { kind: 'error', message: 'codeswitch: no changes against HEAD to review' });
  assert.equal(analysisOutcome(null).kind, 'error');
  assert.equal(analysisOutcome({ markdown: '' }).kind, 'error');
});

test('document paths are unique per answer and safe', () => {
  assert.equal(documentPath(3, 'Explanation: function `area` (geo.py:4)'), '/3/Explanation-function-area-geo.py-4.md');
  assert.equal(documentPath(4, '///'), '/4/answer.md');
});
