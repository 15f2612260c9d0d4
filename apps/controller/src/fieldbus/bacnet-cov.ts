/**
 * COV subscriptions (ASHRAE 135 §13.1, §13.14 SubscribeCOV): the device
 * pushes present-value when it changes, so those points need no polling.
 *
 * - Each subscription has a lifetime (never indefinite: a device that
 *   restarts forgets its subscribers, and a lifetime bounds how long that
 *   goes unnoticed) and is renewed at half its lifetime.
 * - Notifications are confirmed by default, so the device learns when we
 *   stopped listening; the client acknowledges them (libs/bacnet, STACK.md
 *   trap 5).
 * - A device that refuses the service (Reject unrecognized-service, or the
 *   profile says it has no COV) is polled; an object it refuses (unknown
 *   object, cov-subscription-failed, ...) is polled; a renewal that fails
 *   tells the sink which points were lost and why, and the framework polls
 *   them from then on.
 */
import type { CovNotification } from '#libs/bacnet';
import { errorInfo } from '#libs/fieldbus';
import type { Clock, DeviceContext, FieldbusError, TimerHandle, ValueSink } from '#libs/fieldbus';
import type { PointDef } from '#libs/profiles';
import { isServiceRefusal, toFieldbusError } from './bacnet-errors.js';
import type { BacnetLink, BacnetLinks, BacnetPort } from './bacnet-link.js';
import { objectOf, toEngineering } from './bacnet-points.js';

export interface CovOptions {
  clock: Clock;
  /** Seconds; renewed at half. Default 300. */
  lifetimeSeconds: number;
  /** Ask for confirmed notifications (default true). */
  confirmed: boolean;
  /** Our subscriber process identifier (§13.14.1.1). */
  processId: number;
}

interface DeviceSubscriptions {
  link: BacnetLink;
  sink: ValueSink;
  points: Map<string, PointDef>;
  timer?: TimerHandle;
}

/** Codes that mean the device did not answer: every subscription of it is lost, not just one. */
const DEVICE_DOWN = new Set(['timeout', 'connection', 'bad-response', 'breaker-open']);

export class BacnetCov {
  private readonly devices = new Map<string, DeviceSubscriptions>();
  private unlisten?: () => void;

  constructor(
    private readonly client: BacnetPort,
    private readonly links: BacnetLinks,
    private readonly o: CovOptions,
  ) {}

  /** Subscribes what the device accepts; resolves with those point ids (the rest must be polled). */
  async subscribe(
    device: DeviceContext,
    link: BacnetLink,
    points: readonly PointDef[],
    sink: ValueSink,
  ): Promise<Set<string>> {
    if (!device.profile.bacnet?.cov || link.covRefused || points.length === 0) return new Set();
    this.unlisten ??= this.client.onCov((n) => this.onNotification(n));
    this.stop(link.key);
    const subs: DeviceSubscriptions = { link, sink, points: new Map() };
    this.devices.set(link.key, subs);
    for (const p of points) {
      const err = await this.subscribeOne(link, p);
      if (!err) subs.points.set(p.id, p);
      else if (isServiceRefusal(err.code)) {
        link.covRefused = true;
        subs.points.clear();
        break;
      } else if (DEVICE_DOWN.has(err.code)) break;
    }
    if (subs.points.size === 0) this.devices.delete(link.key);
    else this.scheduleRenewal(subs);
    return new Set(subs.points.keys());
  }

  /** Point ids currently subscribed on a device (diagnostics and tests). */
  subscribed(deviceId: string): string[] {
    return [...(this.devices.get(deviceId)?.points.keys() ?? [])];
  }

  async close(): Promise<void> {
    const all = [...this.devices.values()];
    for (const d of all) this.stop(d.link.key);
    this.unlisten?.();
    // Best effort: tell devices to stop sending (they would stop at the end of the lifetime anyway).
    await Promise.allSettled(
      all.flatMap((d) =>
        [...d.points.values()].map((p) =>
          this.client.unsubscribeCov(this.links.address(d.link), objectOf(p), this.o.processId),
        ),
      ),
    );
  }

  private async subscribeOne(link: BacnetLink, p: PointDef): Promise<FieldbusError | undefined> {
    try {
      await this.links.request(link, 'poll', (address) =>
        this.client.subscribeCov(address, objectOf(p), {
          lifetimeSeconds: this.o.lifetimeSeconds,
          confirmed: this.o.confirmed,
          processId: this.o.processId,
        }),
      );
      return undefined;
    } catch (err) {
      return toFieldbusError(err);
    }
  }

  private scheduleRenewal(subs: DeviceSubscriptions): void {
    subs.timer = this.o.clock.setTimeout(
      () => {
        subs.timer = undefined;
        void this.renew(subs);
      },
      (this.o.lifetimeSeconds * 1000) / 2,
    );
  }

  /** Renews every subscription of the device; what fails is handed back to polling through `sink.lost`. */
  private async renew(subs: DeviceSubscriptions): Promise<void> {
    const lost = new Map<string, { ids: string[]; err: FieldbusError }>();
    let down: FieldbusError | undefined;
    for (const p of [...subs.points.values()]) {
      const err = down ?? (await this.subscribeOne(subs.link, p));
      if (this.devices.get(subs.link.key) !== subs) return; // replaced or closed meanwhile
      if (!err) continue;
      if (isServiceRefusal(err.code)) subs.link.covRefused = true;
      if (DEVICE_DOWN.has(err.code) || isServiceRefusal(err.code)) down ??= err;
      subs.points.delete(p.id);
      const group = lost.get(err.code) ?? { ids: [], err };
      group.ids.push(p.id);
      lost.set(err.code, group);
    }
    for (const { ids, err } of lost.values()) {
      try {
        subs.sink.lost(ids, errorInfo(err));
      } catch {
        // the sink's trouble is not the driver's: keep renewing the rest
      }
    }
    if (subs.points.size > 0) this.scheduleRenewal(subs);
    else this.devices.delete(subs.link.key);
  }

  private onNotification(n: CovNotification): void {
    if (n.processId !== this.o.processId) return;
    for (const subs of this.devices.values()) {
      if (subs.link.deviceInstance !== n.deviceInstance) continue;
      for (const p of subs.points.values()) {
        const b = p.bacnet!;
        if (b.objectType !== n.object.type || b.instance !== n.object.instance) continue;
        const v = n.values['present-value'];
        if (v === undefined) continue;
        try {
          const value = toEngineering(p, v);
          if (value !== null) subs.sink.value(p.id, value, this.o.clock.now());
        } catch {
          // a present-value we cannot read as a number: the next poll or notification will tell
        }
      }
    }
  }

  private stop(key: string): void {
    const subs = this.devices.get(key);
    if (subs?.timer !== undefined) this.o.clock.clearTimeout(subs.timer);
    this.devices.delete(key);
  }
}
