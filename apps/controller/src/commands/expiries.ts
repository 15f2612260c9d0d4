/**
 * Slots that run out (override expiries, cloud leases) and the start-up's
 * re-assertion, which expires what ended while the controller was down first.
 *
 * One timer per point at its next expiry. `expire()` reports each ended slot
 * once, and its event commits with the array that no longer holds it (one
 * transaction, command-store.ts), so a slot ends once, across a kill -9 too.
 * An expiry that could not be committed is tried again after RETRY_MS.
 * The device is freed (NULL at the slot) or the next winner written in the
 * background: a dead device never stops the array moving on.
 */
import type { Logger } from 'pino';
import { errorInfo } from '#libs/fieldbus';
import { expire, FALLBACK_PRIORITY, heldSlots, nextExpiry, slotAt } from '#libs/priority';
import { RETRY_MS } from './arbiter.js';
import type { Arbiter, ArbiterHooks } from './arbiter.js';
import { expiryEvent } from './command-events.js';
import type { FallbackSync } from './fallback.js';
import type { KeyedTimers } from './keyed-timers.js';
import type { PointState } from './point-ref.js';
import type { PointWriter } from './point-writer.js';

export class Expiries {
  constructor(
    private readonly writer: PointWriter,
    private readonly arbiter: Arbiter,
    private readonly fallback: FallbackSync,
    private readonly timers: KeyedTimers,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly hooks: ArbiterHooks,
  ) {}

  close(): void {
    this.timers.close();
  }

  /** Sets the point's timer at its next expiry (or `at`), or clears it when nothing expires. */
  schedule(st: PointState, at = nextExpiry(st.array)): void {
    const key = st.ref.key;
    if (at === null) {
      this.timers.clear(key);
      return;
    }
    this.timers.set(key, at, () => {
      this.hooks
        .serial(key, () => this.expireNow(st))
        .catch((err: unknown) => {
          this.log.error({ point: key, err: errorInfo(err) }, `expiry failed; retrying in ${RETRY_MS} ms`);
          this.schedule(st, this.now() + RETRY_MS);
        });
    });
  }

  /**
   * Removes the ended slots, frees them on the device or writes the next
   * winner, and commits the array with their events. `reassert` (start-up):
   * also writes every output again, whatever the device holds now.
   * Call from inside the point's queue.
   */
  async expireNow(st: PointState, opts: { reassert?: boolean } = {}): Promise<void> {
    const now = this.now();
    const autonomous = this.arbiter.autonomous;
    const { array, expired } = expire(st.array, now);
    const record = { events: expired.map((slot) => expiryEvent(st.ref.key, slot)) };
    if (st.ref.arbitration === 'device') {
      for (const slot of expired)
        if (slot.priority !== FALLBACK_PRIORITY || autonomous)
          await this.writer.bestEffort(() => this.writer.relinquishSlot(st.ref, slot.priority));
      if (opts.reassert)
        for (const slot of heldSlots(array))
          if (slot.priority !== FALLBACK_PRIORITY)
            await this.writer.bestEffort(() => this.writer.writeSlot(st.ref, slot.priority, slot.value));
      await this.hooks.save(st, { array, output: st.output, pending: st.pending }, record);
      // The device is set to what the mode says of slot 12, whatever it held before the restart.
      if (opts.reassert && slotAt(array, FALLBACK_PRIORITY) !== null) await this.fallback.applyNow(st);
    } else if (expired.length > 0 || opts.reassert) {
      await this.arbiter.arbitrate(st, array, now, {
        force: opts.reassert === true,
        background: true,
        record,
      });
    }
    expired.forEach((slot, i) =>
      this.log.info(
        { point: st.ref.key, priority: slot.priority, source: slot.source, expiresAt: slot.expiresAt },
        record.events[i].message,
      ),
    );
    this.schedule(st);
  }
}
