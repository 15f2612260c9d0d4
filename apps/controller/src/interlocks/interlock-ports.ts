/**
 * What the interlocks need from the rest of the controller, as small ports
 * (CONVENTIONS.md habit 6), so the service is tested with fakes and a fake
 * clock: the command path, the live readings, the scan rhythm, and options.
 * InterlocksModule binds them to CommandService, LiveValues and ScannerService.
 */
import type { PriorityArrayDto } from '#libs/contracts';
import type { PointReading } from '#libs/rules';

/** The part of CommandService the interlocks use; always with source 'interlock' (slots 1–2). */
export interface InterlockOutputs {
  command(pointKey: string, opts: { value: number; priority: number; source: 'interlock' }): Promise<unknown>;
  relinquish(pointKey: string, priority: number, source: 'interlock'): Promise<unknown>;
  priorityArray(pointKey: string): Promise<PriorityArrayDto>;
}
export const INTERLOCK_OUTPUTS = Symbol('INTERLOCK_OUTPUTS');

export interface InterlockReading extends PointReading {
  /** The scanner has read (or failed to read) the point at least once since boot. */
  scanned: boolean;
}

export interface InterlockReadings {
  /** Undefined for a point the site does not have. */
  reading(pointKey: string): InterlockReading | undefined;
}
export const INTERLOCK_READINGS = Symbol('INTERLOCK_READINGS');

/** Observable<ScanTick> (fieldbus/scanner.service.ts): a device's live values were just refreshed. */
export const INTERLOCK_SCANS = Symbol('INTERLOCK_SCANS');

export interface InterlockOptions {
  /** Evaluate at most this often, however many devices finish a scan (ms). */
  minIntervalMs: number;
  /** Evaluate at least this often even when no scan ticks (a stalled scanner must still age values and run delays) (ms). */
  backstopMs: number;
  /**
   * After boot, wait until every point the rules read has been scanned once, but at
   * most this long (ms): before its first scan a point reads as comm-fail, and
   * fail-safe rules must not trip on a controller that is merely starting.
   */
  warmUpMs: number;
  /** A command or relinquish the device did not take is tried again after this long (ms). */
  retryMs: number;
}
export const INTERLOCK_OPTIONS = Symbol('INTERLOCK_OPTIONS');

export const DEFAULT_INTERLOCK_OPTIONS: InterlockOptions = {
  minIntervalMs: 250,
  backstopMs: 1000,
  warmUpMs: 30_000,
  retryMs: 5000,
};
