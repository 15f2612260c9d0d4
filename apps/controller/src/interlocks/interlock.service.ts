/**
 * Safety interlocks, evaluated locally after every scan (issue 4 item 5;
 * DESIGN.md points 1–2). Needs neither the cloud link nor a login: the rules
 * come from the live configuration, the readings from LiveValues, and the
 * actions go straight to the command path at slots 1–2 (source 'interlock').
 *
 * - Rhythm: each scan tick asks for an evaluation; evaluations run at most once
 *   per `minIntervalMs`, off the scan's call stack (a tick only sets a timer),
 *   and at least once per `backstopMs` so delays and staleness advance even if
 *   the scanner stalls. One evaluation at a time; a tick during one queues the next.
 * - Warm-up: before its first scan a point reads comm-fail; until every point the
 *   rules read has been scanned once (or `warmUpMs` has passed) nothing is
 *   evaluated, so a booting controller does not trip its fail-safe rules.
 * - Rule changes (CONFIGURATION.changes$): the new set is validated against the
 *   site's points first; an invalid set is refused as a whole (logged + event)
 *   and the running one stays. A valid set gets an engine that keeps the state
 *   of every unchanged rule (libs/rules fromJSON, by fingerprint); slots held
 *   by removed rules are relinquished at the next evaluation. Without a
 *   CONFIGURATION provider (tests, a build without snapshots) the site file's
 *   `interlocks:` are in force, unchanging.
 * - State: the engine's JSON (hysteresis, delay-on timers, slot owners) is saved
 *   in SQLite whenever it changes, so a restart does not reset a running delay.
 * - Every activation and clear is an event (type 'interlock', source
 *   `interlock:<rule>`); interlock-slots.ts records each action and refusal.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { map, of } from 'rxjs';
import type { Observable, Subscription } from 'rxjs';
import type { LoadedSite } from '#libs/profiles';
import { formatRuleIssue, pointIndexOf, RuleEngine, validateRules } from '#libs/rules';
import type { Interlock, InterlockCommand, PointIndex, PointReading, RuleEngineState } from '#libs/rules';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER, SITE } from '../common/tokens.js';
import { TIMERS } from '../commands/timers.js';
import type { Timers } from '../commands/timers.js';
import { CONFIGURATION } from '../configuration/configuration.port.js';
import type { ConfigurationPort } from '../configuration/configuration.port.js';
import { EVENT_SINK } from '../events/event-sink.js';
import type { EventSink, NewEvent } from '../events/event-sink.js';
import type { ScanTick } from '../fieldbus/scanner.service.js';
import {
  INTERLOCK_OPTIONS,
  INTERLOCK_OUTPUTS,
  INTERLOCK_READINGS,
  INTERLOCK_SCANS,
} from './interlock-ports.js';
import type { InterlockOptions, InterlockOutputs, InterlockReadings } from './interlock-ports.js';
import { INTERLOCK_STATE_STORE } from './interlock-state.store.js';
import type { InterlockStateStore } from './interlock-state.store.js';
import { InterlockSlots } from './interlock-slots.js';
import type { WantedSlot } from './interlock-slots.js';
import { watchedPoints } from './watched-points.js';

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

@Injectable()
export class InterlockService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly index: PointIndex;
  /** The site file's interlocks: in force only when no live configuration is provided. */
  private readonly siteRules: Record<string, unknown>;
  private readonly slots: InterlockSlots;
  private engine: RuleEngine | undefined;
  private watched: string[] = [];
  private descriptions = new Map<string, string>();
  /** The stored state, until the first rule set has used it. */
  private restored: unknown;
  private savedJson: string | undefined;
  private readonly subscriptions: Subscription[] = [];
  private startedAt = 0;
  private warm = false;
  private closed = false;
  private timer: unknown;
  private backstop: unknown;
  private running = false;
  private again = false;
  private lastRunAt = Number.NEGATIVE_INFINITY;
  /** The evaluation in progress (or the last one); for tests and shutdown. */
  lastRun: Promise<void> = Promise.resolve();

  constructor(
    @Inject(SITE) site: LoadedSite,
    @Optional() @Inject(CONFIGURATION) private readonly configuration: ConfigurationPort | undefined,
    @Inject(INTERLOCK_OUTPUTS) private readonly outputs: InterlockOutputs,
    @Inject(INTERLOCK_READINGS) private readonly readings: InterlockReadings,
    @Inject(INTERLOCK_SCANS) private readonly scans: Observable<ScanTick>,
    @Inject(INTERLOCK_STATE_STORE) private readonly store: InterlockStateStore,
    @Inject(EVENT_SINK) private readonly events: EventSink,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TIMERS) private readonly timers: Timers,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(INTERLOCK_OPTIONS) private readonly options: InterlockOptions,
  ) {
    this.index = pointIndexOf(site);
    const fromFile = (site as { interlocks?: Array<{ id?: unknown }> }).interlocks ?? [];
    this.siteRules = Object.fromEntries(
      fromFile.map((rule, i) => [typeof rule.id === 'string' ? rule.id : `#${i}`, rule]),
    );
    this.slots = new InterlockSlots(outputs, events, log, options.retryMs);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.startedAt = this.clock.now();
    try {
      this.restored = await this.store.load();
    } catch (err) {
      this.log.error(
        { err: messageOf(err) },
        `interlock state could not be read, starting fresh: ${messageOf(err)}`,
      );
    }
    const writable = [...this.index].filter(([, p]) => p.access === 'write').map(([key]) => key);
    await this.slots.adopt(writable, this.ownersOf(this.restored));
    const rules$: Observable<Record<string, unknown>> =
      this.configuration === undefined
        ? of(this.siteRules)
        : this.configuration.changes$.pipe(map((state) => state.configuration.rules));
    if (this.configuration === undefined)
      this.log.warn("interlocks: no live configuration; the site file's interlocks are in force");
    this.subscriptions.push(
      rules$.subscribe((rules) => {
        // A throw inside a subscriber would surface as an uncaught error: log it, keep the running rules.
        try {
          this.useRules(rules);
        } catch (err) {
          this.log.error({ err: messageOf(err) }, `interlock rules not applied: ${messageOf(err)}`);
        }
      }),
      this.scans.subscribe(() => this.request()),
    );
    this.armBackstop();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const s of this.subscriptions) s.unsubscribe();
    if (this.timer !== undefined) this.timers.clear(this.timer);
    if (this.backstop !== undefined) this.timers.clear(this.backstop);
    await this.lastRun;
  }

  /** Ids of the rules whose condition holds now. */
  activeRules(): string[] {
    return this.engine?.activeRules() ?? [];
  }

  /** The interlock slots the command path holds now. */
  heldSlots(): Array<{ point: string; priority: number; value: number; ruleId: string }> {
    return this.slots.held();
  }

  private useRules(record: Record<string, unknown>): void {
    const rules = Object.values(record);
    const issues = validateRules(rules, this.index);
    if (issues.length > 0) {
      const detail = issues.map(formatRuleIssue).join('; ');
      const message = `interlock rules refused, the running rules stay in force: ${detail}`;
      this.log.error({ issues }, message);
      void this.record({ type: 'interlock', source: 'interlock', message, data: { issues } });
      return;
    }
    const valid = rules as Interlock[];
    const previous = this.engine?.toJSON() ?? this.restored;
    this.restored = undefined;
    try {
      this.engine = previous === undefined ? new RuleEngine(valid) : RuleEngine.fromJSON(valid, previous);
    } catch (err) {
      this.log.error(
        { err: messageOf(err) },
        `interlock state unusable, rules start fresh: ${messageOf(err)}`,
      );
      this.engine = new RuleEngine(valid);
    }
    this.watched = watchedPoints(valid);
    this.descriptions = new Map(valid.flatMap((r) => (r.description ? [[r.id, r.description]] : [])));
    this.log.info({ rules: valid.map((r) => r.id) }, `interlocks: ${valid.length} rule(s) in force`);
    this.request();
  }

  /** Asks for an evaluation; never runs it on the caller's stack. */
  private request(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastRunAt + this.options.minIntervalMs - this.clock.now());
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.lastRun = this.run();
    }, wait);
  }

  private armBackstop(): void {
    if (this.closed) return;
    this.backstop = this.timers.set(() => {
      this.request();
      this.armBackstop();
    }, this.options.backstopMs);
  }

  private async run(): Promise<void> {
    this.running = true;
    this.lastRunAt = this.clock.now();
    try {
      await this.evaluate();
    } catch (err) {
      this.log.error({ err: messageOf(err) }, `interlock evaluation failed: ${messageOf(err)}`);
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.request();
      }
    }
  }

  private async evaluate(): Promise<void> {
    const engine = this.engine;
    if (engine === undefined) return;
    const now = this.clock.now();
    const points = new Map<string, PointReading>();
    let allScanned = true;
    for (const key of this.watched) {
      const reading = this.readings.reading(key);
      if (reading === undefined) continue;
      if (!reading.scanned) allScanned = false;
      points.set(key, { value: reading.value, quality: reading.quality });
    }
    if (!this.warm) {
      if (!allScanned && now - this.startedAt < this.options.warmUpMs) return;
      this.warm = true;
    }
    const evaluation = engine.evaluate({ now, points });
    for (const e of evaluation.events) {
      const description = this.descriptions.get(e.ruleId);
      const message = `interlock ${e.ruleId} ${e.kind}${description ? ` (${description})` : ''}`;
      this.log.info({ rule: e.ruleId, kind: e.kind }, message);
      await this.record({
        type: 'interlock',
        source: `interlock:${e.ruleId}`,
        subject: e.ruleId,
        message,
        data: { ruleId: e.ruleId, kind: e.kind },
        at: e.at,
      });
    }
    await this.slots.apply(this.wanted(engine.activeCommands()), now);
    await this.persist(engine.toJSON(), now);
  }

  private wanted(commands: readonly InterlockCommand[]): WantedSlot[] {
    return commands.map((c) => ({
      point: c.point,
      priority: c.priority,
      // Validation against the index guarantees a failSafe for every fail-safe action; NaN is refused by the envelope.
      value: c.value === 'fail-safe' ? (this.index.get(c.point)?.failSafe ?? Number.NaN) : c.value,
      ruleId: c.ruleId,
    }));
  }

  private async persist(state: RuleEngineState, now: number): Promise<void> {
    const json = JSON.stringify(state);
    if (json === this.savedJson) return;
    try {
      await this.store.save(state, now);
      this.savedJson = json;
    } catch (err) {
      this.log.error({ err: messageOf(err) }, `interlock state not saved: ${messageOf(err)}`);
    }
  }

  private ownersOf(state: unknown): Map<string, string> {
    const owners = new Map<string, string>();
    const slots = (state as Partial<RuleEngineState> | undefined)?.slots;
    if (Array.isArray(slots))
      for (const s of slots as Array<Partial<RuleEngineState['slots'][number]>>)
        if (typeof s.point === 'string' && typeof s.ruleId === 'string')
          owners.set(`${s.point}\u0000${s.priority}`, s.ruleId);
    return owners;
  }

  /** Never throws: a lost event must not keep an interlock from acting. */
  private async record(event: NewEvent): Promise<void> {
    try {
      await this.events.record(event);
    } catch (err) {
      this.log.error({ err: messageOf(err) }, `interlock event not recorded: ${event.message}`);
    }
  }
}
