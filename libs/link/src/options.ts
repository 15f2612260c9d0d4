/**
 * Tunables of the link monitor, with defaults that meet DESIGN.md point 5 (loss
 * detected within 5 s). The sync client must complete a successful exchange
 * (a heartbeat or a batch) more often than every `degradedAfterMs`, or the link
 * reads DEGRADED while it is in fact healthy.
 */
import type { LinkState } from './types.js';

export interface LinkOptions {
  /** CONNECTED → DEGRADED after this long without a successful exchange. Default 2000. */
  degradedAfterMs: number;
  /** → AUTONOMOUS when the last success is this old: the detection time. Default 5000. */
  autonomousAfterMs: number;
  /** DEGRADED → CONNECTED after this many consecutive successes. Default 2. */
  reconnectAfterSuccesses: number;
  /** AUTONOMOUS → CONNECTED after this many consecutive successes... Default 3. */
  recoverAfterSuccesses: number;
  /** ...spread over at least this long (first to last). Default 2000. */
  recoverMinMs: number;
  /** AUTONOMOUS until the cloud proves itself (default), or CONNECTED with the start as the last success. */
  initialState: Exclude<LinkState, 'DEGRADED'>;
}

export const DEFAULT_LINK_OPTIONS: Readonly<LinkOptions> = Object.freeze({
  degradedAfterMs: 2000,
  autonomousAfterMs: 5000,
  reconnectAfterSuccesses: 2,
  recoverAfterSuccesses: 3,
  recoverMinMs: 2000,
  initialState: 'AUTONOMOUS',
});

/** Options that cannot give a sensible state machine; the message names the option. */
export class LinkOptionsError extends Error {
  override readonly name = 'LinkOptionsError';
}

export function resolveLinkOptions(options: Partial<LinkOptions> = {}): LinkOptions {
  const resolved: LinkOptions = { ...DEFAULT_LINK_OPTIONS, ...options };
  const check = (ok: boolean, message: string): void => {
    if (!ok) throw new LinkOptionsError(`link options: ${message}`);
  };
  const positive = (key: keyof LinkOptions, integer: boolean, min: number): void => {
    const value = resolved[key];
    check(
      typeof value === 'number' &&
        Number.isFinite(value) &&
        value >= min &&
        (!integer || Number.isInteger(value)),
      `${key} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(value)}`,
    );
  };
  positive('degradedAfterMs', false, 1);
  positive('autonomousAfterMs', false, 1);
  positive('reconnectAfterSuccesses', true, 1);
  positive('recoverAfterSuccesses', true, 1);
  positive('recoverMinMs', false, 0);
  check(
    resolved.autonomousAfterMs > resolved.degradedAfterMs,
    `autonomousAfterMs (${resolved.autonomousAfterMs}) must exceed degradedAfterMs (${resolved.degradedAfterMs})`,
  );
  check(
    resolved.initialState === 'AUTONOMOUS' || resolved.initialState === 'CONNECTED',
    `initialState must be AUTONOMOUS or CONNECTED, got ${String(resolved.initialState)}`,
  );
  return resolved;
}
