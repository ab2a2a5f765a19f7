import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editParams, refactorParams, targetFromArgs } from '../src/common/requests';

const range = { start: { line: 3, character: 0 }, end: { line: 5, character: 4 } };

test('targetFromArgs reads the code action argument shape', () => {
  assert.deepEqual(targetFromArgs([{ textDocument: { uri: 'file:///a.py' }, range }]), { uri: 'file:///a.py', range });
  assert.deepEqual(targetFromArgs([[{ textDocument: { uri: 'file:///a.py' }, range }]]), { uri: 'file:///a.py', range });
});

test('targetFromArgs ignores the command palette and malformed arguments', () => {
  assert.equal(targetFromArgs([]), undefined);
  assert.equal(targetFromArgs([undefined]), undefined);
  assert.equal(targetFromArgs([{ textDocument: { uri: 'file:///a.py' } }]), undefined);
  assert.equal(targetFromArgs([{ textDocument: { uri: 1 }, range }]), undefined);
  assert.equal(targetFromArgs([{ textDocument: { uri: 'file:///a.py' },
    range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } } }]), undefined);
});

test('edit params follow the protocol and carry the progress token', () => {
  assert.deepEqual(editParams({ uri: 'file:///a.py', range }, 'add a docstring', 'tok'), {
    textDocument: { uri: 'file:///a.py' }, range, instruction: 'add a docstring', workDoneToken: 'tok',
  });
  assert.equal('workDoneToken' in editParams({ uri: 'file:///a.py', range }, 'x'), false);
});

test('refactor params leave out the document when there is none', () => {
  assert.deepEqual(refactorParams(undefined, 'rename total'), { instruction: 'rename total' });
  assert.deepEqual(refactorParams({ uri: 'file:///a.py', range }, 'rename total', 't'), {
    instruction: 'rename total', textDocument: { uri: 'file:///a.py' }, range, workDoneToken: 't',
  });
});
