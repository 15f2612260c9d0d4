/**
 * Limits on an analog point (the site's `alarmLimits`), with ISA-18.2's two
 * guards against chattering:
 *
 * - on-delay (`delaySeconds`): the value must stay beyond the limit that long
 *   before the alarm is raised; a value back inside restarts the wait.
 * - deadband: a raised alarm clears only once the value is back inside by the
 *   deadband: high clears at value <= high - deadband, low at value >= low + deadband.
 *
 * High is raised at value > high, low at value < low (equal is inside).
 * A value that is not good (comm-fail, stale, never read) is no evidence
 * either way: a raised alarm stays raised and a running on-delay restarts
 * (the comm-fail alarm tells about the device). Pure; time is passed in.
 */
import type { AlarmLimit } from '#libs/profiles';

export type LimitSide = 'high' | 'low';

export interface LimitTransition {
  side: LimitSide;
  action: 'raise' | 'clear';
  value: number;
  limit: number;
}

interface SideState {
  alarmed: boolean;
  /** When the value was first seen beyond the limit in the current run; null when inside. */
  beyondSince: number | null;
}

export class LimitMonitor {
  private readonly sides: Partial<Record<LimitSide, SideState>> = {};

  constructor(
    readonly limit: AlarmLimit,
    alarmed: Partial<Record<LimitSide, boolean>> = {},
  ) {
    if (limit.high !== undefined) this.sides.high = { alarmed: alarmed.high === true, beyondSince: null };
    if (limit.low !== undefined) this.sides.low = { alarmed: alarmed.low === true, beyondSince: null };
  }

  isAlarmed(side: LimitSide): boolean {
    return this.sides[side]?.alarmed === true;
  }

  /** One evaluation: `value` null when the point's value is not good. */
  step(value: number | null, now: number): LimitTransition[] {
    const out: LimitTransition[] = [];
    for (const side of ['high', 'low'] as const) {
      const st = this.sides[side];
      const limit = this.limit[side];
      if (!st || limit === undefined) continue;
      if (value === null) {
        st.beyondSince = null;
        continue;
      }
      const deadband = this.limit.deadband ?? 0;
      if (st.alarmed) {
        const back = side === 'high' ? value <= limit - deadband : value >= limit + deadband;
        if (back) {
          st.alarmed = false;
          st.beyondSince = null;
          out.push({ side, action: 'clear', value, limit });
        }
        continue;
      }
      const beyond = side === 'high' ? value > limit : value < limit;
      if (!beyond) {
        st.beyondSince = null;
        continue;
      }
      st.beyondSince ??= now;
      if (now - st.beyondSince >= (this.limit.delaySeconds ?? 0) * 1000) {
        st.alarmed = true;
        st.beyondSince = null;
        out.push({ side, action: 'raise', value, limit });
      }
    }
    return out;
  }
}
