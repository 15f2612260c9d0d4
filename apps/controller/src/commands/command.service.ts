/**
 * Command arbitration for the site's writable points (DESIGN.md points 2–3).
 *
 * - A command is checked first (unknown point, read-only point, the safety
 *   envelope, the slot's owner, leases and expiries: libs/priority), then the
 *   output is written and verified, and only then is the new array persisted:
 *   a refused command or a failed write leaves the array and the device as
 *   they were; a change that cannot be persisted is taken back off the device
 *   (best effort) and refused.
 * - One change of one point commits whole (command-store.ts): the array and
 *   output state, the events recording it and, for an audited request, the
 *   request's audit entry (`audit`, from AuditContext.pending).
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
 * - Expiries (expiries.ts): each ended slot is reported once, its event
 *   committed with the array that no longer holds it.
 * - Start-up: every persisted array is loaded, slots that ended while the
 *   controller was down are expired, and every output is written again
 *   (winner or device slots) in the background, so boot is not held up by a
 *   dead device. Every output the controller arbitrates is asserted, commanded
 *   or not: an empty array's winner is the relinquish default (the profile's
 *   failSafe), and the output gate must know where the output stands, or the
 *   first command after boot would jump to its value instead of ramping (or
 *   holding for its minimum on/off time). BACnet commandable points never
 *   commanded are not touched (the device's own default applies).
 * - The start-up is queued on each point before anything else may change it:
 *   it runs at bootstrap or at the first change asked for, whichever comes
 *   first, so no module's order in Nest's bootstrap matters. Reads wait only
 *   for the arrays to be loaded, and have no side effects.
 *
 * Each point's operations run one after another (a queue per point: point-states.ts).
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
  FALLBACK_PRIORITY,
  relinquish as relinquishArray,
  renewLease as renewLeaseOf,
  slotAt,
} from '#libs/priority';
import type { CommandSource, PriorityArray, PriorityPolicy } from '#libs/priority';
import type { LoadedSite } from '#libs/profiles';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER, SITE } from '../common/tokens.js';
import { LINK_STATE } from '../link/link-state.port.js';
import type { LinkStateSource } from '../link/link-state.port.js';
import { WriteService } from '../writes/write.service.js';
import { Arbiter } from './arbiter.js';
import type { ArbiterHooks, ChangeRecord, NextState } from './arbiter.js';
import { commandEvent, relinquishEvent } from './command-events.js';
import type { CommandOptions } from './command-events.js';
import { COMMAND_STORE } from './command-store.js';
import type { ChangeAudit, CommandStore } from './command-store.js';
import { Expiries } from './expiries.js';
import { FallbackSync } from './fallback.js';
import { KeyedTimers } from './keyed-timers.js';
import type { PointState } from './point-ref.js';
import { emptyState, PointStates } from './point-states.js';
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
  private readonly points: PointStates;
  private readonly expiries: Expiries;
  private readonly writer: PointWriter;
  private readonly arbiter: Arbiter;
  private readonly fallback: FallbackSync;
  private readonly linkSubscription: Subscription;
  private started?: Promise<void>;
  /** The start-up's re-assertions, once queued. */
  private reassertions: Promise<void> = Promise.resolve();
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
    @Optional() @Inject(LINK_STATE) link?: LinkStateSource,
  ) {
    this.points = new PointStates(site, store, log);
    const now = (): number => this.clock.now();
    this.writer = new PointWriter(writes, log);
    const hooks: ArbiterHooks = {
      save: (st, next, record) => this.commit(st, next, record),
      serial: (key, fn) => this.points.serial(key, fn),
    };
    this.arbiter = new Arbiter(this.writer, new KeyedTimers(timers, now), now, log, hooks);
    this.fallback = new FallbackSync(
      this.writer,
      this.arbiter,
      new KeyedTimers(timers, now),
      now,
      log,
      hooks,
    );
    this.expiries = new Expiries(
      this.writer,
      this.arbiter,
      this.fallback,
      new KeyedTimers(timers, now),
      now,
      log,
      hooks,
    );
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
    this.points.closed = true;
    this.linkSubscription.unsubscribe();
    this.expiries.close();
    this.arbiter.close();
    this.fallback.close();
    await this.points.drain(SHUTDOWN_WAIT_MS);
  }

  /** Whether fallback slot 12 is in force (the link is AUTONOMOUS). */
  get autonomous(): boolean {
    return this.arbiter.autonomous;
  }

  /** Queues the start-up (see the file comment), then waits for its re-assertions. */
  async start(): Promise<void> {
    await this.startup();
    await this.reassertions;
  }

  /** `audit`: the audited request's entry (AuditContext.pending), committed with the change. */
  async command(pointId: string, opts: CommandOptions, audit?: ChangeAudit): Promise<PriorityArrayDto> {
    await this.startup();
    const ref = this.points.writable(pointId);
    checkCommandValue(ref.point, opts.value, pointId);
    return this.points.serial(pointId, async () => {
      const st = this.points.stateOf(ref);
      const now = this.clock.now();
      const next = commandArray(st.array, { ...opts, now }, this.policy);
      const event = commandEvent(pointId, opts);
      const record = { events: [event], ...(audit ? { audit } : {}) };
      if (ref.arbitration === 'device') {
        // Outside AUTONOMOUS the fallback slot is only mirrored; fallback.ts writes it when it comes into force.
        const onDevice = opts.priority !== FALLBACK_PRIORITY || this.autonomous;
        await this.changeOnDevice(
          st,
          next,
          opts.priority,
          record,
          onDevice ? () => this.writer.writeSlot(ref, opts.priority, opts.value) : undefined,
        );
      } else {
        await this.arbiter.arbitrate(st, next, now, { force: false, background: false, record });
      }
      this.log.info(
        { point: pointId, priority: opts.priority, value: opts.value, source: opts.source },
        event.message,
      );
      this.expiries.schedule(st);
      return this.viewOf(st);
    });
  }

  /** `audit`: the audited request's entry (AuditContext.pending), committed with the change. */
  async relinquish(
    pointId: string,
    priority: number,
    source: CommandSource,
    audit?: ChangeAudit,
  ): Promise<PriorityArrayDto> {
    await this.startup();
    const ref = this.points.writable(pointId);
    return this.points.serial(pointId, async () => {
      const st = this.points.stateOf(ref);
      const now = this.clock.now();
      const next = relinquishArray(st.array, priority, source, now);
      if (next !== st.array) {
        const event = relinquishEvent(pointId, priority, source);
        const record = { events: [event], ...(audit ? { audit } : {}) };
        if (ref.arbitration === 'device') {
          // A fallback slot is on the device only while AUTONOMOUS; outside it fallback.ts clears one left by a failed NULL.
          const onDevice = priority !== FALLBACK_PRIORITY || this.autonomous;
          await this.changeOnDevice(
            st,
            next,
            priority,
            record,
            onDevice ? () => this.writer.relinquishSlot(ref, priority) : undefined,
          );
          if (priority === FALLBACK_PRIORITY && !this.autonomous) await this.fallback.applyNow(st);
        } else {
          await this.arbiter.arbitrate(st, next, now, { force: false, background: false, record });
        }
        this.log.info({ point: pointId, priority, source }, event.message);
        this.expiries.schedule(st);
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
    await this.startup();
    const ref = this.points.writable(pointId);
    return this.points.serial(pointId, async () => {
      const st = this.points.stateOf(ref);
      const next = renewLeaseOf(st.array, { ...lease, source: 'cloud', now: this.clock.now() }, this.policy);
      await this.commit(st, this.unchangedOutput(st, next));
      this.log.debug(
        { point: pointId, leaseId: lease.leaseId, leaseMs: lease.leaseMs },
        'cloud lease renewed',
      );
      this.expiries.schedule(st);
      return this.viewOf(st);
    });
  }

  /** Side-effect free: a point never commanded is shown empty, not given a state. */
  async priorityArray(pointId: string): Promise<PriorityArrayDto> {
    await this.points.ready();
    const ref = this.points.withArray(pointId);
    return this.viewOf(this.points.get(ref.key) ?? emptyState(ref));
  }

  /** The points whose array holds `priority` for `source` (e.g. what a schedule left behind before a restart). */
  async heldBy(priority: number, source: CommandSource): Promise<string[]> {
    await this.points.ready();
    return this.points
      .all()
      .filter((st) => slotAt(st.array, priority)?.source === source)
      .map((st) => st.ref.key);
  }

  /**
   * Loads the arrays, then queues on every point it asserts (loaded, or
   * controller-arbitrated with a relinquish default) the expiry of what ended
   * while down and the re-assertion of its output, in one step: nothing queued
   * on a point later can run before them.
   */
  private startup(): Promise<void> {
    this.started ??= this.points.ready().then(() => {
      for (const ref of this.points.refs.values())
        if (
          ref.point.access === 'write' &&
          ref.arbitration === 'controller' &&
          ref.point.failSafe !== undefined
        )
          this.points.stateOf(ref);
      this.reassertions = Promise.all(
        this.points
          .all()
          .map((st) => this.points.serial(st.ref.key, () => this.expiries.expireNow(st, { reassert: true }))),
      ).then(() => undefined);
      // Failures are the bootstrap's to log (start); a change asked for meanwhile must not see them.
      this.reassertions.catch(() => undefined);
    });
    return this.started;
  }

  /** Persists the point's next state with what records the change, in one transaction; then makes it the point's. */
  private async commit(st: PointState, next: NextState, record: ChangeRecord = {}): Promise<void> {
    const { array, output, pending } = next;
    const audit = record.audit && {
      record: record.audit,
      after: this.viewOf({ ref: st.ref, array, output, pending }),
    };
    await this.store.commit(
      { state: { array, output }, events: record.events ?? [], ...(audit ? { audit } : {}) },
      this.clock.now(),
    );
    st.array = array;
    st.output = output;
    st.pending = pending;
  }

  /** A device-arbitrated change: the array only (the device keeps its own output). */
  private unchangedOutput(st: PointState, array: PriorityArray): NextState {
    return { array, output: st.output, pending: st.pending };
  }

  /**
   * A change of a device-arbitrated point's slot `priority`: `write` on the
   * device (nothing when the slot is only mirrored), then the array persisted.
   * A change that cannot be persisted is taken back off the device (the slot
   * as the array still has it), best effort, and refused.
   */
  private async changeOnDevice(
    st: PointState,
    array: PriorityArray,
    priority: number,
    record: ChangeRecord,
    write: (() => Promise<void>) | undefined,
  ): Promise<void> {
    if (!write) return this.commit(st, this.unchangedOutput(st, array), record);
    await write();
    try {
      await this.commit(st, this.unchangedOutput(st, array), record);
    } catch (err) {
      const slot = slotAt(st.array, priority);
      await this.writer.bestEffort(() =>
        slot !== null && (priority !== FALLBACK_PRIORITY || this.autonomous)
          ? this.writer.writeSlot(st.ref, priority, slot.value)
          : this.writer.relinquishSlot(st.ref, priority),
      );
      throw err;
    }
  }

  /** Re-arbitrates every point holding the fallback slot after a change into or out of AUTONOMOUS. */
  private async applyMode(): Promise<void> {
    await this.points.ready();
    if (this.points.closed) return;
    const states = this.points.all();
    const holding = states.filter((st) => slotAt(st.array, FALLBACK_PRIORITY) !== null);
    this.log.info(
      { autonomous: this.autonomous, points: holding.map((st) => st.ref.key) },
      `fallback slot ${FALLBACK_PRIORITY} ${this.autonomous ? 'in force' : 'out of force'} on ${holding.length} point(s)`,
    );
    // Every point, behind its queue: one whose command is in flight may hold slot 12 by the time its turn comes.
    await Promise.all(states.map((st) => this.fallback.apply(st)));
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
