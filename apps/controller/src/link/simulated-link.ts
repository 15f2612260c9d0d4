/**
 * A FAKE cloud for the 'manual' link driver (tests and the demo): it stands in
 * for the sync client, which the cloud-sync issue brings, by heartbeating
 * libs/link's ManualLinkDriver: a success every `intervalMs` while `reachable`,
 * a failure while not. A person flips `reachable` through
 * `PUT /api/v1/mode/simulated-link` to pull the plug on the demo; the
 * LinkMonitor then detects the loss exactly as it will the real one.
 */
import type { LinkClock, LinkTimerHandle, ManualLinkDriver } from '#libs/link';

export const SIMULATED_FAILURE = 'simulated link: the cloud is unreachable';

export class SimulatedLink {
  private reachableNow = true;
  private timer: LinkTimerHandle | undefined;
  private running = false;

  /** `intervalMs` must stay below the monitor's degradedAfterMs, or a reachable link reads DEGRADED. */
  constructor(
    private readonly driver: ManualLinkDriver,
    private readonly clock: LinkClock,
    readonly intervalMs: number,
  ) {}

  get reachable(): boolean {
    return this.reachableNow;
  }

  start(): void {
    this.running = true;
    this.beat();
  }

  /** Takes effect at once (one outcome now), then the heartbeat carries on at its rhythm. */
  setReachable(reachable: boolean): void {
    this.reachableNow = reachable;
    if (this.running) this.beat();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private beat(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.reachableNow) this.driver.succeed();
    else this.driver.fail(SIMULATED_FAILURE);
    if (this.running) this.timer = this.clock.setTimeout(() => this.beat(), this.intervalMs);
  }
}
