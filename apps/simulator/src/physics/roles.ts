/**
 * Finds a device's points by Project Haystack marker tags, so the physics
 * works on any profile that tags its points, not on point ids of one vendor.
 */
import type { PointDef } from '#libs/profiles';
import type { SimDevice } from '../devices/sim-device.js';

/** The first point carrying every one of `tags` (and none of `without`). */
export function findPoint(device: SimDevice, tags: string[], without: string[] = []): PointDef | undefined {
  return device.profile.points.find(
    (p) => tags.every((t) => p.tags.includes(t)) && !without.some((t) => p.tags.includes(t)),
  );
}

export function findPoints(device: SimDevice, tags: string[], without: string[] = []): PointDef[] {
  return device.profile.points.filter(
    (p) => tags.every((t) => p.tags.includes(t)) && !without.some((t) => p.tags.includes(t)),
  );
}

/** A handle on one role of one device: read what the hardware does, write what it senses. */
export class Role {
  constructor(
    private readonly device: SimDevice,
    readonly point: PointDef | undefined,
  ) {}

  get present(): boolean {
    return this.point !== undefined;
  }

  /** The value in engineering units, or `fallback` when the device has no such point. */
  value(fallback: number): number {
    if (!this.point) return fallback;
    return this.device.read(this.point.id) ?? fallback;
  }

  /** A 0..1 fraction for percentage-like outputs, a 0/1 for binaries. */
  fraction(fallback: number): number {
    if (!this.point) return fallback;
    const v = this.value(fallback);
    if (this.point.kind === 'binary') return v ? 1 : 0;
    return this.point.unit === '%' ? clamp(v / 100, 0, 1) : clamp(v, 0, 1);
  }

  set(value: number): void {
    if (this.point) this.device.setSensor(this.point.id, value);
  }
}

export function role(device: SimDevice, tags: string[], without: string[] = []): Role {
  return new Role(device, findPoint(device, tags, without));
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
