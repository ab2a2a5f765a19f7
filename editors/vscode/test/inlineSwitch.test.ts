import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asSwitchState, clockTime, refreshIn, switchBar } from '../src/common/inlineSwitch';

const on = { enabled: true, snoozedUntil: null, allowed: true, reason: 'inline.enable: "*" = true' };

test('switchBar shows on, off, snoozed and off-here', () => {
  assert.equal(switchBar(on).text, '$(sparkle) inline');
  assert.equal(switchBar({ ...on, enabled: false, allowed: false }).text, '$(circle-slash) inline off');
  const until = Date.UTC(2026, 0, 1, 12, 30);
  const snoozed = switchBar({ ...on, allowed: false, snoozedUntil: until }, until - 60_000);
  assert.equal(snoozed.text, `$(clock) inline snoozed until ${clockTime(until)}`);
  assert.match(snoozed.tooltip, /click to resume/);
  const here = switchBar({ ...on, allowed: false, reason: 'inline.enable: markdown = false' });
  assert.equal(here.text, '$(circle-slash) inline off here');
  assert.match(here.tooltip, /markdown = false/);
  assert.equal(switchBar(undefined).text, '$(sparkle) inline');
});

test('a snooze that has ended shows as on', () => {
  const until = 1_000_000;
  assert.equal(switchBar({ ...on, snoozedUntil: until }, until + 1).text, '$(sparkle) inline');
  assert.equal(refreshIn({ ...on, snoozedUntil: until }, until + 1), undefined);
  assert.equal(refreshIn({ ...on, snoozedUntil: until }, until - 1000), 1500);
});

test('asSwitchState accepts the server object and refuses anything else', () => {
  assert.deepEqual(asSwitchState({ ...on, enable: { '*': true } }), { ...on, enable: { '*': true } });
  assert.equal(asSwitchState(null), undefined);
  assert.equal(asSwitchState({ enabled: 'yes', allowed: true }), undefined);
  assert.equal(asSwitchState({ enabled: true, allowed: false, snoozedUntil: 'x' })?.snoozedUntil, null);
});
