/**
 * Scan jitter while the backlog drains (issue 5 item 5: p99 under 100 ms):
 * for each device, how far each interval between two read cycles strays from
 * that device's usual interval (the median of its recent intervals). A sync
 * client that hogs the event loop shows here as late scans. The event loop's
 * own delay (perf_hooks) is kept beside it, as the cause to look at.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';

const WINDOW = 2000;
const PER_DEVICE = 64;

export interface JitterSummary {
  /** Scan-interval deviations measured in the window. */
  samples: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Event-loop delay p99 since start (perf_hooks), ms. */
  eventLoopDelayP99Ms: number | null;
}

export class ScanJitter {
  private readonly last = new Map<string, number>();
  private readonly intervals = new Map<string, number[]>();
  private deviations: number[] = [];
  private loop: IntervalHistogram | undefined;

  /** Starts the event-loop histogram (off in unit tests: it needs real time). */
  watchEventLoop(): void {
    this.loop ??= monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
  }

  stop(): void {
    this.loop?.disable();
  }

  tick(deviceId: string, at: number): void {
    const previous = this.last.get(deviceId);
    this.last.set(deviceId, at);
    if (previous === undefined) return;
    const interval = at - previous;
    const recent = this.intervals.get(deviceId) ?? [];
    if (recent.length >= 4) this.deviations.push(Math.abs(interval - median(recent)));
    if (this.deviations.length > WINDOW) this.deviations = this.deviations.slice(-WINDOW);
    recent.push(interval);
    if (recent.length > PER_DEVICE) recent.shift();
    this.intervals.set(deviceId, recent);
  }

  /** Forgets the window, e.g. when a drain starts and only its jitter should count. */
  reset(): void {
    this.deviations = [];
    this.loop?.reset();
  }

  summary(): JitterSummary {
    const sorted = [...this.deviations].sort((a, b) => a - b);
    const at = (q: number): number | null =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null;
    const loopP99 = this.loop && this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : null;
    return {
      samples: sorted.length,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: sorted.length ? sorted[sorted.length - 1] : null,
      eventLoopDelayP99Ms: loopP99 === null ? null : Math.round(loopP99 * 10) / 10,
    };
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
