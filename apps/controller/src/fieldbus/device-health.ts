/**
 * A device's state as people see it (/health, the log): one log line per
 * change of state, never one per poll. The device is comm-fail when it did
 * not answer (or refused every point it was asked for), ok otherwise; points
 * it refuses while answering get their own line when the set of refusals
 * changes, and another when they read again.
 */
import type { DeviceHealthDto } from '#libs/contracts';
import type { FieldbusErrorInfo, PointReadOutcome } from '#libs/fieldbus';

/** The part of pino's Logger the scanner uses. */
export interface ScanLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const describeError = (e: FieldbusErrorInfo): string => `${e.code}: ${e.message}`;

export class DeviceHealth {
  state: DeviceHealthDto['state'] = 'starting';
  lastError: string | null = null;
  lastScanAt: number | null = null;
  /** Point id -> code of the refusal currently logged for it. */
  private readonly refusals = new Map<string, string>();

  constructor(
    readonly deviceId: string,
    private readonly log: ScanLogger,
  ) {}

  /** The device answered (at least one point read, or nothing was asked). */
  answered(outcomes: readonly PointReadOutcome[]): void {
    const refused = outcomes.filter((o) => o.error !== undefined);
    this.move(
      'ok',
      refused.length ? `${refused.length} point(s) refused: ${describeError(refused[0].error!)}` : null,
    );
    this.pointChanges(outcomes);
  }

  /** The device did not answer, or refused everything it was asked. */
  failed(error: FieldbusErrorInfo): void {
    this.move('comm-fail', describeError(error));
  }

  private move(state: 'ok' | 'comm-fail', error: string | null): void {
    const from = this.state;
    this.state = state;
    this.lastError = error;
    if (state === from) return;
    const device = this.deviceId;
    if (state === 'comm-fail') this.log.warn({ device, from, error }, `device ${device} comm-fail: ${error}`);
    else if (from !== 'starting') this.log.info({ device, from }, `device ${device} back to ok`);
    else this.log.info({ device }, `device ${device} ok`);
  }

  private pointChanges(outcomes: readonly PointReadOutcome[]): void {
    const newly = new Map<string, { error: FieldbusErrorInfo; points: string[] }>();
    const cleared: string[] = [];
    for (const o of outcomes) {
      const before = this.refusals.get(o.pointId);
      if (o.error) {
        if (before === o.error.code) continue;
        this.refusals.set(o.pointId, o.error.code);
        const entry = newly.get(o.error.code) ?? { error: o.error, points: [] };
        entry.points.push(o.pointId);
        newly.set(o.error.code, entry);
      } else if (before !== undefined) {
        this.refusals.delete(o.pointId);
        cleared.push(o.pointId);
      }
    }
    const device = this.deviceId;
    for (const { error, points } of newly.values())
      this.log.warn(
        { device, points, code: error.code },
        `device ${device}: point(s) ${points.join(', ')} refused: ${describeError(error)}`,
      );
    if (cleared.length)
      this.log.info(
        { device, points: cleared },
        `device ${device}: point(s) ${cleared.join(', ')} readable again`,
      );
  }

  dto(protocol: DeviceHealthDto['protocol']): DeviceHealthDto {
    return {
      id: this.deviceId,
      protocol,
      state: this.state,
      lastError: this.lastError,
      lastScanAt: this.lastScanAt === null ? null : new Date(this.lastScanAt).toISOString(),
    };
  }
}
