/**
 * The client's I-Am side: who listens to the I-Ams heard, and the Who-Is
 * rounds waiting for answers (ASHRAE 135 §16.10). Apart from client.ts
 * because it needs none of the confirmed-request machinery: a round is a
 * broadcast and a timer, and close() ends every open round with what it has.
 */
import { notifySafely } from './errors.js';
import type { DiscoveredDevice } from './types.js';
import { ASN1_MAX_INSTANCE } from './vendor.js';

export interface WhoIsRange {
  lowLimit?: number;
  highLimit?: number;
}

export class IAmListeners {
  private readonly listeners = new Set<(d: DiscoveredDevice) => void>();
  private readonly pendingRounds = new Set<() => void>();

  /** Every I-Am heard goes to every listener; one that throws does not stop the others. */
  heard(d: DiscoveredDevice): void {
    for (const l of [...this.listeners]) notifySafely(l, d);
  }

  /** Returns an unsubscribe function. */
  listen(cb: (d: DiscoveredDevice) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /**
   * One Who-Is round: listens, then calls `send` with the range to ask for
   * (empty when unranged), and collects the I-Ams inside the range for
   * `waitMs`; asking for exactly one instance ends at its first answer.
   */
  round(o: WhoIsRange & { waitMs?: number }, send: (range: WhoIsRange) => void): Promise<DiscoveredDevice[]> {
    const ranged = o.lowLimit !== undefined || o.highLimit !== undefined;
    const low = o.lowLimit ?? 0;
    const high = o.highLimit ?? ASN1_MAX_INSTANCE;
    const found = new Map<string, DiscoveredDevice>();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.pendingRounds.delete(finish);
        resolve([...found.values()]);
      };
      const listener = (d: DiscoveredDevice): void => {
        if (d.deviceInstance < low || d.deviceInstance > high) return;
        found.set(`${d.address}|${d.deviceInstance}`, d);
        // Asking for exactly one instance: the first answer is the answer.
        if (ranged && low === high) finish();
      };
      const timer = setTimeout(finish, o.waitMs ?? 1000);
      this.listeners.add(listener);
      this.pendingRounds.add(finish);
      send(ranged ? { lowLimit: low, highLimit: high } : {});
    });
  }

  /** Ends every open round now, each with the devices it has heard. */
  finishAll(): void {
    for (const finish of [...this.pendingRounds]) finish();
  }
}
