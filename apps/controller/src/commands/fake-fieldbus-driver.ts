/**
 * FakeFieldbusDriver: a fake device behind the driver port, for the command
 * service's unit tests. BACnet flavour keeps a 16-slot priority array and
 * arbitrates like a commandable object (ASHRAE 135 §19.2); Modbus flavour just
 * holds the last value. Named failure modes: `failWrites` (every write and
 * relinquish is refused with a device error), `writeGate` (writes wait for it:
 * a slow device), and `setBehindTheBack` (the hardware changes
 * without the controller, as after a power cycle).
 */
import { FieldbusError } from '#libs/fieldbus';
import type {
  DeviceContext,
  FieldbusDriver,
  PointReadOutcome,
  PriorityArraySnapshot,
  SelfTestReport,
  WriteRequest,
} from '#libs/fieldbus';
import type { PointDef, Protocol } from '#libs/profiles';

export class FakeFieldbusDriver implements FieldbusDriver {
  readonly calls: Array<{ op: 'write' | 'relinquish'; point: string; value?: number; priority?: number }> =
    [];
  failWrites = false;
  /** While set, every write waits for it first (a slow device: a command still in flight). */
  writeGate: Promise<void> | undefined;
  private readonly values = new Map<string, number>();
  private readonly arrays = new Map<string, (number | null)[]>();

  constructor(
    readonly protocol: Protocol,
    private readonly relinquishDefaults: Record<string, number> = {},
  ) {}

  /** The hardware's true value (BACnet: the winner of its array, or its relinquish default). */
  value(pointId: string): number | undefined {
    const slots = this.arrays.get(pointId);
    if (this.protocol === 'bacnet') {
      const win = slots?.find((s) => s !== null);
      return win ?? this.relinquishDefaults[pointId];
    }
    return this.values.get(pointId);
  }

  slots(pointId: string): (number | null)[] {
    return this.arrays.get(pointId) ?? new Array<number | null>(16).fill(null);
  }

  setBehindTheBack(pointId: string, value: number): void {
    if (this.protocol === 'bacnet') this.arrays.set(pointId, new Array<number | null>(16).fill(null));
    this.values.set(pointId, value);
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  readMany(_d: DeviceContext, points: readonly PointDef[]): Promise<PointReadOutcome[]> {
    return Promise.resolve(
      points.map((p) => {
        const value = this.value(p.id);
        return value === undefined
          ? { pointId: p.id, error: { code: 'bad-response', message: 'no value yet' } }
          : { pointId: p.id, value };
      }),
    );
  }

  write(d: DeviceContext, req: WriteRequest): Promise<void> {
    const gate = this.writeGate;
    return gate ? gate.then(() => this.writeNow(d, req)) : this.writeNow(d, req);
  }

  private writeNow(_d: DeviceContext, req: WriteRequest): Promise<void> {
    this.calls.push({ op: 'write', point: req.point.id, value: req.value, priority: req.priority });
    if (this.failWrites)
      return Promise.reject(new FieldbusError('bacnet-error:property/write-access-denied', 'refused (fake)'));
    if (this.protocol === 'bacnet') {
      const slots = this.slots(req.point.id).slice();
      slots[(req.priority ?? 16) - 1] = req.value;
      this.arrays.set(req.point.id, slots);
    } else this.values.set(req.point.id, req.value);
    return Promise.resolve();
  }

  relinquish(_d: DeviceContext, point: PointDef, priority: number): Promise<void> {
    this.calls.push({ op: 'relinquish', point: point.id, priority });
    if (this.failWrites)
      return Promise.reject(new FieldbusError('bacnet-error:property/write-access-denied', 'refused (fake)'));
    if (this.protocol !== 'bacnet') return Promise.reject(new FieldbusError('not-supported', 'modbus'));
    const slots = this.slots(point.id).slice();
    slots[priority - 1] = null;
    this.arrays.set(point.id, slots);
    return Promise.resolve();
  }

  readPriorityArray(_d: DeviceContext, point: PointDef): Promise<PriorityArraySnapshot | null> {
    if (this.protocol !== 'bacnet') return Promise.resolve(null);
    const slots = this.slots(point.id);
    const idx = slots.findIndex((s) => s !== null);
    return Promise.resolve({
      slots,
      relinquishDefault: this.relinquishDefaults[point.id] ?? null,
      currentCommandPriority: idx < 0 ? null : idx + 1,
    });
  }

  subscribe(): Promise<Set<string>> {
    return Promise.resolve(new Set());
  }

  selfTest(device: DeviceContext): Promise<SelfTestReport> {
    return Promise.resolve({ deviceId: device.site.id, ok: true, checks: [] });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
