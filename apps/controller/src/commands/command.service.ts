/**
 * Command arbitration for the site's writable points (DESIGN.md points 2–3).
 *
 * - A command is checked first (unknown point, read-only point, the safety
 *   envelope, the slot's owner, leases and expiries: libs/priority), then the
 *   output is written and verified, and only then is the new array persisted:
 *   a refused command or a failed write leaves the array and the device as
 *   they were.
 * - BACnet commandable objects ('device' arbitration): the device keeps its own
 *   array; the controller writes its slot there and relinquishes it with NULL
 *   (ASHRAE 135 §19.2), and keeps a mirror of the slots it owns. The device's
 *   own minimum on/off (slot 6) applies; the controller's output gate does not.
 * - Modbus and non-commandable points ('controller' arbitration): the controller
 *   keeps the array and writes the winner, or the profile's failSafe when the
 *   array is empty, through the output gate (minimum on/off, ramp). A held
 *   change is visible as `pending` and applied by a timer at its time.
 * - Expiries: one timer per point at nextExpiry; `expire()` reports each ended
 *   slot once and the persisted array no longer holds it, so it ends once.
 * - Restart: every persisted array is loaded at bootstrap, slots that ended
 *   while the controller was down are expired, and every output is written
 *   again (winner or device slots) in the background, so boot is not held up
 *   by a dead device. Points never commanded are not touched.
 *
 * Each point's operations run one after another (a promise chain per point).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { errorInfo } from '#libs/fieldbus';
import type { DeviceContext } from '#libs/fieldbus';
import type { PriorityArrayDto } from '#libs/contracts';
import {
  advanceState,
  checkCommandValue,
  command as commandArray,
  createPriorityArray,
  decideOutput,
  effective,
  expire,
  gateLimitsFor,
  heldSlots,
  INITIAL_OUTPUT_STATE,
  nextExpiry,
  NotWritableError,
  relinquish as relinquishArray,
} from '#libs/priority';
import type { CommandSource, OutputState, PriorityArray, PriorityPolicy } from '#libs/priority';
import type { LoadedSite, PointDef } from '#libs/profiles';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER, SITE } from '../common/tokens.js';
import { EVENT_SINK } from '../events/event-sink.js';
import type { EventSink } from '../events/event-sink.js';
import { WriteService } from '../writes/write.service.js';
import { CommandWriteFailedError, UnknownPointError } from './command-errors.js';
import { COMMAND_STORE } from './command-store.js';
import type { CommandStore } from './command-store.js';
import { priorityArrayView } from './priority-view.js';
import type { Pending } from './priority-view.js';
import { TIMERS } from './timers.js';
import type { Timers } from './timers.js';

export interface CommandOptions {
  value: number;
  priority: number;
  source: CommandSource;
  /** Epoch ms; non-cloud sources only. */
  expiresAt?: number;
  /** Cloud only (required there): lease length in ms. */
  leaseMs?: number;
  leaseId?: string;
}

interface PointRef {
  key: string;
  device: DeviceContext;
  point: PointDef;
  arbitration: 'device' | 'controller';
}

interface PointState {
  ref: PointRef;
  array: PriorityArray;
  output: OutputState;
  pending?: Pending;
}

/** A ramp is written in steps at most this far apart. */
export const RAMP_STEP_MS = 1000;
/** A background write (expiry, gate, re-assert) that failed is tried again after this long. */
export const RETRY_MS = 5000;

@Injectable()
export class CommandService implements OnApplicationBootstrap, OnModuleDestroy {
  policy: Partial<PriorityPolicy> = {};
  private readonly refs = new Map<string, PointRef>();
  private readonly states = new Map<string, PointState>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly expiryTimers = new Map<string, unknown>();
  private readonly gateTimers = new Map<string, unknown>();
  private loaded?: Promise<void>;
  private closed = false;
  /** Settles when the re-assertion after (re)start has finished; for tests and health. */
  reasserted: Promise<void> = Promise.resolve();

  constructor(
    @Inject(SITE) site: LoadedSite,
    private readonly writes: WriteService,
    @Inject(COMMAND_STORE) private readonly store: CommandStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TIMERS) private readonly timers: Timers,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(EVENT_SINK) private readonly events: EventSink,
  ) {
    for (const s of site.devices) {
      const profile = site.profiles[s.profile];
      for (const point of profile.points) {
        const key = `${s.id}.${point.id}`;
        const commandable = profile.protocol === 'bacnet' && point.bacnet?.commandable === true;
        this.refs.set(key, {
          key,
          device: { site: s, profile },
          point,
          arbitration: commandable ? 'device' : 'controller',
        });
      }
    }
  }

  onApplicationBootstrap(): void {
    this.reasserted = this.start().catch((err: unknown) =>
      this.log.error(
        { err: errorInfo(err) },
        `command state could not be restored: ${errorInfo(err).message}`,
      ),
    );
  }

  onModuleDestroy(): void {
    this.closed = true;
    for (const t of [...this.expiryTimers.values(), ...this.gateTimers.values()]) this.timers.clear(t);
    this.expiryTimers.clear();
    this.gateTimers.clear();
  }

  /** Loads the persisted arrays and re-asserts every output they command. */
  async start(): Promise<void> {
    await this.ready();
    await Promise.all([...this.states.keys()].map((key) => this.serial(key, () => this.reassert(key))));
  }

  async command(pointId: string, opts: CommandOptions): Promise<PriorityArrayDto> {
    await this.ready();
    const ref = this.writable(pointId);
    checkCommandValue(ref.point, opts.value, pointId);
    return this.serial(pointId, async () => {
      const st = this.stateOf(ref);
      const now = this.clock.now();
      const next = commandArray(st.array, { ...opts, now }, this.policy);
      if (ref.arbitration === 'device') {
        await this.deviceWrite(ref, opts.priority, opts.value);
        await this.commit(st, next, st.output);
      } else {
        await this.arbitrate(st, next, now, { force: false, background: false });
      }
      const message = `command ${pointId} = ${opts.value} at priority ${opts.priority} by ${opts.source}`;
      this.log.info({ point: pointId, priority: opts.priority, value: opts.value, source: opts.source }, message);
      await this.events.record({
        type: 'command',
        source: opts.source,
        subject: pointId,
        message,
        data: {
          priority: opts.priority,
          value: opts.value,
          ...(opts.expiresAt !== undefined ? { expiresAt: new Date(opts.expiresAt).toISOString() } : {}),
          ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs, leaseId: opts.leaseId } : {}),
        },
      });
      this.scheduleExpiry(st);
      return this.viewOf(st);
    });
  }

  async relinquish(pointId: string, priority: number, source: CommandSource): Promise<PriorityArrayDto> {
    await this.ready();
    const ref = this.writable(pointId);
    return this.serial(pointId, async () => {
      const st = this.stateOf(ref);
      const now = this.clock.now();
      const next = relinquishArray(st.array, priority, source, now);
      if (next !== st.array) {
        if (ref.arbitration === 'device') {
          await this.deviceRelinquish(ref, priority);
          await this.commit(st, next, st.output);
        } else {
          await this.arbitrate(st, next, now, { force: false, background: false });
        }
        const message = `relinquish ${pointId} priority ${priority}`;
        this.log.info({ point: pointId, priority, source }, message);
        await this.events.record({ type: 'relinquish', source, subject: pointId, message, data: { priority } });
        this.scheduleExpiry(st);
      }
      return this.viewOf(st);
    });
  }

  async priorityArray(pointId: string): Promise<PriorityArrayDto> {
    await this.ready();
    const ref = this.refs.get(pointId);
    if (!ref || ref.point.access !== 'write') throw new UnknownPointError(pointId, ref !== undefined);
    return this.viewOf(this.states.get(pointId) ?? this.stateOf(ref));
  }

  private writable(pointId: string): PointRef {
    const ref = this.refs.get(pointId);
    if (!ref) throw new UnknownPointError(pointId);
    if (ref.point.access !== 'write') throw new NotWritableError(pointId);
    return ref;
  }

  private ready(): Promise<void> {
    this.loaded ??= this.store.loadAll().then((rows) => {
      for (const row of rows) {
        const ref = this.refs.get(row.array.pointId);
        if (!ref || ref.point.access !== 'write') {
          this.log.warn(
            { point: row.array.pointId },
            `stored commands for unknown or read-only point ignored`,
          );
          continue;
        }
        this.states.set(ref.key, { ref, array: row.array, output: row.output });
      }
    });
    return this.loaded;
  }

  private stateOf(ref: PointRef): PointState {
    let st = this.states.get(ref.key);
    if (!st) {
      st = { ref, array: createPriorityArray(ref.key), output: INITIAL_OUTPUT_STATE };
      this.states.set(ref.key, st);
    }
    return st;
  }

  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(fn);
    this.chains.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }

  /**
   * Controller arbitration: write what the gate allows of the winner, then persist.
   * In the foreground a failed write throws and nothing is kept; in the
   * background (expiry, gate timer, re-assert) the array is kept and the write retried.
   */
  private async arbitrate(
    st: PointState,
    array: PriorityArray,
    now: number,
    mode: { force: boolean; background: boolean },
  ): Promise<void> {
    const { point } = st.ref;
    const win = effective(array, { now, autonomous: false, relinquishDefault: point.failSafe ?? Number.NaN });
    if (win.priority === null && point.failSafe === undefined) {
      st.pending = undefined;
      await this.commit(st, array, st.output);
      return;
    }
    const decision = decideOutput(st.output, win, now, gateLimitsFor(point));
    let output = st.output;
    if (decision.write || mode.force) {
      try {
        await this.writeOutput(st.ref, decision.value);
        output = advanceState(st.output, decision, now);
      } catch (err) {
        if (!mode.background) throw err;
        this.log.warn({ point: st.ref.key }, `${(err as Error).message}; retrying in ${RETRY_MS} ms`);
        await this.commit(st, array, output);
        this.scheduleGate(st, now + RETRY_MS);
        return;
      }
    } else {
      output = advanceState(st.output, decision, now);
    }
    await this.commit(st, array, output);
    st.pending =
      decision.heldUntil !== undefined && decision.reason !== undefined
        ? { value: decision.target, heldUntil: decision.heldUntil, reason: decision.reason }
        : undefined;
    if (st.pending)
      this.scheduleGate(
        st,
        st.pending.reason === 'rate-limit'
          ? Math.min(st.pending.heldUntil, now + RAMP_STEP_MS)
          : st.pending.heldUntil,
      );
  }

  private async commit(st: PointState, array: PriorityArray, output: OutputState): Promise<void> {
    await this.store.save({ array, output }, this.clock.now());
    st.array = array;
    st.output = output;
  }

  private scheduleGate(st: PointState, at: number): void {
    const key = st.ref.key;
    const old = this.gateTimers.get(key);
    if (old !== undefined) this.timers.clear(old);
    if (this.closed) return;
    const handle = this.timers.set(() => {
      this.gateTimers.delete(key);
      this.serial(key, () =>
        this.arbitrate(st, st.array, this.clock.now(), { force: false, background: true }),
      ).catch((err: unknown) => this.log.error({ point: key, err: errorInfo(err) }, 'gate step failed'));
    }, at - this.clock.now());
    this.gateTimers.set(key, handle);
  }

  private scheduleExpiry(st: PointState): void {
    const key = st.ref.key;
    const old = this.expiryTimers.get(key);
    if (old !== undefined) this.timers.clear(old);
    this.expiryTimers.delete(key);
    const at = nextExpiry(st.array);
    if (at === null || this.closed) return;
    const handle = this.timers.set(() => {
      this.expiryTimers.delete(key);
      this.serial(key, () => this.expireNow(st)).catch((err: unknown) =>
        this.log.error({ point: key, err: errorInfo(err) }, 'expiry failed'),
      );
    }, at - this.clock.now());
    this.expiryTimers.set(key, handle);
  }

  /** Removes ended slots (each reported once), frees them on the device or writes the next winner. */
  private async expireNow(st: PointState, opts: { reassert?: boolean } = {}): Promise<void> {
    const now = this.clock.now();
    const { array, expired } = expire(st.array, now);
    for (const slot of expired) {
      const message = `expired ${st.ref.key} priority ${slot.priority} (${slot.source})`;
      this.log.info(
        { point: st.ref.key, priority: slot.priority, source: slot.source, expiresAt: slot.expiresAt },
        message,
      );
      await this.events.record({
        type: 'expiry',
        source: slot.source,
        subject: st.ref.key,
        message,
        data: { priority: slot.priority, value: slot.value, expiresAt: slot.expiresAt },
      });
    }
    if (st.ref.arbitration === 'device') {
      for (const slot of expired) await this.bestEffort(() => this.deviceRelinquish(st.ref, slot.priority));
      if (opts.reassert)
        for (const slot of heldSlots(array))
          await this.bestEffort(() => this.deviceWrite(st.ref, slot.priority, slot.value));
      await this.commit(st, array, st.output);
    } else if (expired.length > 0 || opts.reassert) {
      await this.arbitrate(st, array, now, { force: opts.reassert === true, background: true });
    }
    this.scheduleExpiry(st);
  }

  private reassert(key: string): Promise<void> {
    const st = this.states.get(key);
    return st ? this.expireNow(st, { reassert: true }) : Promise.resolve();
  }

  private async bestEffort(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log.warn({ err: errorInfo(err) }, (err as Error).message);
    }
  }

  private async deviceWrite(ref: PointRef, priority: number, value: number): Promise<void> {
    const [deviceId, pointId] = [ref.device.site.id, ref.point.id];
    try {
      await this.writes.writeSlot({ deviceId, pointId, value, priority });
    } catch (err) {
      throw new CommandWriteFailedError(ref.key, errorInfo(err));
    }
  }

  private async deviceRelinquish(ref: PointRef, priority: number): Promise<void> {
    try {
      await this.writes.relinquishSlot({ deviceId: ref.device.site.id, pointId: ref.point.id, priority });
    } catch (err) {
      throw new CommandWriteFailedError(ref.key, errorInfo(err));
    }
  }

  private async writeOutput(ref: PointRef, value: number): Promise<void> {
    try {
      await this.writes.write({ deviceId: ref.device.site.id, pointId: ref.point.id, value });
    } catch (err) {
      throw new CommandWriteFailedError(ref.key, errorInfo(err));
    }
  }

  private viewOf(st: PointState): PriorityArrayDto {
    return priorityArrayView(st.array, {
      now: this.clock.now(),
      relinquishDefault: st.ref.point.failSafe ?? null,
      arbitration: st.ref.arbitration,
      ...(st.pending && st.pending.heldUntil > this.clock.now() ? { pending: st.pending } : {}),
    });
  }
}
