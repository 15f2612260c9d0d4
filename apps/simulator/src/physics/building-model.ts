/**
 * A simple building, enough to keep values alive and to make them answer to
 * outputs: zones drift towards the outdoor temperature and respond to supply
 * air, dampers and reheat; the air handler mixes outdoor and return air and
 * heats or cools it; the meter's power follows fans, lights and compressors;
 * lighting power follows relays. Points are found by Haystack tags (roles.ts),
 * so any tagged profile takes part. Time is injected: `step(dtSeconds, now)`.
 */
import type { PointDef } from '#libs/profiles';
import type { SimDevice } from '../devices/sim-device.js';
import { clamp, findPoint, findPoints, role } from './roles.js';

const has = (p: PointDef, ...tags: string[]): boolean => tags.every((t) => p.tags.includes(t));
/** A meter that has run a few years: 12 MWh on the register. */
const INITIAL_ENERGY_WH = 1.2e7;
const isSensor = (p: PointDef): boolean => p.access === 'read';

interface ZoneState {
  temp: number;
}

export interface BuildingSnapshot {
  outdoorTemp: number;
  supplyAirTemp: number;
  fanOn: boolean;
  powerW: number;
}

export class BuildingModel {
  private readonly zones = new Map<string, ZoneState>();
  private readonly energyWh = new Map<string, number>();
  private readonly waterTemps = new Map<string, number>();
  private supplyAirTemp = 16;
  private powerW = 0;
  private rng: () => number;

  constructor(
    private readonly devices: readonly SimDevice[],
    seed = 42,
  ) {
    this.rng = mulberry32(seed);
    for (const d of devices) {
      const zone = findPoint(d, ['zone', 'air', 'temp', 'sensor']);
      if (zone) this.zones.set(d.id, { temp: 21 + (this.rng() - 0.5) });
    }
  }

  snapshot(now: Date): BuildingSnapshot {
    return {
      outdoorTemp: outdoorTemp(now),
      supplyAirTemp: this.supplyAirTemp,
      fanOn: this.ahuFan().on,
      powerW: this.powerW,
    };
  }

  /** Advances the model by dt seconds of building time and writes every sensor. */
  step(dt: number, now: Date): void {
    const oat = outdoorTemp(now);
    const occupied = isOccupied(now);
    const ahu = this.ahuFan();
    const returnTemp = this.averageZoneTemp();
    this.stepSupplyAir(dt, oat, returnTemp, ahu);
    for (const d of this.devices) this.stepZone(d, dt, oat, occupied, ahu.on);
    this.powerW = this.buildingPower();
    for (const d of this.devices) this.writeSensors(d, dt, now, oat, returnTemp, occupied, ahu);
  }

  /** The air handler: the device that has a fan command and a discharge (supply) air sensor. */
  private ahuFan(): { device?: SimDevice; on: boolean; speed: number } {
    const device = this.devices.find(
      (d) => findPoint(d, ['fan', 'cmd']) && findPoint(d, ['discharge', 'air', 'temp', 'sensor']) && !findPoint(d, ['zone']),
    );
    if (!device) return { on: true, speed: 0.6 };
    const run = role(device, ['fan', 'run', 'cmd']);
    const speed = role(device, ['fan', 'speed', 'cmd']);
    const on = run.present ? run.fraction(1) > 0 : speed.fraction(0.6) > 0;
    return { device, on, speed: on ? speed.fraction(0.6) : 0 };
  }

  private stepSupplyAir(dt: number, oat: number, returnTemp: number, ahu: { device?: SimDevice; on: boolean }): void {
    if (!ahu.device) return;
    const d = ahu.device;
    const oaDamper = role(d, ['outside', 'damper', 'cmd']).fraction(role(d, ['damper', 'cmd']).fraction(0.2));
    const heat = role(d, ['heating', 'valve', 'cmd']).fraction(0);
    const cool = role(d, ['cooling', 'valve', 'cmd']).fraction(0);
    const oaFrac = Math.max(0.1, oaDamper);
    const mixed = oaFrac * oat + (1 - oaFrac) * returnTemp;
    const target = ahu.on ? mixed + heat * 25 - cool * 15 : 18;
    this.supplyAirTemp = lag(this.supplyAirTemp, target, dt, 120);
  }

  private stepZone(d: SimDevice, dt: number, oat: number, occupied: boolean, fanOn: boolean): void {
    const zone = this.zones.get(d.id);
    if (!zone) return;
    const damper = role(d, ['damper', 'cmd']);
    const reheat = role(d, ['heating', 'valve', 'cmd']).fraction(0);
    const cool = role(d, ['cooling', 'valve', 'cmd']).fraction(0);
    const fanCoil = !damper.present;
    let airflow: number;
    let supply: number;
    if (fanCoil) {
      // A fan-coil unit makes its own supply air from room air.
      const fan = role(d, ['fan', 'cmd']).fraction(1);
      airflow = fan > 0 ? 0.6 : 0;
      supply = zone.temp + reheat * 20 - cool * 12;
    } else {
      airflow = fanOn ? damper.fraction(0.3) : 0;
      supply = this.supplyAirTemp + reheat * 15;
    }
    const envelope = (oat - zone.temp) / 14400;
    const gains = occupied ? 0.6 / 3600 : 0.1 / 3600;
    const air = (airflow * (supply - zone.temp)) / 900;
    zone.temp = clamp(zone.temp + dt * (envelope + gains + air), -10, 45);
  }

  private averageZoneTemp(): number {
    const temps = [...this.zones.values()].map((z) => z.temp);
    return temps.length ? temps.reduce((a, b) => a + b, 0) / temps.length : 21;
  }

  /** Whole-building electrical demand in watts. */
  private buildingPower(): number {
    let w = 6000; // plug loads, IT, lifts on standby
    for (const d of this.devices) {
      w += this.devicePower(d);
    }
    return w;
  }

  private devicePower(d: SimDevice): number {
    let w = 0;
    for (const p of findPoints(d, ['fan', 'cmd'])) {
      if (has(p, 'speed')) continue;
      const on = (d.read(p.id) ?? 0) > 0;
      const speed = role(d, ['fan', 'speed', 'cmd']).fraction(0.7);
      w += on ? 11000 * speed ** 3 + 300 : 0;
    }
    const run = role(d, ['run', 'cmd'], ['fan']);
    if (run.present && run.fraction(0) > 0) w += 7500 * role(d, ['speed', 'cmd']).fraction(0.7) ** 3;
    for (const p of d.profile.points.filter((p) => (has(p, 'light') || has(p, 'lights')) && has(p, 'cmd'))) {
      if (p.kind === 'binary' && (d.read(p.id) ?? 0) > 0) w += 1200;
    }
    const enable = role(d, ['enable', 'cmd']);
    if (enable.present && enable.fraction(0) > 0) w += has(enable.point!, 'chiller') || findPoint(d, ['chiller']) ? 35000 : 400;
    return w;
  }

  private writeSensors(
    d: SimDevice,
    dt: number,
    now: Date,
    oat: number,
    returnTemp: number,
    occupied: boolean,
    ahu: { device?: SimDevice; on: boolean; speed: number },
  ): void {
    const zone = this.zones.get(d.id);
    const devicePowerW = this.devicePower(d);
    const isMeter = d.profile.points.some((p) => has(p, 'energy')) && !d.profile.points.some((p) => has(p, 'cmd'));
    const powerW = isMeter ? this.powerW : devicePowerW;
    for (const p of d.profile.points.filter(isSensor)) {
      const v = this.sensorValue(d, p, { dt, now, oat, returnTemp, occupied, ahu, zone, powerW });
      if (v !== undefined) d.setSensor(p.id, roundTo(v, p));
    }
  }

  private sensorValue(
    d: SimDevice,
    p: PointDef,
    c: {
      dt: number;
      now: Date;
      oat: number;
      returnTemp: number;
      occupied: boolean;
      ahu: { on: boolean; speed: number };
      zone?: ZoneState;
      powerW: number;
    },
  ): number | undefined {
    const noise = (amp: number): number => (this.rng() - 0.5) * 2 * amp;
    const watts = (w: number): number => (p.unit === 'kW' ? w / 1000 : w);
    if (has(p, 'outside', 'temp')) return c.oat + noise(0.05);
    if (has(p, 'zone', 'temp') && c.zone) return c.zone.temp + noise(0.02);
    if (has(p, 'air', 'temp') && (has(p, 'discharge') || has(p, 'supply'))) {
      const reheat = role(d, ['heating', 'valve', 'cmd']).fraction(0);
      return (c.zone ? this.supplyAirTemp + reheat * 15 : this.supplyAirTemp) + noise(0.05);
    }
    if (has(p, 'return', 'air', 'temp')) return c.returnTemp + noise(0.05);
    if (has(p, 'mixed', 'air', 'temp')) {
      const oa = Math.max(0.1, role(d, ['outside', 'damper', 'cmd']).fraction(0.2));
      return oa * c.oat + (1 - oa) * c.returnTemp + noise(0.05);
    }
    if (has(p, 'water', 'temp')) return this.waterTemp(d, p, c.dt);
    if (has(p, 'energy')) {
      const wh = (this.energyWh.get(d.id + p.id) ?? INITIAL_ENERGY_WH) + (c.powerW * c.dt) / 3600;
      this.energyWh.set(d.id + p.id, wh);
      return p.unit === 'Wh' ? wh : wh / 1000;
    }
    if (has(p, 'power') && p.kind === 'analog') return watts(c.powerW * (1 + noise(0.005)));
    if (has(p, 'current') && p.kind === 'analog') return (c.powerW / (3 * 230 * 0.95)) * (1 + noise(0.01));
    if (has(p, 'volt') && p.kind === 'analog') return (p.tags.includes('line') ? 400 : 230) + noise(1.5);
    if (has(p, 'freq') && p.kind === 'analog') {
      const run = role(d, ['run', 'cmd']).fraction(1);
      const speed = role(d, ['speed', 'cmd']);
      return speed.present ? run * speed.fraction(0.7) * 50 : 50 + noise(0.02);
    }
    if (has(p, 'speed') && p.kind === 'analog')
      return role(d, ['run', 'cmd']).fraction(1) * role(d, ['speed', 'cmd']).fraction(0.7) * 1480;
    if (has(p, 'damper') && p.kind === 'analog') return role(d, ['damper', 'cmd']).value(0);
    if (has(p, 'flow') && p.kind === 'analog')
      return c.ahu.on ? role(d, ['damper', 'cmd']).fraction(0.3) * 400 + noise(2) : 0;
    if (has(p, 'pressure') && p.kind === 'analog') return c.ahu.on ? 50 + 450 * c.ahu.speed ** 2 + noise(3) : 0;
    if (has(p, 'occ') || has(p, 'occupied')) return p.kind === 'binary' ? (c.occupied ? 1 : 0) : undefined;
    if ((has(p, 'fan') || has(p, 'run')) && p.kind === 'binary')
      return role(d, ['fan', 'run', 'cmd']).present ? role(d, ['fan', 'run', 'cmd']).fraction(1) : 1;
    if (has(p, 'co2')) return 420 + (c.occupied ? 350 : 0) + noise(10);
    if (has(p, 'humidity')) return 45 + noise(0.5);
    if (has(p, 'illuminance')) return daylightLux(c.now) + noise(5);
    return undefined;
  }

  private waterTemp(d: SimDevice, p: PointDef, dt: number): number {
    const chiller = findPoint(d, ['chiller']) !== undefined || findPoint(d, ['chilled']) !== undefined;
    const enabled = role(d, ['enable', 'cmd']).fraction(1) > 0;
    const sp = role(d, ['water', 'temp', 'sp']).value(chiller ? 7 : 70);
    const idle = chiller ? 16 : 25;
    const leavingKey = d.id + ':leaving';
    const leaving = lag(this.waterTemps.get(leavingKey) ?? idle, enabled ? sp : idle, dt, 300);
    this.waterTemps.set(leavingKey, leaving);
    const delta = enabled ? (chiller ? 5 : -15) : 0;
    const entering = has(p, 'return') || has(p, 'entering');
    return entering ? leaving + delta : leaving;
  }
}

function lag(current: number, target: number, dt: number, tau: number): number {
  return current + (target - current) * (1 - Math.exp(-dt / tau));
}

/** A mild day: 8 °C at 05:00, 16 °C at 15:00. */
export function outdoorTemp(now: Date): number {
  const h = now.getUTCHours() + now.getUTCMinutes() / 60;
  return 12 + 4 * Math.sin((2 * Math.PI * (h - 9)) / 24);
}

function isOccupied(now: Date): boolean {
  const h = now.getUTCHours();
  const day = now.getUTCDay();
  return day >= 1 && day <= 5 && h >= 6 && h < 18;
}

function daylightLux(now: Date): number {
  const h = now.getUTCHours() + now.getUTCMinutes() / 60;
  return Math.max(0, 800 * Math.sin((Math.PI * (h - 6)) / 12));
}


/** Keep values to the resolution the device's encoding can show. */
function roundTo(v: number, p: PointDef): number {
  if (p.kind !== 'analog') return Math.round(v);
  const scale = p.scale ?? 1;
  const intType = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'].includes(p.dataType);
  return intType ? Math.round((v - (p.offset ?? 0)) / scale) * scale + (p.offset ?? 0) : Math.round(v * 1000) / 1000;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
