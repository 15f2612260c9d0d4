/**
 * What each sensor of a device reads, given the building's state: one rule
 * per kind of sensor, recognized by Haystack tags. A sensor no rule knows
 * keeps its value (status codes, configuration words).
 */
import type { PointDef } from '#libs/profiles';
import type { SimDevice } from '../devices/sim-device.js';
import { clamp, findPoint, role } from './roles.js';

export interface SensorContext {
  now: Date;
  oat: number;
  returnTemp: number;
  occupied: boolean;
  fanOn: boolean;
  fanSpeed: number;
  supplyAirTemp: number;
  zoneTemp?: number;
  /** A device's own control loop outputs (fan coils), 0..1. */
  loop?: { heat: number; cool: number };
  waterTemp?: number;
  powerW: number;
  energyWh: number;
  noise: (amplitude: number) => number;
}

export const has = (p: PointDef, ...tags: string[]): boolean => tags.every((t) => p.tags.includes(t));

/** The writable point that a read-back or "effective" point reports on. */
function counterpart(d: SimDevice, p: PointDef): PointDef | undefined {
  const want = p.tags.filter((t) => t !== 'sensor' && t !== 'effective');
  return d.profile.points.find(
    (q) => q.access === 'write' && q.kind === p.kind && want.every((t) => q.tags.includes(t)),
  );
}

export function sensorValue(d: SimDevice, p: PointDef, c: SensorContext): number | undefined {
  const v = rawValue(d, p, c);
  if (v === undefined) return undefined;
  return p.kind === 'analog' ? v : Math.round(v);
}

function rawValue(d: SimDevice, p: PointDef, c: SensorContext): number | undefined {
  const n = c.noise;
  // Setpoints and modes in force follow what was commanded.
  if (has(p, 'effective') || (has(p, 'sensor') && (p.kind !== 'analog' || has(p, 'damper')))) {
    const cmd = counterpart(d, p);
    if (cmd) return d.read(cmd.id);
  }
  if (has(p, 'sp')) return undefined;
  const run = role(d, ['run', 'cmd'], ['return']).fraction(1);
  const speed = role(d, ['speed', 'cmd'], ['return']).fraction(0.7);
  const firing = (): number => {
    if (role(d, ['enable', 'cmd']).fraction(0) === 0 || c.waterTemp === undefined) return 0;
    const sp = role(d, ['water', 'temp', 'sp'], ['effective']).value(70);
    return clamp((sp + 2 - c.waterTemp) * 10, 5, 100);
  };

  if (has(p, 'temp')) {
    if (has(p, 'outside')) return c.oat + n(0.05);
    if (has(p, 'zone') && c.zoneTemp !== undefined) return c.zoneTemp + n(0.02);
    if (has(p, 'water') && c.waterTemp !== undefined) {
      // The temperature difference across the plant grows with its load.
      const chilled = findPoint(d, ['chilled']) !== undefined;
      const delta = chilled ? (role(d, ['enable', 'cmd']).fraction(0) > 0 ? 5 : 0) : -0.15 * firing();
      return (has(p, 'return') || has(p, 'entering') ? c.waterTemp + delta : c.waterTemp) + n(0.05);
    }
    if (has(p, 'flue')) return (c.waterTemp ?? 25) + firing() * 0.4 + n(0.2);
    if (has(p, 'preheat'))
      return mixed(d, c) + role(d, ['preheat', 'valve', 'cmd']).fraction(0) * 20 + n(0.05);
    if (has(p, 'air') && (has(p, 'discharge') || has(p, 'supply'))) {
      const reheat = c.zoneTemp !== undefined ? role(d, ['heating', 'valve', 'cmd']).fraction(0) * 15 : 0;
      return c.supplyAirTemp + reheat + n(0.05);
    }
    if (has(p, 'return', 'air')) return c.returnTemp + n(0.05);
    if (has(p, 'mixed', 'air')) return mixed(d, c) + n(0.05);
    return undefined;
  }
  if (has(p, 'elec')) {
    const watts = p.unit === 'kW' ? c.powerW / 1000 : c.powerW;
    if (has(p, 'energy'))
      return has(p, 'export') ? undefined : p.unit === 'Wh' ? c.energyWh : c.energyWh / 1000;
    if (has(p, 'apparent')) return (c.powerW / 0.95) * (1 + n(0.003));
    if (has(p, 'power')) return (has(p, 'phase') ? watts / 3 : watts) * (1 + n(0.003));
    if (has(p, 'current')) {
      if (has(p, 'motor')) return run > 0 ? 3 + 20 * speed ** 3 + n(0.05) : 0;
      return (c.powerW / (230 * 0.95)) * (has(p, 'phase') ? 1 / 3 : 1) * (1 + n(0.005));
    }
    if (has(p, 'volt')) return 230 + n(1.5);
    if (has(p, 'pf')) return 0.95 + n(0.01);
    if (has(p, 'freq')) return 50 + n(0.02);
    return undefined;
  }
  if (has(p, 'motor', 'freq')) return run * speed * 50;
  if (has(p, 'motor', 'speed')) return run * speed * 1480;
  if (has(p, 'speed', 'sensor') && p.kind === 'analog') return run * speed * 100;
  if (has(p, 'run', 'sensor') && has(p, 'heating')) return firing() > 0 ? 1 : 0;
  if (has(p, 'modulating')) return firing();
  if (has(p, 'flow', 'sensor')) return airflow(d, c) + (airflow(d, c) > 0 ? n(2) : 0);
  if (has(p, 'pressure', 'sensor')) {
    if (c.zoneTemp !== undefined) return 250 * (airflow(d, c) / 400) ** 2;
    return c.fanOn ? 50 + 450 * c.fanSpeed ** 2 + n(3) : 0;
  }
  if (has(p, 'loop', 'cooling') && c.zoneTemp !== undefined) {
    const sp = role(d, ['zone', 'air', 'temp', 'sp', 'cooling'], ['unocc']).value(24);
    return clamp((c.zoneTemp - sp) * 50, 0, 100);
  }
  if (has(p, 'valve') && c.loop)
    return (has(p, 'heating') ? c.loop.heat : has(p, 'cooling') ? c.loop.cool : 0) * 100;
  if (has(p, 'occ', 'sensor') && p.kind === 'binary') return c.occupied ? 1 : 0;
  if (has(p, 'freezeStat')) return c.supplyAirTemp < 3 ? 1 : 0;
  if (has(p, 'humidity')) return 45 + n(0.5);
  if (has(p, 'co2')) return 420 + (c.occupied ? 350 : 0) + n(10);
  if (has(p, 'illuminance')) return daylightLux(c.now) + n(5);
  if (has(p, 'light', 'sensor') && p.kind === 'analog') {
    const levels = d.profile.points.filter((q) => has(q, 'light', 'cmd') && q.kind === 'analog');
    return levels.length ? levels.reduce((s, q) => s + (d.read(q.id) ?? 0), 0) / levels.length : undefined;
  }
  return undefined;
}

function mixed(d: SimDevice, c: SensorContext): number {
  const oa = Math.max(0.1, role(d, ['outside', 'damper', 'cmd']).fraction(0.2));
  return oa * c.oat + (1 - oa) * c.returnTemp;
}

/** Airflow through a VAV box in L/s: its damper's share of a 400 L/s box while the air handler runs. */
function airflow(d: SimDevice, c: SensorContext): number {
  return c.fanOn ? role(d, ['damper', 'cmd']).fraction(0.3) * 400 : 0;
}

function daylightLux(now: Date): number {
  const h = now.getUTCHours() + now.getUTCMinutes() / 60;
  return Math.max(0, 800 * Math.sin((Math.PI * (h - 6)) / 12));
}
