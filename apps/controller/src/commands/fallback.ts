/**
 * Fallback slot 12 on a change of link mode (DESIGN.md points 1–2): it is in
 * force only while the controller is AUTONOMOUS.
 *
 * - Controller arbitration: the point is re-arbitrated; the arbiter counts
 *   slot 12 only while autonomous, so the output moves to or from its value.
 * - Device arbitration (BACnet commandable objects): the device's slot 12 is
 *   written with the mirror's value while AUTONOMOUS and relinquished (NULL)
 *   otherwise; the mirror keeps the slot either way, ready for the next loss.
 *   A failed write is retried every RETRY_MS against the mode of that moment,
 *   so a device that was away when the mode changed still ends up right.
 * - A mode change visits every commanded point behind its queued operations,
 *   not only those holding slot 12 then: a command in flight (its device write
 *   under way under the old mode) is set right once it has landed.
 */
import type { Logger } from 'pino';
import { FALLBACK_PRIORITY, slotAt } from '#libs/priority';
import { RETRY_MS } from './arbiter.js';
import type { Arbiter } from './arbiter.js';
import type { KeyedTimers } from './keyed-timers.js';
import type { PointState } from './point-ref.js';
import type { PointWriter } from './point-writer.js';

export class FallbackSync {
  /** Device points whose slot 12 may not match the mode (a write or NULL failed): set right even if the slot is gone. */
  private readonly uncertain = new Set<string>();

  constructor(
    private readonly writer: PointWriter,
    private readonly arbiter: Arbiter,
    private readonly retries: KeyedTimers,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly hooks: { serial<T>(key: string, fn: () => Promise<T>): Promise<T> },
  ) {}

  close(): void {
    this.retries.close();
  }

  /** Queues the point behind its pending operations, then applies the current mode to its slot 12. */
  apply(st: PointState): Promise<void> {
    return this.hooks.serial(st.ref.key, () => this.applyNow(st));
  }

  /** Applies the current mode to the point's slot 12; call from inside the point's chain. */
  async applyNow(st: PointState): Promise<void> {
    const key = st.ref.key;
    this.retries.clear(key);
    const slot = slotAt(st.array, FALLBACK_PRIORITY);
    if (slot === null && !this.uncertain.has(key)) return;
    if (st.ref.arbitration === 'controller') {
      await this.arbiter.arbitrate(st, st.array, this.now(), { force: false, background: true });
      return;
    }
    const inForce = this.arbiter.autonomous && slot !== null;
    const done = await this.writer.bestEffort(() =>
      inForce
        ? this.writer.writeSlot(st.ref, FALLBACK_PRIORITY, slot.value)
        : this.writer.relinquishSlot(st.ref, FALLBACK_PRIORITY),
    );
    if (done) {
      this.uncertain.delete(key);
      this.log.info(
        { point: key, priority: FALLBACK_PRIORITY, ...(inForce ? { value: slot.value } : {}) },
        inForce
          ? `fallback ${key} = ${slot.value} at priority ${FALLBACK_PRIORITY} written to the device`
          : `fallback ${key} priority ${FALLBACK_PRIORITY} relinquished on the device (held, not in force)`,
      );
      return;
    }
    this.uncertain.add(key);
    this.log.warn({ point: key }, `fallback slot ${FALLBACK_PRIORITY} of ${key}: retrying in ${RETRY_MS} ms`);
    this.retries.set(key, this.now() + RETRY_MS, () => {
      void this.apply(st);
    });
  }
}
