/**
 * The inline switch's status bar item: on, off, snoozed, or off for this file by `inline.enable`.
 * Pure functions (no `vscode` import); the state comes from the server's `codeswitch.inline.*`
 * commands and the `codeswitch/inlineSwitch` notification.
 */

export const TOGGLE_COMMAND = 'codeswitch.inline.toggle';
export const SNOOZE_COMMAND = 'codeswitch.inline.snooze';
export const STATUS_COMMAND = 'codeswitch.inline.status';
export const SWITCH_NOTIFICATION = 'codeswitch/inlineSwitch';

export interface SwitchState {
  enabled: boolean;
  /** milliseconds since the epoch, or null when not snoozed */
  snoozedUntil: number | null;
  /** whether a suggestion may be asked for in the document the state was asked for */
  allowed: boolean;
  reason: string;
  enable?: unknown;
}

export const SNOOZE_CHOICES: readonly { label: string; minutes: number }[] = [
  { label: '30 minutes', minutes: 30 },
  { label: '5 minutes', minutes: 5 },
  { label: '1 hour', minutes: 60 },
  { label: 'Until tomorrow (12 hours)', minutes: 720 },
];

/** HH:MM in local time. */
export function clockTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** A state the server sent as a plain object, or undefined when it is not one. */
export function asSwitchState(value: unknown): SwitchState | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const v = value as Record<string, unknown>;
  if (typeof v.enabled !== 'boolean' || typeof v.allowed !== 'boolean') {
    return undefined;
  }
  return {
    enabled: v.enabled,
    snoozedUntil: typeof v.snoozedUntil === 'number' ? v.snoozedUntil : null,
    allowed: v.allowed,
    reason: typeof v.reason === 'string' ? v.reason : '',
    enable: v.enable,
  };
}

/** Text and tooltip of the switch's status bar item; clicking it toggles. */
export function switchBar(state: SwitchState | undefined, now: number = Date.now()): { text: string; tooltip: string } {
  if (state === undefined) {
    return { text: '$(sparkle) inline', tooltip: 'codeswitch inline suggestions (click to turn off)' };
  }
  if (!state.enabled) {
    return { text: '$(circle-slash) inline off', tooltip: 'Inline suggestions are off (click to turn them on)' };
  }
  if (state.snoozedUntil !== null && state.snoozedUntil > now) {
    const until = clockTime(state.snoozedUntil);
    return { text: `$(clock) inline snoozed until ${until}`, tooltip: `Inline suggestions are snoozed until ${until} (click to resume)` };
  }
  if (!state.allowed) {
    return { text: '$(circle-slash) inline off here', tooltip: `${state.reason} (click to turn inline suggestions off everywhere)` };
  }
  return { text: '$(sparkle) inline', tooltip: 'Inline suggestions are on (click to turn them off)' };
}

/** Milliseconds until a snooze ends (to refresh the item then), or undefined. */
export function refreshIn(state: SwitchState | undefined, now: number = Date.now()): number | undefined {
  if (state === undefined || state.snoozedUntil === null || state.snoozedUntil <= now) {
    return undefined;
  }
  return state.snoozedUntil - now + 500;
}
