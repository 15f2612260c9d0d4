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
 * - Fallback slot 12 (DESIGN.md points 1–2) is in force only while the link is
 *   AUTONOMOUS: the controller's own arbitration skips it otherwise, and on a
 *   device the slot is written only while AUTONOMOUS and relinquished (NULL)
 *   when the link leaves it, while the mirror keeps the slot. Every point
 *   holding slot 12 is re-arbitrated on each change into or out of AUTONOMOUS
 *   (fallback.ts). Cloud leases are not touched: they run out on their own.
 * - Expiries: one timer per point at nextExpiry; `expire()` reports each ended
 *   slot once and the persisted array no longer holds it, so it ends once.
 * - Restart: every persisted array is loaded at bootstrap, slots that ended
 *   while the controller was down are expired, and every output is written
 *   again (winner or device slots) in the background, so boot is not held up
 *   by a dead device. Points never commanded are not touched.
 *
 * Each point's operations run one after another (a promise chain per point).
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { map, of } from 'rxjs';
import type { Subscription } from 'rxjs';
import { errorInfo } from '#libs/fieldbus';
import type { PriorityArrayDto } from '#libs/contracts';
import {
  checkCommandValue,
  command as commandArray,
  createPriorityArray,
  expire,
  FALLBACK_PRIORITY,
  heldSlots,
  INITIAL_OUTPUT_STATE,
  nextExpiry,
  NotWritableError,
  relinquish as relinquishArray,
  renewLease as renewLeaseOf,
  slotAt,
} from '#libs/priority';
import type { CommandSource, PriorityArray, PriorityPolicy } from '#libs/priority';
import type { LoadedSite } from '#libs/profiles';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER, SITE } from '../common/tokens.js';
import { EVENT_SINK } from '../events/event-sink.js';
import type { EventSink } from '../events/event-sink.js';
import { LINK_STATE } from '../link/link-state.port.js';
import type { LinkStateSource } from '../link/link-state.port.js';
import { WriteService } from '../writes/write.service.js';
import { Arbiter } from './arbiter.js';
import { ShuttingDownError, UnknownPointError } from './command-errors.js';
import { commandEvent, expiryEvent, relinquishEvent } from './command-events.js';
import type { CommandOptions } from './command-events.js';
import { COMMAND_STORE } from './command-store.js';
import type { CommandStore } from './command-store.js';
import { FallbackSync } from './fallback.js';
import { KeyedTimers } from './keyed-timers.js';
import { pointRefs } from './point-ref.js';
import type { PointRef, PointState } from './point-ref.js';
import { PointWriter } from './point-writer.js';
import { priorityArrayView } from './priority-view.js';
import { TIMERS } from './timers.js';
import type { Timers } from './timers.js';

export { RAMP_STEP_MS, RETRY_MS } from './arbiter.js';
export type { CommandOptions } from './command-events.js';

/** How long a shutdown waits for the writes under way. */
export const SHUTDOWN_WAIT_MS = 2000;

@Injectable()
export class CommandService implements OnApplicationBootstrap, OnModuleDestroy {
  policy: Partial<PriorityPolicy> = {};
  private readonly refs: Map<string, PointRef>;
  private readonly states = new Map<string, PointState>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly expiryTimers: KeyedTimers;
  private readonly writer: PointWriter;
  private readonly arbiter: Arbiter;
  private readonly fallback: FallbackSync;
  private readonly linkSubscription: Subscription;
  private loaded?: Promise<void>;
  private closed = false;
  /** Settles when the re-assertion after (re)start has finished; for tests and health. */
  reasserted: Promise<void> = Promise.resolve();
  /** Settles when the last change into or out of AUTONOMOUS has been applied to every point holding slot 12. */
  modeApplied: Promise<void> = Promise.resolve();

  /** Without a link (no LinkModule), the controller has no cloud and is AUTONOMOUS, as with link driver 'none'. */
  constructor(
    @Inject(SITE) site: LoadedSite,
    writes: WriteService,
    @Inject(COMMAND_STORE) private readonly store: CommandStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TIMERS) timers: Timers,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(EVENT_SINK) private readonly events: EventSink,
    @Optional() @Inject(LINK_STATE) link?: LinkStateSource,
  ) {
    this.refs = pointRefs(site);
    const now = (): number => this.clock.now();
    this.expiryTimers = new KeyedTimers(timers, now);
    this.writer = new PointWriter(writes, log);
    this.arbiter = new Arbiter(this.writer, new KeyedTimers(timers, now), now, log, {
      save: (st, array, output) => this.commit(st, array, output),
      serial: (key, fn) => this.serial(key, fn),
    });
    this.fallback = new FallbackSync(this.writer, this.arbiter, new KeyedTimers(timers, now), now, log, {
      serial: (key, fn) => this.serial(key, fn),
    });
    let first = true;
    this.linkSubscription = (link?.state$ ?? of('AUTONOMOUS'))
      .pipe(map((state) => state === 'AUTONOMOUS'))
      .subscribe((autonomous) => {
        if (autonomous === this.arbiter.autonomous && !first) return;
        this.arbiter.autonomous = autonomous;
        // The first state is the one the arrays are loaded and re-asserted in: nothing to re-arbitrate yet.
        if (!first) this.modeApplied = this.applyMode();
        first = false;
      });
  }

  onApplicationBootstrap(): void {
    this.reasserted = this.start().catch((err: unknown) =>
      this.log.error(
        { err: errorInfo(err) },
        `command state could not be restored: ${errorInfo(err).message}`,
      ),
    );
  }

  /**
   * Stops every timer, refuses what is queued (ShuttingDownError) and waits for
   * the writes under way, for at most SHUTDOWN_WAIT_MS (a dead device's retries
   * must not hold the shutdown up): the drivers close after this (on application
   * shutdown), so no write reaches a closed driver and reopens its connection.
   */
  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.linkSubscription.unsubscribe();
    this.expiryTimers.close();
    this.arbiter.close();
    this.fallback.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.chains.values()]),
      new Promise((r) => (timer = setTimeout(r, SHUTDOWN_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** Whether fallback slot 12 is in force (the link is AUTONOMOUS). */
  get autonomous(): boolean {
    return this.arbiter.autonomous;
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
        // Outside AUTONOMOUS the fallback slot is only mirrored; fallback.ts writes it when it comes into force.
        if (opts.priority !== FALLBACK_PRIORITY || this.autonomous)
          await this.writer.writeSlot(ref, opts.priority, opts.value);
        await this.commit(st, next, st.output);
      } else {
        await this.arbiter.arbitrate(st, next, now, { force: false, background: false });
      }
      const event = commandEvent(pointId, opts);
      this.log.info(
        { point: pointId, priority: opts.priority, value: opts.value, source: opts.source },
        event.message,
      );
      await this.events.record(event);
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
          // A fallback slot is on the device only while AUTONOMOUS; outside it fallback.ts clears one left by a failed NULL.
          if (priority !== FALLBACK_PRIORITY || this.autonomous)
            await this.writer.relinquishSlot(ref, priority);
          await this.commit(st, next, st.output);
          if (priority === FALLBACK_PRIORITY && !this.autonomous) await this.fallback.applyNow(st);
        } else {
          await this.arbiter.arbitrate(st, next, now, { force: false, background: false });
        }
        const event = relinquishEvent(pointId, priority, source);
        this.log.info({ point: pointId, priority, source }, event.message);
        await this.events.record(event);
        this.scheduleExpiry(st);
      }
      return this.viewOf(st);
    });
  }

  /**
   * Moves the end of cloud lease `leaseId` at `priority` (slot 10) to now +
   * leaseMs: the value stays, so nothing is written, only persisted. Refused
   * (LeaseNotFoundError, LeaseExpiredError) when the slot no longer holds that
   * live lease: the cloud's command must then be given again.
   */
  async renewLease(
    pointId: string,
    lease: { leaseId: string; leaseMs: number; priority: number },
  ): Promise<PriorityArrayDto> {
    await this.ready();
    const ref = this.writable(pointId);
    return this.serial(pointId, async () => {
      const st = this.stateOf(ref);
      const next = renewLeaseOf(st.array, { ...lease, source: 'cloud', now: this.clock.now() }, this.policy);
      await this.commit(st, next, st.output);
      this.log.debug(
        { point: pointId, leaseId: lease.leaseId, leaseMs: lease.leaseMs },
        'cloud lease renewed',
      );
      this.scheduleExpiry(st);
      return this.viewOf(st);
    });
  }

  async priorityArray(pointId: string): Promise<PriorityArrayDto> {
    await this.ready();
    const ref = this.refs.get(pointId);
    if (!ref || ref.point.access !== 'write') throw new UnknownPointError(pointId, ref !== undefined);
    return this.viewOf(this.states.get(pointId) ?? this.stateOf(ref));
  }

  /** The points whose array holds `priority` for `source` (e.g. what a schedule left behind before a restart). */
  async heldBy(priority: number, source: CommandSource): Promise<string[]> {
    await this.ready();
    return [...this.states.values()]
      .filter((st) => slotAt(st.array, priority)?.source === source)
      .map((st) => st.ref.key);
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
    const run = (this.chains.get(key) ?? Promise.resolve()).then(() => {
      if (this.closed) throw new ShuttingDownError(key);
      return fn();
    });
    this.chains.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }

  private async commit(st: PointState, array: PriorityArray, output: PointState['output']): Promise<void> {
    await this.store.save({ array, output }, this.clock.now());
    st.array = array;
    st.output = output;
  }

  /** Re-arbitrates every point holding the fallback slot after a change into or out of AUTONOMOUS. */
  private async applyMode(): Promise<void> {
    await this.ready();
    if (this.closed) return;
    const states = [...this.states.values()];
    const holding = states.filter((st) => slotAt(st.array, FALLBACK_PRIORITY) !== null);
    this.log.info(
      { autonomous: this.autonomous, points: holding.map((st) => st.ref.key) },
      `fallback slot ${FALLBACK_PRIORITY} ${this.autonomous ? 'in force' : 'out of force'} on ${holding.length} point(s)`,
    );
    // Every point, behind its queue: one whose command is in flight may hold slot 12 by the time its turn comes.
    await Promise.all(states.map((st) => this.fallback.apply(st)));
  }

  private scheduleExpiry(st: PointState): void {
    const key = st.ref.key;
    const at = nextExpiry(st.array);
    if (at === null) {
      this.expiryTimers.clear(key);
      return;
    }
    this.expiryTimers.set(key, at, () => {
      this.serial(key, () => this.expireNow(st)).catch((err: unknown) =>
        this.log.error({ point: key, err: errorInfo(err) }, 'expiry failed'),
      );
    });
  }

  /** Removes ended slots (each reported once), frees them on the device or writes the next winner. */
  private async expireNow(st: PointState, opts: { reassert?: boolean } = {}): Promise<void> {
    const now = this.clock.now();
    const { array, expired } = expire(st.array, now);
    for (const slot of expired) {
      const event = expiryEvent(st.ref.key, slot);
      this.log.info(
        { point: st.ref.key, priority: slot.priority, source: slot.source, expiresAt: slot.expiresAt },
        event.message,
      );
      await this.events.record(event);
    }
    if (st.ref.arbitration === 'device') {
      for (const slot of expired)
        if (slot.priority !== FALLBACK_PRIORITY || this.autonomous)
          await this.writer.bestEffort(() => this.writer.relinquishSlot(st.ref, slot.priority));
      if (opts.reassert)
        for (const slot of heldSlots(array))
          if (slot.priority !== FALLBACK_PRIORITY)
            await this.writer.bestEffort(() => this.writer.writeSlot(st.ref, slot.priority, slot.value));
      await this.commit(st, array, st.output);
      // The device is set to what the mode says of slot 12, whatever it held before the restart.
      if (opts.reassert && slotAt(array, FALLBACK_PRIORITY) !== null) await this.fallback.applyNow(st);
    } else if (expired.length > 0 || opts.reassert) {
      await this.arbiter.arbitrate(st, array, now, { force: opts.reassert === true, background: true });
    }
    this.scheduleExpiry(st);
  }

  private reassert(key: string): Promise<void> {
    const st = this.states.get(key);
    return st ? this.expireNow(st, { reassert: true }) : Promise.resolve();
  }

  private viewOf(st: PointState): PriorityArrayDto {
    return priorityArrayView(st.array, {
      now: this.clock.now(),
      autonomous: this.autonomous,
      relinquishDefault: st.ref.point.failSafe ?? null,
      arbitration: st.ref.arbitration,
      ...(st.pending && st.pending.heldUntil > this.clock.now() ? { pending: st.pending } : {}),
    });
  }
}
