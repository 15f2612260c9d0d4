/**
 * The virtual building: one simulated device per site entry, a physics model
 * stepping on a timer, and the control API that exposes the hardware's true
 * state and takes fault injections.
 */
import type { ScheduleObjectDef } from '#libs/bacnet';
import type { LoadedSite, SiteDevice } from '#libs/profiles';
import type { SimDeviceState } from '#libs/contracts';
import { BacnetSimDevice } from './devices/bacnet-sim-device.js';
import { ModbusSimDevice } from './devices/modbus-sim-device.js';
import { checkScheduleHosts } from './devices/schedule-objects.js';
import { splitHostPort } from './devices/sim-device.js';
import type { SimDevice } from './devices/sim-device.js';
import { BuildingModel } from './physics/building-model.js';
import { ControlApi } from './control/control-api.js';

export interface SimulatorOptions {
  site: LoadedSite;
  /** Control API address; port 0 picks a free one; null disables it. */
  control?: { host: string; port: number } | null;
  /** Physics step period in ms (default 1000). */
  tickMs?: number;
  /** Simulated seconds per real second (default 1): a demo may run time faster. */
  timeScale?: number;
  now?: () => Date;
  /** Schedule and Calendar objects hosted by BACnet devices, by device id (devices/schedule-objects.ts). */
  scheduleObjects?: ReadonlyMap<string, ScheduleObjectDef[]>;
}

export class Simulator {
  private timer?: NodeJS.Timeout;
  private api?: ControlApi;
  private controlAddress?: string;

  private constructor(
    readonly devices: SimDevice[],
    private readonly model: BuildingModel,
    private readonly site: LoadedSite,
    private readonly opts: SimulatorOptions,
  ) {}

  static async start(opts: SimulatorOptions): Promise<Simulator> {
    const hosted = opts.scheduleObjects ?? new Map<string, ScheduleObjectDef[]>();
    checkScheduleHosts(opts.site, hosted.keys());
    const devices = opts.site.devices.map((d) => createDevice(d, opts.site, hosted.get(d.id)));
    const started: SimDevice[] = [];
    try {
      for (const d of devices) {
        await d.start();
        started.push(d);
      }
    } catch (err) {
      await Promise.allSettled(started.map((d) => d.close()));
      throw err;
    }
    const sim = new Simulator(devices, new BuildingModel(devices), opts.site, opts);
    const now = opts.now ?? (() => new Date());
    sim.model.step(0, now());
    const tickMs = opts.tickMs ?? 1000;
    sim.timer = setInterval(() => sim.model.step((tickMs / 1000) * (opts.timeScale ?? 1), now()), tickMs);
    sim.timer.unref();
    if (opts.control !== null) {
      const c = opts.control ?? { host: '127.0.0.1', port: 8070 };
      sim.api = new ControlApi(sim);
      sim.controlAddress = await sim.api.listen(c.host, c.port);
    }
    return sim;
  }

  /** The control API's base URL, e.g. http://127.0.0.1:8070 */
  get controlUrl(): string | undefined {
    return this.controlAddress;
  }

  device(id: string): SimDevice | undefined {
    return this.devices.find((d) => d.id === id);
  }

  states(): SimDeviceState[] {
    return this.devices.map((d) => d.state());
  }

  /**
   * The site as the devices are really reachable: ports the simulator picked
   * (port 0 in the site) are filled in, so a controller can be pointed at it.
   */
  resolvedSite(): LoadedSite {
    return {
      ...this.site,
      devices: this.site.devices.map((d) => {
        const dev = this.device(d.id)!;
        const [host, port] = splitHostPort(dev.address);
        if (d.modbus?.transport === 'tcp') return { ...d, modbus: { ...d.modbus, host, port } };
        if (d.bacnet) return { ...d, bacnet: { ...d.bacnet, address: `${host}:${port}` } };
        return d;
      }),
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.api?.close();
    await Promise.allSettled(this.devices.map((d) => d.close()));
  }
}

function createDevice(d: SiteDevice, site: LoadedSite, scheduleObjects?: ScheduleObjectDef[]): SimDevice {
  const profile = site.profiles[d.profile];
  switch (profile.protocol) {
    case 'modbus':
      return new ModbusSimDevice(d, profile);
    case 'bacnet':
      return new BacnetSimDevice(d, profile, scheduleObjects);
  }
}
