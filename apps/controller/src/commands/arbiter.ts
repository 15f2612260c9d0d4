/**
 * Controller arbitration (Modbus and non-commandable points): the winner of
 * the array, through the output gate (minimum on/off, ramp), is written and
 * verified, then the array and output state are persisted. Slot 12 counts only
 * while `autonomous` (DESIGN.md point 2).
 *
 * In the foreground (a command, a relinquish) a failed write throws and nothing
 * is kept, and a change that could not be persisted puts the output back (best
 * effort) before it throws; in the background (expiry, gate step, re-assert,
 * mode change) the array is kept and the write retried after RETRY_MS. A held
 * change is kept as `pending` and stepped by one gate timer per point.
 *
 * The events and the audit entry recording a change (`mode.record`) are
 * persisted with the array and output state it makes, in one transaction.
 */
import type { Logger } from 'pino';
import { errorInfo } from '#libs/fieldbus';
import { advanceState, decideOutput, effective, gateLimitsFor } from '#libs/priority';
import type { OutputState, PriorityArray } from '#libs/priority';
import type { NewEvent } from '../events/event-sink.js';
import type { ChangeAudit } from './command-store.js';
import type { KeyedTimers } from './keyed-timers.js';
import type { PointState } from './point-ref.js';
import type { PointWriter } from './point-writer.js';
import type { Pending } from './priority-view.js';

/** A ramp is written in steps at most this far apart. */
export const RAMP_STEP_MS = 1000;
/** A background write (expiry, gate, re-assert, fallback) that failed is tried again after this long. */
export const RETRY_MS = 5000;

/** What records a change: its events, and the audit entry of the request that made it. */
export interface ChangeRecord {
  events?: readonly NewEvent[];
  audit?: ChangeAudit;
}

/** A point's state after a change. */
export interface NextState {
  array: PriorityArray;
  output: OutputState;
  pending: Pending | undefined;
}

export interface ArbiterHooks {
  /** Persists the state with what records the change (one transaction), then makes it the point's state. */
  save(st: PointState, next: NextState, record?: ChangeRecord): Promise<void>;
  /** Runs `fn` after the point's queued operations. */
  serial<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export class Arbiter {
  /** Whether fallback slot 12 counts (the link is AUTONOMOUS). */
  autonomous = true;

  constructor(
    private readonly writer: PointWriter,
    private readonly gateTimers: KeyedTimers,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly hooks: ArbiterHooks,
  ) {}

  close(): void {
    this.gateTimers.close();
  }

  async arbitrate(
    st: PointState,
    array: PriorityArray,
    now: number,
    mode: { force: boolean; background: boolean; record?: ChangeRecord },
  ): Promise<void> {
    const { point } = st.ref;
    const win = effective(array, {
      now,
      autonomous: this.autonomous,
      relinquishDefault: point.failSafe ?? Number.NaN,
    });
    if (win.priority === null && point.failSafe === undefined) {
      await this.hooks.save(st, { array, output: st.output, pending: undefined }, mode.record);
      return;
    }
    const decision = decideOutput(st.output, win, now, gateLimitsFor(point));
    const wrote = decision.write || mode.force;
    let output = st.output;
    if (wrote) {
      try {
        await this.writer.writeOutput(st.ref, decision.value);
        output = advanceState(st.output, decision, now);
      } catch (err) {
        if (!mode.background) throw err;
        this.log.warn({ point: st.ref.key }, `${(err as Error).message}; retrying in ${RETRY_MS} ms`);
        await this.hooks.save(st, { array, output, pending: st.pending }, mode.record);
        this.scheduleGate(st, now + RETRY_MS);
        return;
      }
    } else {
      output = advanceState(st.output, decision, now);
    }
    const pending =
      decision.heldUntil !== undefined && decision.reason !== undefined
        ? { value: decision.target, heldUntil: decision.heldUntil, reason: decision.reason }
        : undefined;
    try {
      await this.hooks.save(st, { array, output, pending }, mode.record);
    } catch (err) {
      // A refused change leaves the device as it was (background work is retried instead).
      const before = st.output.value;
      if (wrote && !mode.background && before !== null && before !== decision.value)
        await this.writer.bestEffort(() => this.writer.writeOutput(st.ref, before));
      throw err;
    }
    if (st.pending)
      this.scheduleGate(
        st,
        st.pending.reason === 'rate-limit'
          ? Math.min(st.pending.heldUntil, now + RAMP_STEP_MS)
          : st.pending.heldUntil,
      );
  }

  private scheduleGate(st: PointState, at: number): void {
    const key = st.ref.key;
    this.gateTimers.set(key, at, () => {
      this.hooks
        .serial(key, () => this.arbitrate(st, st.array, this.now(), { force: false, background: true }))
        .catch((err: unknown) => this.log.error({ point: key, err: errorInfo(err) }, 'gate step failed'));
    });
  }
}
