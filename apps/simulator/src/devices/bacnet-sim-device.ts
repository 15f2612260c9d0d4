/**
 * A BACnet/IP device built from a profile. Commandable objects keep a real
 * 16-slot priority array with a relinquish default (ASHRAE 135 §19.2), held by
 * the BACnet facade's device half; this class maps profile points to objects
 * and records what was last written at which priority, so tests can check what
 * the hardware really received.
 */
import { BacnetDevice } from '#libs/bacnet';
import type { DeviceObjectDef, ObjectRef, ScheduleObjectDef } from '#libs/bacnet';
import type { PointDef, Profile, SiteDevice } from '#libs/profiles';
import type { SimDeviceState, SimFaults } from '#libs/contracts';
import { FaultState, initialValue, splitHostPort } from './sim-device.js';
import type { SimDevice } from './sim-device.js';

export class BacnetSimDevice implements SimDevice {
  readonly id: string;
  private readonly device: BacnetDevice;
  private readonly host: string;
  private port: number;
  private readonly refs = new Map<string, ObjectRef>();
  private readonly points = new Map<string, PointDef>();
  private readonly lastWrites = new Map<
    string,
    { value: number | null; priority: number | null; at: string }
  >();
  private readonly faultState: FaultState;

  constructor(
    readonly site: SiteDevice,
    readonly profile: Profile,
    scheduleObjects: ScheduleObjectDef[] = [],
  ) {
    this.id = site.id;
    const ep = site.bacnet;
    if (!ep) throw new Error(`device "${site.id}" has no bacnet endpoint`);
    const [host, port] = splitHostPort(ep.address);
    this.host = host;
    this.port = port;
    const objects: DeviceObjectDef[] = profile.points.map((p) => {
      const b = p.bacnet!;
      const ref: ObjectRef = { type: b.objectType, instance: b.instance };
      this.refs.set(p.id, ref);
      this.points.set(p.id, p);
      return {
        ...ref,
        name: p.name,
        description: p.description,
        units: p.unit,
        presentValue: initialValue(p),
        commandable: isCommandable(p),
        relinquishDefault: p.failSafe,
        stateTexts: p.states ? stateTexts(p.states) : undefined,
      };
    });
    this.device = new BacnetDevice({
      interface: host,
      port,
      broadcastAddress: `127.255.255.255:${port}`,
      deviceInstance: ep.deviceInstance,
      deviceName: site.name,
      vendorId: profile.bacnet?.vendorId,
      vendorName: profile.vendor,
      modelName: profile.model,
      maxApdu: profile.bacnet?.maxApdu,
      supportsRpm: profile.bacnet?.readPropertyMultiple ?? true,
      supportsCov: profile.bacnet?.cov ?? false,
      objects,
      scheduleObjects,
    });
    this.device.onWrite((ref, value, priority) => {
      const id = [...this.refs].find(([, r]) => r.type === ref.type && r.instance === ref.instance)?.[0];
      if (id) this.lastWrites.set(id, { value, priority: priority ?? null, at: new Date().toISOString() });
    });
    this.faultState = new FaultState(site.id, profile.points, 'bacnet');
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async start(): Promise<void> {
    const { port } = await this.device.start();
    this.port = port;
  }

  async close(): Promise<void> {
    await this.device.close();
  }

  read(pointId: string): number | undefined {
    const ref = this.refs.get(pointId);
    return ref ? this.device.getPresentValue(ref) : undefined;
  }

  setSensor(pointId: string, value: number): void {
    const ref = this.refs.get(pointId);
    const point = this.points.get(pointId);
    if (!ref || !point || point.access === 'write') return;
    this.device.setPresentValue(ref, this.faultState.sensorValue(point, value));
  }

  faults(): SimFaults {
    return this.faultState.get();
  }

  setFaults(faults: SimFaults): void {
    this.faultState.set(faults);
    this.device.setFault({ offline: faults.offline ?? false, delayMs: faults.delayMs ?? 0 });
    for (const [id, point] of this.points)
      if (point.access === 'read') this.setSensor(id, this.read(id) ?? 0);
  }

  state(): SimDeviceState {
    return {
      id: this.id,
      name: this.site.name,
      protocol: 'bacnet',
      address: `${this.address} device ${this.site.bacnet!.deviceInstance}`,
      faults: this.faultState.get(),
      points: this.profile.points.map((p) => {
        const s = this.device.getObjectState(this.refs.get(p.id)!);
        return {
          id: p.id,
          name: p.name,
          value: s.presentValue,
          writable: p.access === 'write',
          priorityArray: s.commandable
            ? s.priorityArray.flatMap((v, i) => (v === null ? [] : [{ priority: i + 1, value: v }]))
            : undefined,
          relinquishDefault: s.commandable ? s.relinquishDefault : undefined,
          lastWrite: p.access === 'write' ? (this.lastWrites.get(p.id) ?? null) : undefined,
        };
      }),
    };
  }
}

/** Outputs are commandable unless the profile says otherwise; values and inputs only when it says so. */
function isCommandable(p: PointDef): boolean {
  if (p.bacnet?.commandable !== undefined) return p.bacnet.commandable;
  return p.access === 'write' && p.bacnet!.objectType.endsWith('-output');
}

/** BACnet state texts are 1-based and contiguous (ASHRAE 135 §12.18.11). */
function stateTexts(states: Record<string, string>): string[] {
  const n = Math.max(...Object.keys(states).map(Number));
  return Array.from({ length: n }, (_, i) => states[String(i + 1)] ?? `state ${i + 1}`);
}
