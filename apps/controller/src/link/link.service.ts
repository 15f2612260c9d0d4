/**
 * The controller's cloud link (issue 4 item 4, DESIGN.md point 5): libs/link's
 * LinkMonitor over the configured driver, its state for the rest of the
 * controller (LINK_STATE), and every transition as a 'mode-change' event and a
 * log line.
 *
 * Drivers (config `link.driver`):
 * - 'none' (default): no cloud is configured, so nothing will ever succeed:
 *   the monitor starts AUTONOMOUS (libs/link's initial state) and stays so, and
 *   the fallback schedules are in force for good. That is the truth without a cloud.
 * - 'manual': ManualLinkDriver heartbeated by SimulatedLink, a fake cloud a
 *   test or a person switches off and on. It starts AUTONOMOUS too, like any
 *   link, until enough successes prove it (libs/link options).
 * - 'cloud' (set when `cloud.url` is configured): CloudLinkDriver, which the
 *   sync client feeds with the outcome of every real request to the cloud.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { ModeDto } from '#libs/contracts';
import { LinkMonitor, ManualLinkDriver } from '#libs/link';
import type { LinkClock, LinkState, LinkTransition } from '#libs/link';
import { CONFIG, LOGGER } from '../common/tokens.js';
import { linkOptions } from '../config/controller-config.js';
import type { ControllerConfig } from '../config/controller-config.js';
import { EVENT_SINK } from '../events/event-sink.js';
import type { EventSink } from '../events/event-sink.js';
import type { LinkStateSource } from './link-state.port.js';
import { CloudLinkDriver } from './cloud-link-driver.js';
import { SimulatedLink } from './simulated-link.js';

export const LINK_CLOCK = Symbol('LINK_CLOCK');

export type LinkDriverName = 'none' | 'manual' | 'cloud';

const iso = (ms: number): string => new Date(ms).toISOString();

@Injectable()
export class LinkService implements LinkStateSource, OnApplicationBootstrap, OnModuleDestroy {
  readonly monitor: LinkMonitor;
  readonly driver: LinkDriverName;
  /** Driver 'manual' only. */
  readonly simulated?: SimulatedLink;
  /** Driver 'cloud' only: where the sync client records each request's outcome. */
  readonly cloud?: CloudLinkDriver;
  private fallbackIds: string[] = [];

  constructor(
    @Inject(CONFIG) config: ControllerConfig,
    @Inject(LINK_CLOCK) clock: LinkClock,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(EVENT_SINK) private readonly events: EventSink,
  ) {
    this.driver = config.link?.driver ?? 'none';
    this.monitor = new LinkMonitor(clock, linkOptions(config.link));
    this.monitor.transitions$.subscribe((t) => this.onTransition(t));
    if (this.driver === 'manual') {
      const manual = new ManualLinkDriver();
      this.monitor.follow(manual.outcomes$);
      // Four beats per degradedAfterMs: one lost beat never reads as a silence.
      const interval = Math.max(10, Math.floor(this.monitor.options.degradedAfterMs / 4));
      this.simulated = new SimulatedLink(manual, clock, interval);
    } else if (this.driver === 'cloud') {
      this.cloud = new CloudLinkDriver();
      this.monitor.follow(this.cloud.outcomes$);
    }
    this.log.info(
      { driver: this.driver, state: this.monitor.state, options: this.monitor.options },
      `link driver ${this.driver}: starting ${this.monitor.state}`,
    );
  }

  get state$(): Observable<LinkState> {
    return this.monitor.state$;
  }

  get transitions$(): Observable<LinkTransition> {
    return this.monitor.transitions$;
  }

  get state(): LinkState {
    return this.monitor.state;
  }

  onApplicationBootstrap(): void {
    this.simulated?.start();
  }

  onModuleDestroy(): void {
    this.simulated?.stop();
    this.cloud?.complete();
    this.monitor.close();
  }

  /** The schedule runner reports which fallback schedules hold slot 12 (a value, not null) on some target. */
  reportFallbackSchedules(ids: readonly string[]): void {
    this.fallbackIds = [...ids].sort();
  }

  mode(): ModeDto {
    const status = this.monitor.status();
    return {
      state: status.state,
      since: iso(status.since),
      lastSuccessAt: status.lastSuccessAt === undefined ? null : iso(status.lastSuccessAt),
      lastFailure:
        status.lastFailure === undefined
          ? null
          : { at: iso(status.lastFailure.at), reason: status.lastFailure.reason },
      driver: this.driver,
      fallbackSchedules: status.state === 'AUTONOMOUS' ? [...this.fallbackIds] : [],
      ...(this.simulated ? { simulatedLink: { reachable: this.simulated.reachable } } : {}),
    };
  }

  private onTransition(t: LinkTransition): void {
    const message = `link ${t.from} → ${t.to}: ${t.reason}`;
    const fallback =
      t.to === 'AUTONOMOUS'
        ? 'fallback schedules in force'
        : t.from === 'AUTONOMOUS'
          ? 'fallback schedules step back'
          : undefined;
    this.log[t.to === 'CONNECTED' ? 'info' : 'warn'](
      { from: t.from, to: t.to, cause: t.cause, reason: t.reason, at: iso(t.at) },
      fallback ? `${message}; ${fallback}` : message,
    );
    this.events
      .record({
        type: 'mode-change',
        source: 'link',
        message,
        at: t.at,
        data: {
          from: t.from,
          to: t.to,
          cause: t.cause,
          reason: t.reason,
          ...(t.to === 'AUTONOMOUS' ? { fallbackSchedules: [...this.fallbackIds] } : {}),
        },
      })
      .catch((err: unknown) =>
        this.log.error({ err }, `mode-change event not recorded: ${(err as Error).message}`),
      );
  }
}
