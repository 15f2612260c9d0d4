/**
 * The desired-state half of the sync client: a signed long-poll of
 * GET /api/v1/sync/desired?after=<version>&waitSeconds=<n> (200 with a newer
 * DesiredState, 204 when the wait ran out), applied through the applier; a
 * one-second maintenance tick renews the cloud's leases while the link is
 * CONNECTED and posts the reported state to /api/v1/sync/reported whenever it
 * changed (and at least every 30 s). Apply, renew and report run one at a time.
 */
import type { Logger } from 'pino';
import type { LinkState } from '#libs/link';
import type { DesiredState } from '#libs/sync';
import type { Clock } from '../common/clock.js';
import type { Timers } from '../commands/timers.js';
import { Backoff } from './backoff.js';
import { CloudTransportError } from './cloud-transport.js';
import type { DesiredStateApplier } from './desired-state.js';
import { problemReason } from './signed-client.js';
import type { SignedCloudClient } from './signed-client.js';
import { Waiter } from './waiter.js';

export const DESIRED_PATH = '/api/v1/sync/desired';
export const REPORTED_PATH = '/api/v1/sync/reported';
const REPORT_EVERY_MS = 30_000;
const TICK_MS = 1000;

export interface PollerOptions {
  client: Pick<SignedCloudClient, 'exchange'>;
  applier: DesiredStateApplier;
  clock: Clock;
  timers: Timers;
  log: Logger;
  linkState: () => LinkState;
  longPollSeconds: number;
  backoff?: Backoff;
}

export class DesiredPoller {
  private readonly backoff: Backoff;
  private readonly waiter: Waiter;
  private running = false;
  private loop: Promise<void> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private tickHandle: unknown;
  private maintaining = false;
  private nextRenewAt = 0;
  private lastReport = '';
  private lastReportAt = -Infinity;
  lastError: string | null = null;

  constructor(private readonly o: PollerOptions) {
    this.backoff = o.backoff ?? new Backoff();
    this.waiter = new Waiter(o.timers);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    this.scheduleTick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.tickHandle !== undefined) this.o.timers.clear(this.tickHandle);
    this.waiter.wakeUp();
    await this.loop;
    await this.chain;
  }

  /** The link came back: poll now rather than at the end of the backoff. */
  wakeUp(): void {
    this.waiter.wakeUp();
  }

  /** One long-poll and what follows it. Public for tests. */
  async poll(): Promise<'applied' | 'unchanged' | 'retry'> {
    const after = this.o.applier.version;
    const path = `${DESIRED_PATH}?after=${after}&waitSeconds=${this.o.longPollSeconds}`;
    try {
      const answer = await this.o.client.exchange('GET', path, {
        timeoutMs: (this.o.longPollSeconds + 10) * 1000,
      });
      if (answer.status === 204) {
        this.backoff.reset();
        return 'unchanged';
      }
      if (answer.status !== 200) {
        this.lastError = `desired: ${answer.status} ${problemReason(answer)}`.trim();
        this.o.log.warn({ status: answer.status }, this.lastError);
        return 'retry';
      }
      const state = JSON.parse(answer.body.toString('utf8')) as DesiredState;
      this.backoff.reset();
      this.lastError = null;
      if (state.version <= after) return 'unchanged';
      await this.serial(() => this.o.applier.apply(state));
      await this.maintain(true);
      return 'applied';
    } catch (err) {
      if (!(err instanceof CloudTransportError))
        this.o.log.error({ err }, `desired state: ${(err as Error).message}`);
      this.lastError = `desired: ${(err as Error).message}`;
      return 'retry';
    }
  }

  /** Renews leases when due (CONNECTED only) and reports when changed or due. Public for tests. */
  maintain(forceReport = false): Promise<void> {
    return this.serial(async () => {
      const now = this.o.clock.now();
      const mode = this.o.linkState();
      const shortest = this.o.applier.shortestLeaseMs;
      if (mode === 'CONNECTED' && shortest !== undefined && now >= this.nextRenewAt) {
        await this.o.applier.renew();
        this.nextRenewAt = now + Math.max(TICK_MS, Math.floor(shortest / 3));
      }
      if (mode === 'AUTONOMOUS') return;
      const report = JSON.stringify(await this.o.applier.report(mode));
      if (!forceReport && report === this.lastReport && now - this.lastReportAt < REPORT_EVERY_MS) return;
      try {
        const answer = await this.o.client.exchange('POST', REPORTED_PATH, {
          body: Buffer.from(report, 'utf8'),
          headers: { 'content-type': 'application/json' },
          timeoutMs: 10_000,
        });
        if (answer.status >= 200 && answer.status < 300) {
          this.lastReport = report;
          this.lastReportAt = now;
        } else this.o.log.warn({ status: answer.status }, `reported state refused: ${problemReason(answer)}`);
      } catch {
        // Recorded as a link outcome; the next tick tries again.
      }
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch((err: unknown) =>
      this.o.log.error({ err }, `desired state step failed: ${(err as Error).message}`),
    );
    return run;
  }

  private scheduleTick(): void {
    this.tickHandle = this.o.timers.set(() => {
      if (!this.running) return;
      // A slow tick (a dead device under a renewal) is not queued behind by the next ones.
      if (!this.maintaining) {
        this.maintaining = true;
        this.maintain()
          .catch(() => undefined)
          .finally(() => (this.maintaining = false));
      }
      this.scheduleTick();
    }, TICK_MS);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = this.o.clock.now();
      const result = await this.poll();
      if (!this.running) break;
      if (result === 'retry') await this.waiter.wait(this.backoff.next());
      // A cloud that answers "unchanged" at once would otherwise be polled in a tight loop.
      else if (this.o.clock.now() - started < TICK_MS) await this.waiter.wait(TICK_MS);
    }
  }
}
