/**
 * The live value of every point of the site, with its quality and time. The
 * scanner writes it; the API reads it. `stale` is derived at read time: a
 * polled value that has not been refreshed for three of its poll intervals is
 * stale even if no read has failed (a scan that overruns, a stuck loop). A
 * value pushed by COV changes only when the point does, so it is not aged
 * while its subscription holds. A point that could not be read keeps its last
 * value, flagged comm-fail, with the named error that flagged it.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { LoadedSite, PointDef, SiteDevice } from '#libs/profiles';
import type { PointDto, PointQuality } from '#libs/contracts';
import { pointIntervalMs } from '#libs/fieldbus';
import type { FieldbusErrorInfo } from '#libs/fieldbus';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { SITE } from '../common/tokens.js';

export const STALE_AFTER_INTERVALS = 3;

interface LiveValue {
  device: SiteDevice;
  point: PointDef;
  value: number | null;
  /** The quality last reported by the scan (never `stale`, which is derived). */
  quality: Exclude<PointQuality, 'stale'>;
  updatedAt: number | null;
  /** Why the point is comm-fail, as the driver named it; null while good. */
  error: FieldbusErrorInfo | null;
  /** Pushed by COV rather than polled. */
  pushed: boolean;
  intervalMs: number;
}

/** A point's live value as scan-rate readers need it: no DTO, no date string. */
export interface RawLiveValue {
  value: number | null;
  /** As in the DTO: `stale` derived at read time. */
  quality: PointQuality;
  /** Epoch ms of the last good read, null before the first. */
  at: number | null;
}

/** Globally unique point id: point ids are unique within a device, device ids within a site. */
export function pointKey(deviceId: string, pointId: string): string {
  return `${deviceId}.${pointId}`;
}

@Injectable()
export class LiveValues {
  private readonly values = new Map<string, LiveValue>();

  constructor(
    @Inject(SITE) site: LoadedSite,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    for (const device of site.devices)
      for (const point of site.profiles[device.profile].points)
        this.values.set(pointKey(device.id, point.id), {
          device,
          point,
          value: null,
          quality: 'comm-fail',
          updatedAt: null,
          error: null,
          pushed: false,
          intervalMs: pointIntervalMs(device, point.id),
        });
  }

  update(deviceId: string, pointId: string, value: number, at: number): void {
    const v = this.values.get(pointKey(deviceId, pointId));
    if (!v) return;
    v.value = value;
    v.quality = 'good';
    v.updatedAt = at;
    v.error = null;
  }

  /** The device did not answer for this point: keep the last value (people want to see it) but flag it. */
  fail(deviceId: string, pointId: string, error?: FieldbusErrorInfo): void {
    const v = this.values.get(pointKey(deviceId, pointId));
    if (!v) return;
    v.quality = 'comm-fail';
    v.error = error ?? null;
  }

  setPushed(deviceId: string, pointId: string, pushed: boolean): void {
    const v = this.values.get(pointKey(deviceId, pointId));
    if (v) v.pushed = pushed;
  }

  /** The named error behind a comm-fail point, null when good. */
  error(key: string): FieldbusErrorInfo | null {
    return this.values.get(key)?.error ?? null;
  }

  quality(key: string): PointQuality | undefined {
    const v = this.values.get(key);
    return v && this.effectiveQuality(v);
  }

  list(filter?: { deviceId?: string }): PointDto[] {
    const out: PointDto[] = [];
    for (const [key, v] of this.values) {
      if (filter?.deviceId && v.device.id !== filter.deviceId) continue;
      out.push(this.toDto(key, v));
    }
    return out;
  }

  get(key: string): PointDto | undefined {
    const v = this.values.get(key);
    return v && this.toDto(key, v);
  }

  /** Value, quality and time only, for readers that run on every scan (limit alarms): get() builds a whole PointDto. */
  raw(key: string): RawLiveValue | undefined {
    const v = this.values.get(key);
    return v && { value: v.value, quality: this.effectiveQuality(v), at: v.updatedAt };
  }

  private effectiveQuality(v: LiveValue): PointQuality {
    if (v.quality === 'good' && v.updatedAt !== null && !v.pushed) {
      const age = this.clock.now() - v.updatedAt;
      if (age > STALE_AFTER_INTERVALS * v.intervalMs) return 'stale';
    }
    return v.quality;
  }

  private toDto(key: string, v: LiveValue): PointDto {
    const stateText = v.point.states && v.value !== null ? v.point.states[String(v.value)] : undefined;
    return {
      id: key,
      name: v.point.name,
      deviceId: v.device.id,
      kind: v.point.kind,
      unit: v.point.unit,
      value: v.value,
      ...(stateText !== undefined ? { stateText } : {}),
      quality: this.effectiveQuality(v),
      ...(v.quality === 'comm-fail' && v.error
        ? { error: { code: v.error.code, message: v.error.message } }
        : {}),
      updatedAt: v.updatedAt === null ? null : new Date(v.updatedAt).toISOString(),
      writable: v.point.access === 'write',
    };
  }
}
