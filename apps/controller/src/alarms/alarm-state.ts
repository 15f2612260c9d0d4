/**
 * The life of one alarm occurrence, after ISA-18.2's state model:
 *
 *   raise ──▶ active ──acknowledge──▶ acknowledged ──clear──▶ closed
 *                │                                            ▲
 *                └──clear──▶ cleared ──────acknowledge────────┘
 *
 * An alarm that clears before anyone acknowledged it stays listed as
 * `cleared` (ISA-18.2 "return to normal, unacknowledged") until a person
 * acknowledges it: a fault that came and went is still seen. Acknowledging
 * needs a person and a comment and happens once; a second acknowledgement
 * is refused. Clearing happens once (the condition went away); if the
 * condition comes back, that is a new occurrence with its own row.
 *
 * Pure: the store applies these rules to its rows.
 */
import type { AlarmState } from '#libs/contracts';

export interface AlarmInstants {
  clearedAt: number | null;
  acknowledgedAt: number | null;
}

export function alarmState(a: AlarmInstants): AlarmState {
  if (a.clearedAt === null) return a.acknowledgedAt === null ? 'active' : 'acknowledged';
  return a.acknowledgedAt === null ? 'cleared' : 'closed';
}

/** What GET /api/v1/alarms?state= accepts; `open` (the default) is everything not closed. */
export const ALARM_STATE_FILTERS = ['open', 'active', 'acknowledged', 'cleared', 'closed', 'all'] as const;
export type AlarmStateFilter = (typeof ALARM_STATE_FILTERS)[number];

export function matchesState(state: AlarmState, filter: AlarmStateFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'open':
      return state !== 'closed';
    case 'active':
    case 'acknowledged':
    case 'cleared':
    case 'closed':
      return state === filter;
  }
}

/** SQL condition for a filter over the row's instants (kept beside matchesState, which it must agree with). */
export function stateCondition(filter: AlarmStateFilter): string {
  switch (filter) {
    case 'all':
      return '1 = 1';
    case 'open':
      return '("cleared_at" IS NULL OR "acknowledged_at" IS NULL)';
    case 'active':
      return '("cleared_at" IS NULL AND "acknowledged_at" IS NULL)';
    case 'acknowledged':
      return '("cleared_at" IS NULL AND "acknowledged_at" IS NOT NULL)';
    case 'cleared':
      return '("cleared_at" IS NOT NULL AND "acknowledged_at" IS NULL)';
    case 'closed':
      return '("cleared_at" IS NOT NULL AND "acknowledged_at" IS NOT NULL)';
  }
}

/** The transition an action makes, or why it is refused. */
export type Transition =
  { ok: true; to: AlarmState } | { ok: false; reason: 'already-acknowledged' | 'already-cleared' };

export function acknowledge(a: AlarmInstants): Transition {
  if (a.acknowledgedAt !== null) return { ok: false, reason: 'already-acknowledged' };
  return { ok: true, to: a.clearedAt === null ? 'acknowledged' : 'closed' };
}

export function clear(a: AlarmInstants): Transition {
  if (a.clearedAt !== null) return { ok: false, reason: 'already-cleared' };
  return { ok: true, to: a.acknowledgedAt === null ? 'cleared' : 'closed' };
}
