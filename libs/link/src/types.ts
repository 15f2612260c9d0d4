/**
 * The controller's view of the cloud link (issue 4 item 4, DESIGN.md point 5):
 * its states, the outcomes that drive it and the transitions it reports.
 */

/**
 * CONNECTED: exchanges succeed. DEGRADED: something failed or went quiet; cloud
 * leases still count. AUTONOMOUS: the cloud is gone; cloud leases run out on
 * their own and the declared fallback schedules (slot 12) take effect.
 */
export type LinkState = 'CONNECTED' | 'DEGRADED' | 'AUTONOMOUS';

export const LINK_STATES: readonly LinkState[] = ['CONNECTED', 'DEGRADED', 'AUTONOMOUS'];

/** The result of one exchange with the cloud, as the sync client sees it. */
export type LinkOutcome = { kind: 'success' } | { kind: 'failure'; reason: string } | { kind: 'timeout' };

/** What caused a transition: an outcome (failure, timeout, recovered) or a timer (silence). */
export type LinkCause = 'failure' | 'timeout' | 'silence' | 'recovered';

export interface LinkTransition {
  from: LinkState;
  to: LinkState;
  /** Epoch ms (the injected clock's time) at which the monitor changed state. */
  at: number;
  /** For people: `request failed: ECONNREFUSED`, `no successful exchange for 5000 ms`. */
  reason: string;
  cause: LinkCause;
}

/** For `GET /api/v1/mode`: where the link stands and why. */
export interface LinkStatus {
  state: LinkState;
  /** When the current state began (the monitor's start for the initial state). */
  since: number;
  /** The last successful exchange, if any. */
  lastSuccessAt?: number;
  lastFailure?: { at: number; reason: string };
  /** Consecutive successes counted towards recovery (0 while CONNECTED counts nothing). */
  successStreak: number;
}
