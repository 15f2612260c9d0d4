/**
 * A simple building, enough to keep values alive and to make them answer to
 * outputs: zones drift towards the outdoor temperature and respond to supply
 * air, dampers and reheat; the air handler mixes outdoor and return air and
 * heats or cools it; the boiler's water follows its setpoint when enabled;
 * the meter's power follows fans, lights and the plant; lighting power
 * follows relays and dimming levels. Points are found by Haystack tags
 * (roles.ts), so any tagged profile takes part. Time is injected:
 * `step(dtSeconds, now)`.
 */
import type { SimDevice } from '../devices/sim-device.js';
import { clamp, findPoint, role } from './roles.js';
import { has, sensorValue } from './sensors.js';
import type { SensorContext } from './sensors.js';

/** A meter that has run a few years: 12 MWh on the register. */
const INITIAL_ENERGY_WH = 1.2e7;
const BASE_LOAD_W = 6000; // plug loads, IT, lifts on standby

export class BuildingModel {
  private readonly zoneTemps = new Map<string, number>();
  private readonly loops = new Map<string, { heat: number; cool: number }>();
  private readonly waterTemps = new Map<string, number>();
  private energyWh = INITIAL_ENERGY_WH;
  private supplyAirTemp = 16;
  private readonly rng: () => number;

  constructor(
    private readonly devices: readonly SimDevice[],
    seed = 42,
  ) {
    this.rng = mulberry32(seed);
    for (const d of devices)
      if (findPoint(d, ['zone', 'air', 'temp', 'sensor'])) this.zoneTemps.set(d.id, 21 + (this.rng() - 0.5));
  }

  /** Advances the model by dt seconds of building time and writes every sensor. */
  step(dt: number, now: Date): void {
    const oat = outdoorTemp(now);
    const occupied = isOccupied(now);
    const ahu = this.airHandler();
    const returnTemp = this.averageZoneTemp();
    if (ahu.device) this.stepSupplyAir(ahu.device, dt, oat, returnTemp, ahu.on);
    for (const d of this.devices) this.stepZone(d, dt, oat, occupied, ahu.on);
    for (const d of this.devices) this.stepPlant(d, dt);
    const buildingW = BASE_LOAD_W + this.devices.reduce((w, d) => w + devicePower(d), 0);
    this.energyWh += (buildingW * dt) / 3600;
    for (const d of this.devices) {
      const ctx: SensorContext = {
        now,
        oat,
        returnTemp,
        occupied,
        fanOn: ahu.on,
        fanSpeed: ahu.speed,
        supplyAirTemp: this.supplyAirTemp,
        zoneTemp: this.zoneTemps.get(d.id),
        loop: this.loops.get(d.id),
        waterTemp: this.waterTemps.get(d.id),
        // A device with an energy register and no outputs is a meter: it sees the whole building.
        powerW: isMeter(d) ? buildingW : devicePower(d),
        energyWh: this.energyWh,
        noise: (amp) => (this.rng() - 0.5) * 2 * amp,
      };
      for (const p of d.profile.points) {
        if (p.access !== 'read') continue;
        const v = sensorValue(d, p, ctx);
        if (v !== undefined) d.setSensor(p.id, v);
      }
    }
  }

  /** The air handler: the device with a fan command and a discharge air sensor that serves no zone itself. */
  private airHandler(): { device?: SimDevice; on: boolean; speed: number } {
    const device = this.devices.find(
      (d) =>
        findPoint(d, ['fan', 'run', 'cmd']) &&
        findPoint(d, ['discharge', 'air', 'temp', 'sensor']) &&
        !this.zoneTemps.has(d.id),
    );
    if (!device) return { on: true, speed: 0.6 };
    const on = role(device, ['fan', 'run', 'cmd'], ['return']).fraction(1) > 0;
    return { device, on, speed: on ? role(device, ['fan', 'speed', 'cmd'], ['return']).fraction(0.6) : 0 };
  }

  private stepSupplyAir(d: SimDevice, dt: number, oat: number, returnTemp: number, fanOn: boolean): void {
    const oaFrac = Math.max(0.1, role(d, ['outside', 'damper', 'cmd']).fraction(0.2));
    const heat = role(d, ['heating', 'valve', 'cmd'], ['preheat']).fraction(0);
    const preheat = role(d, ['preheat', 'valve', 'cmd']).fraction(0);
    const cool = role(d, ['cooling', 'valve', 'cmd']).fraction(0);
    const mixed = oaFrac * oat + (1 - oaFrac) * returnTemp;
    const target = fanOn ? mixed + (heat + preheat) * 20 - cool * 15 : 18;
    this.supplyAirTemp = lag(this.supplyAirTemp, target, dt, 120);
  }

  private stepZone(d: SimDevice, dt: number, oat: number, occupied: boolean, fanOn: boolean): void {
    const temp = this.zoneTemps.get(d.id);
    if (temp === undefined) return;
    const damper = role(d, ['damper', 'cmd']);
    let airflow: number;
    let supply: number;
    if (damper.present) {
      // A VAV box: air from the air handler, reheated at the box.
      airflow = fanOn ? damper.fraction(0.3) : 0;
      supply = this.supplyAirTemp + role(d, ['heating', 'valve', 'cmd']).fraction(0) * 15;
    } else {
      // A fan-coil unit: its own proportional loop on the room setpoint drives its valves.
      const sp = role(d, ['zone', 'air', 'temp', 'sp']).value(21);
      const loop = { heat: clamp((sp - 0.5 - temp) * 0.5, 0, 1), cool: clamp((temp - sp - 0.5) * 0.5, 0, 1) };
      this.loops.set(d.id, loop);
      airflow = role(d, ['fan', 'speed', 'cmd']).value(1) > 0 ? 0.6 : 0;
      supply = temp + loop.heat * 20 - loop.cool * 12;
    }
    const envelope = (oat - temp) / 14400;
    const gains = occupied ? 0.6 / 3600 : 0.1 / 3600;
    const air = (airflow * (supply - temp)) / 900;
    this.zoneTemps.set(d.id, clamp(temp + dt * (envelope + gains + air), -10, 45));
  }

  /** Boilers and chillers: leaving water follows the setpoint while enabled. */
  private stepPlant(d: SimDevice, dt: number): void {
    const enable = role(d, ['enable', 'cmd']);
    if (!enable.present || !findPoint(d, ['water', 'temp', 'sensor'])) return;
    const chiller = findPoint(d, ['chilled']) !== undefined;
    const sp = role(d, ['water', 'temp', 'sp'], ['effective']).value(chiller ? 7 : 70);
    const idle = chiller ? 16 : 25;
    const current = this.waterTemps.get(d.id) ?? idle;
    this.waterTemps.set(d.id, lag(current, enable.fraction(0) > 0 ? sp : idle, dt, 300));
  }

  private averageZoneTemp(): number {
    const temps = [...this.zoneTemps.values()];
    return temps.length ? temps.reduce((a, b) => a + b, 0) / temps.length : 21;
  }
}

/** Electrical demand of one device's outputs, in watts. */
export function devicePower(d: SimDevice): number {
  let w = 0;
  for (const p of d.profile.points) {
    if (p.access !== 'write') continue;
    const v = d.read(p.id) ?? 0;
    if (has(p, 'fan', 'run', 'cmd') && v > 0) {
      const speed = role(d, ['fan', 'speed', 'cmd', ...p.tags.filter((t) => t === 'return')]).fraction(0.7);
      w += 300 + 11000 * speed ** 3;
    } else if ((has(p, 'light') || has(p, 'lights')) && has(p, 'cmd') && !has(p, 'scene')) {
      w += p.kind === 'binary' ? (v > 0 ? 1200 : 0) : (clamp(v, 0, 100) / 100) * 1500;
    } else if (has(p, 'enable', 'cmd') && v > 0) {
      w += findPoint(d, ['chilled']) ? 35000 : 400; // a chiller's compressors, or a boiler's fan and controls
    }
  }
  return w;
}

function isMeter(d: SimDevice): boolean {
  return (
    d.profile.points.some((p) => has(p, 'energy')) && !d.profile.points.some((p) => p.access === 'write')
  );
}

function lag(current: number, target: number, dt: number, tau: number): number {
  return current + (target - current) * (1 - Math.exp(-dt / tau));
}

/** A mild day: 8 °C before dawn, 16 °C mid-afternoon (UTC hours; the simulator needs no zone). */
export function outdoorTemp(now: Date): number {
  const h = now.getUTCHours() + now.getUTCMinutes() / 60;
  return 12 + 4 * Math.sin((2 * Math.PI * (h - 9)) / 24);
}

function isOccupied(now: Date): boolean {
  const h = now.getUTCHours();
  const day = now.getUTCDay();
  return day >= 1 && day <= 5 && h >= 6 && h < 18;
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
