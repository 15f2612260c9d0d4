/**
 * The link's pulse when there is nothing to send (DESIGN.md point 5: loss
 * detected within 5 s). The link monitor needs a successful exchange more
 * often than its degradedAfterMs; batches give it one while a backlog drains,
 * and this signed GET /api/v1/sync/ping gives it one when idle. One ping at a
 * time, so a cloud that hangs costs one open request, not a pile of them.
 */
import type { Clock } from '../common/clock.js';
import type { Timers } from '../commands/timers.js';
import type { SignedCloudClient } from './signed-client.js';

export const PING_PATH = '/api/v1/sync/ping';

export class Heartbeat {
  private lastSuccess = -Infinity;
  private inFlight = false;
  private handle: unknown;
  private running = false;

  constructor(
    private readonly client: Pick<SignedCloudClient, 'exchange'>,
    private readonly clock: Clock,
    private readonly timers: Timers,
    readonly intervalMs: number,
    readonly timeoutMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
  }

  /** Any successful exchange counts as a beat: no ping is needed for a while. */
  noteSuccess(): void {
    this.lastSuccess = this.clock.now();
  }

  /** Sends a ping unless one is in flight or a success is recent. Public for tests. */
  async beat(): Promise<void> {
    if (this.inFlight || this.clock.now() - this.lastSuccess < this.intervalMs) return;
    this.inFlight = true;
    try {
      await this.client.exchange('GET', PING_PATH, { timeoutMs: this.timeoutMs });
    } catch {
      // Already recorded as the link's outcome by the signed client.
    } finally {
      this.inFlight = false;
    }
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.handle = this.timers.set(() => {
      void this.beat();
      this.schedule(this.intervalMs);
    }, ms);
  }
}
