/**
 * COV subscriptions held by a simulated device (ASHRAE 135 §13.1, §13.14):
 * who subscribed to which object, for how long, and sending them present-value
 * and status-flags when the value changes (COV increment 0: any change).
 */
import type { ObjectTable } from './device-objects.js';
import { objectTypeNumber } from './names.js';
import { InvokeIdPool, raceTimeout } from './request-control.js';
import type { ObjectRef } from './types.js';
import type { LibClient } from './vendor.js';

export interface Subscription {
  address: string;
  processId: number;
  ref: ObjectRef;
  confirmed: boolean;
  /** Epoch ms; undefined for an indefinite subscription (lifetime 0). */
  expiresAt?: number;
}

export interface CovStats {
  sent: number;
  acknowledged: number;
  failed: number;
}

const NOTIFICATION_TIMEOUT_MS = 3000;

export class CovSubscriptions {
  private readonly subs = new Map<string, Subscription>();
  private readonly ids = new InvokeIdPool();
  private readonly counts: CovStats = { sent: 0, acknowledged: 0, failed: 0 };

  constructor(
    private readonly table: ObjectTable,
    private readonly deviceInstance: number,
    private readonly lib: () => LibClient | undefined,
  ) {}

  /** Adds or renews a subscription (same subscriber, process id and object replace the old one). */
  subscribe(s: Omit<Subscription, 'expiresAt'> & { lifetimeSeconds: number }): Subscription {
    const sub: Subscription = {
      address: s.address,
      processId: s.processId,
      ref: s.ref,
      confirmed: s.confirmed,
      expiresAt: s.lifetimeSeconds > 0 ? Date.now() + s.lifetimeSeconds * 1000 : undefined,
    };
    this.subs.set(key(sub), sub);
    return sub;
  }

  cancel(s: Pick<Subscription, 'address' | 'processId' | 'ref'>): void {
    this.subs.delete(key(s));
  }

  clear(): void {
    this.subs.clear();
  }

  stats(): CovStats {
    return { ...this.counts };
  }

  /** Notifies every live subscriber of `ref`; expired subscriptions are dropped on the way. */
  changed(ref: ObjectRef): void {
    for (const [k, s] of this.subs) {
      if (s.ref.type !== ref.type || s.ref.instance !== ref.instance) continue;
      if (s.expiresAt !== undefined && s.expiresAt <= Date.now()) {
        this.subs.delete(k);
        continue;
      }
      this.send(s);
    }
  }

  /** One notification; a confirmed one waits for its acknowledgement (never retried: the next change sends afresh). */
  send(s: Subscription): void {
    const lib = this.lib();
    if (!lib) return;
    const objectId = { type: objectTypeNumber(s.ref.type), instance: s.ref.instance };
    const values = this.table.covValues(s.ref);
    const remaining =
      s.expiresAt === undefined ? 0 : Math.max(1, Math.ceil((s.expiresAt - Date.now()) / 1000));
    const to = { address: s.address };
    this.counts.sent++;
    if (!s.confirmed) {
      lib.unconfirmedCOVNotification(to, s.processId, this.deviceInstance, objectId, remaining, values);
      return;
    }
    void (async () => {
      const invokeId = await this.ids.acquire();
      try {
        await raceTimeout(
          lib.confirmedCOVNotification(to, objectId, s.processId, this.deviceInstance, remaining, values, {
            invokeId,
          }),
          NOTIFICATION_TIMEOUT_MS,
        );
        this.ids.release(invokeId);
        this.counts.acknowledged++;
      } catch {
        this.counts.failed++;
        this.ids.release(invokeId, 2 * NOTIFICATION_TIMEOUT_MS);
      }
    })();
  }
}

function key(s: Pick<Subscription, 'address' | 'processId' | 'ref'>): string {
  return `${s.address}|${s.processId}|${s.ref.type}:${s.ref.instance}`;
}
