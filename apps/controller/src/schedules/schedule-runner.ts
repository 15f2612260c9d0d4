/**
 * Runs the configuration's schedules (issue 4 item 3, DESIGN.md points 2 and 4):
 * every ControllerSchedule commands each of its targets with its value in force
 * now (libs/schedules effectiveAt, in the schedule's zone or the site's) at
 * slot 16 (kind 'local', source 'schedule') or slot 12 (kind 'fallback', source
 * 'fallback-schedule'; CommandService keeps that slot out of force unless the
 * link is AUTONOMOUS). A null value relinquishes the slot.
 *
 * - One timer, at the earliest nextChange of all schedules (injected CLOCK and
 *   TIMERS: fake time in tests, DST included); every configuration change
 *   (CONFIGURATION.changes$) re-evaluates everything, and a schedule or target
 *   that is gone has its slot relinquished. At the first evaluation, slots a
 *   schedule held before a restart and that no schedule claims any more are
 *   relinquished too.
 * - A target is commanded only when its value changes, so re-evaluating is cheap
 *   and idempotent. Two schedules of one kind on one target: the first by id
 *   with a value wins (a warning names both).
 * - Each change of a schedule's value is a 'schedule-transition' event. A target
 *   the command path refuses (unknown point, out of range, read-only) is logged
 *   and recorded as an event and not retried until its value changes; a failed
 *   write is retried after RETRY_MS.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { errorInfo } from '#libs/fieldbus';
import type { CommandSource } from '#libs/priority';
import { effectiveAt, nextChange } from '#libs/schedules';
import type { Calendar } from '#libs/schedules';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER } from '../common/tokens.js';
import { CommandWriteFailedError, ShuttingDownError } from '../commands/command-errors.js';
import { CommandService, RETRY_MS } from '../commands/command.service.js';
import { TIMERS } from '../commands/timers.js';
import type { Timers } from '../commands/timers.js';
import { CONFIGURATION } from '../configuration/configuration.port.js';
import type {
  ConfigurationPort,
  ConfigurationState,
  ControllerSchedule,
} from '../configuration/configuration.port.js';
import { EVENT_SINK } from '../events/event-sink.js';
import type { EventSink } from '../events/event-sink.js';
import { LinkService } from '../link/link.service.js';

/** What the runner needs of the command path. */
export type ScheduleCommands = Pick<CommandService, 'command' | 'relinquish' | 'heldBy'>;
/** Where the runner reports the fallback schedules holding slot 12 (GET /api/v1/mode). */
export type FallbackReport = Pick<LinkService, 'reportFallbackSchedules'>;

const SLOTS: Record<ControllerSchedule['kind'], { priority: number; source: CommandSource }> = {
  local: { priority: 16, source: 'schedule' },
  fallback: { priority: 12, source: 'fallback-schedule' },
};

/** One target slot as commanded (or refused) for a schedule. */
interface TargetSlot {
  target: string;
  priority: number;
  source: CommandSource;
  scheduleId: string;
  value: number | null;
}

interface ScheduleValue {
  kind: ControllerSchedule['kind'];
  value: number | null;
}

const slotKey = (target: string, priority: number): string => `${target}@${priority}`;
const show = (value: number | null | undefined): string =>
  value === null || value === undefined ? 'null' : String(value);

@Injectable()
export class ScheduleRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private latest?: ConfigurationState;
  /** What each target slot was last given, by slotKey; refused ones too (not retried until their value changes). */
  private readonly applied = new Map<string, TargetSlot>();
  /** Each schedule's last evaluated value, for transition events. */
  private readonly values = new Map<string, ScheduleValue>();
  private subscription?: Subscription;
  private timer?: { handle: unknown; at: number };
  private retryAt?: number;
  private chain: Promise<void> = Promise.resolve();
  private cleaned = false;
  private closed = false;

  constructor(
    @Inject(CommandService) private readonly commands: ScheduleCommands,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TIMERS) private readonly timers: Timers,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(EVENT_SINK) private readonly events: EventSink,
    @Optional() @Inject(CONFIGURATION) private readonly configuration?: ConfigurationPort,
    @Optional() @Inject(LinkService) private readonly fallbackReport?: FallbackReport,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.configuration) {
      this.log.warn('no CONFIGURATION provider: schedules are not run');
      return;
    }
    this.subscription = this.configuration.changes$.subscribe((state) => {
      this.latest = state;
      void this.enqueue('configuration');
    });
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.subscription?.unsubscribe();
    if (this.timer) this.timers.clear(this.timer.handle);
    this.timer = undefined;
  }

  /** Settles when every evaluation queued so far has finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(reason: 'configuration' | 'timer'): Promise<void> {
    this.chain = this.chain
      .then(() => this.evaluate(reason))
      .catch((err: unknown) =>
        this.log.error({ err: errorInfo(err) }, `schedule evaluation failed: ${errorInfo(err).message}`),
      );
    return this.chain;
  }

  private async evaluate(reason: 'configuration' | 'timer'): Promise<void> {
    const state = this.latest;
    if (!state || this.closed) return;
    // A timer never runs the schedules before their instant, even if the host's timer fires a little early.
    const now = Math.max(this.clock.now(), reason === 'timer' ? (this.timer?.at ?? 0) : 0);
    this.timer = undefined;
    this.retryAt = undefined;
    const { configuration } = state;
    const zone = configuration.site.timeZone;
    const calendars = Object.values(configuration.calendars) as Calendar[];
    const schedules = Object.entries(configuration.schedules)
      .map(([id, s]) => ({ ...(s as ControllerSchedule), id }))
      .sort((a, b) => a.id.localeCompare(b.id));

    const desired = new Map<string, TargetSlot>();
    const inForce: string[] = [];
    let nextAt = Number.POSITIVE_INFINITY;
    for (const schedule of schedules) {
      const { priority, source } = SLOTS[schedule.kind];
      let value: number | null;
      try {
        const scheduleZone = schedule.timeZone ?? zone;
        value = effectiveAt(schedule, calendars, scheduleZone, new Date(now)).value;
        const next = nextChange(schedule, calendars, scheduleZone, new Date(now));
        if (next) nextAt = Math.min(nextAt, next.at.getTime());
      } catch (err) {
        await this.failure(schedule.id, source, `cannot be evaluated: ${errorInfo(err).message}`, {});
        continue;
      }
      await this.transition(schedule, value, now);
      if (schedule.kind === 'fallback' && value !== null && schedule.targets.length > 0)
        inForce.push(schedule.id);
      for (const target of schedule.targets) {
        const key = slotKey(target, priority);
        const other = desired.get(key);
        if (other && reason === 'configuration')
          this.log.warn(
            { target, schedules: [other.scheduleId, schedule.id] },
            `schedules "${other.scheduleId}" and "${schedule.id}" both command ${target} at priority ${priority}; the first with a value wins`,
          );
        if (!other || (other.value === null && value !== null))
          desired.set(key, { target, priority, source, scheduleId: schedule.id, value });
      }
    }
    for (const [id, { kind }] of this.values)
      if (!schedules.some((s) => s.id === id)) {
        this.values.delete(id);
        const { priority, source } = SLOTS[kind];
        await this.record(
          id,
          source,
          `schedule "${id}" (${kind}) removed: priority ${priority} relinquished`,
          {
            kind,
            priority,
            removed: true,
          },
        );
      }

    await this.relinquishStale(desired);
    for (const [key, slot] of desired) {
      const before = this.applied.get(key);
      if (before && before.value === slot.value && before.scheduleId === slot.scheduleId) continue;
      await this.apply(key, slot);
    }
    this.fallbackReport?.reportFallbackSchedules(inForce);
    this.arm(Math.min(nextAt, this.retryAt ?? Number.POSITIVE_INFINITY));
  }

  /** Relinquishes every slot no schedule claims any more (and, once after start, what a restart left behind). */
  private async relinquishStale(desired: Map<string, TargetSlot>): Promise<void> {
    const stale = [...this.applied.values()].filter((a) => !desired.has(slotKey(a.target, a.priority)));
    if (!this.cleaned) {
      this.cleaned = true;
      for (const { priority, source } of Object.values(SLOTS))
        for (const target of await this.commands.heldBy(priority, source))
          if (!desired.has(slotKey(target, priority)) && !this.applied.has(slotKey(target, priority)))
            stale.push({ target, priority, source, scheduleId: '(before restart)', value: null });
    }
    for (const slot of stale) {
      if (this.closed) return;
      const key = slotKey(slot.target, slot.priority);
      try {
        await this.commands.relinquish(slot.target, slot.priority, slot.source);
        this.applied.delete(key);
      } catch (err) {
        if (err instanceof ShuttingDownError) return;
        this.applied.delete(key);
        await this.refused(slot, err);
      }
    }
  }

  private async apply(key: string, slot: TargetSlot): Promise<void> {
    if (this.closed) return;
    try {
      if (slot.value === null) await this.commands.relinquish(slot.target, slot.priority, slot.source);
      else
        await this.commands.command(slot.target, {
          value: slot.value,
          priority: slot.priority,
          source: slot.source,
        });
      this.applied.set(key, slot);
    } catch (err) {
      // Shutting down: the slot stays as it was, and the next start evaluates again.
      if (err instanceof ShuttingDownError) return;
      if (err instanceof CommandWriteFailedError) {
        // The device did not take it: try again later, whatever the schedule says then.
        this.applied.delete(key);
        this.retryAt = Math.min(this.retryAt ?? Number.POSITIVE_INFINITY, this.clock.now() + RETRY_MS);
      } else {
        this.applied.set(key, slot);
      }
      await this.refused(slot, err);
    }
  }

  private arm(at: number): void {
    if (this.timer) this.timers.clear(this.timer.handle);
    this.timer = undefined;
    if (!Number.isFinite(at) || this.closed) return;
    const handle = this.timers.set(() => void this.enqueue('timer'), at - this.clock.now());
    this.timer = { handle, at };
  }

  private async transition(schedule: ControllerSchedule, value: number | null, now: number): Promise<void> {
    const before = this.values.get(schedule.id);
    if (before && before.value === value && before.kind === schedule.kind) return;
    this.values.set(schedule.id, { kind: schedule.kind, value });
    const { priority, source } = SLOTS[schedule.kind];
    const n = schedule.targets.length;
    const what =
      value === null ? `relinquishes priority ${priority}` : `commands ${value} at priority ${priority}`;
    await this.record(
      schedule.id,
      source,
      `schedule "${schedule.id}" (${schedule.kind}) ${show(before?.value)} → ${show(value)}: ${what} on ${n} target${n === 1 ? '' : 's'}`,
      {
        kind: schedule.kind,
        priority,
        from: before === undefined ? null : before.value,
        to: value,
        targets: [...schedule.targets],
        at: new Date(now).toISOString(),
      },
    );
  }

  private async refused(slot: TargetSlot, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    const what =
      slot.value === null
        ? `relinquish of priority ${slot.priority}`
        : `${slot.value} at priority ${slot.priority}`;
    await this.failure(slot.scheduleId, slot.source, `target ${slot.target} refused ${what}: ${reason}`, {
      target: slot.target,
      priority: slot.priority,
      value: slot.value,
    });
  }

  private async failure(
    scheduleId: string,
    source: CommandSource,
    text: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    const message = `schedule "${scheduleId}": ${text}`;
    this.log.error({ schedule: scheduleId, ...data }, message);
    await this.record(scheduleId, source, message, { ...data, refused: true, error: text });
  }

  private async record(
    scheduleId: string,
    source: string,
    message: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    if (!('refused' in data)) this.log.info({ schedule: scheduleId, ...data }, message);
    await this.events.record({ type: 'schedule-transition', source, subject: scheduleId, message, data });
  }
}
