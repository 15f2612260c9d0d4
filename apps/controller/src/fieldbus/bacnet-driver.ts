/**
 * BACnet/IP adapter of the driver port (libs/fieldbus driver-port.ts), over
 * one BacnetClient (libs/bacnet) for every device of the controller.
 *
 * - Every request goes through its device's scheduler (bacnet-link.ts):
 *   reads are 'poll' (or 'write' for a write's read-back), writes and
 *   relinquishes 'write', so writes jump ahead of queued polls; each device
 *   has its own breaker. A device is reached at the address of its last
 *   I-Am (a device that moved is found again), else the site's.
 * - Reads: ReadPropertyMultiple batches sized to the device's max APDU,
 *   narrowed when the device aborts or drops a batch, ReadProperty for a
 *   device that rejects RPM — all learned once and remembered
 *   (libs/bacnet batch-reader.ts, read-capabilities.ts).
 * - Commands at a priority, relinquish with NULL, the device's priority array
 *   and current command priority (bacnet-commands.ts).
 * - COV with a lifetime, renewed at half life, confirmed notifications
 *   acknowledged, polling where the device refuses (bacnet-cov.ts).
 * - Failures are FieldbusErrors named bacnet-error:<class>/<code>,
 *   bacnet-reject:<reason>, bacnet-abort:<reason>, timeout, bad-response
 *   (bacnet-errors.ts).
 */
import { BusRegistry, FieldbusError, systemClock } from '#libs/fieldbus';
import type {
  BreakerOptions,
  Clock,
  DeviceContext,
  FieldbusDriver,
  PointReadOutcome,
  PriorityArraySnapshot,
  ReadOptions,
  SelfTestReport,
  ValueSink,
  WriteRequest,
} from '#libs/fieldbus';
import { readBatched } from '#libs/bacnet';
import type { LearnedEvent } from '#libs/bacnet';
import type { PointDef } from '#libs/profiles';
import { BacnetCommands } from './bacnet-commands.js';
import { BacnetCov } from './bacnet-cov.js';
import { toFieldbusError } from './bacnet-errors.js';
import { BacnetLinks } from './bacnet-link.js';
import type { BacnetPort } from './bacnet-link.js';
import { objectOf, toEngineering } from './bacnet-points.js';
import { bacnetSelfTest } from './bacnet-self-test.js';

export interface BacnetDriverOptions {
  /** The controller's buses, shared with other drivers; default a registry of the driver's own. */
  buses?: BusRegistry;
  clock?: Clock;
  /** Requests in flight per device unless its site entry says otherwise; default 1 (MS/TP field devices behind a router take one at a time). */
  maxInFlight?: number;
  /** A device's breaker; default: backoff from its poll interval up to four intervals (at most 30 s). */
  breaker?: (device: DeviceContext) => BreakerOptions;
  /** COV subscription lifetime in seconds, renewed at half; default 300. */
  covLifetimeSeconds?: number;
  /** Confirmed COV notifications (default true). */
  covConfirmed?: boolean;
  /** Subscriber process identifier (§13.14.1.1); default 0x425754. */
  covProcessId?: number;
  /** One line per thing learned about a device (RPM refused, batch narrowed), for the log. */
  onLearn?: (deviceId: string, what: string) => void;
}

function defaultBreaker(device: DeviceContext): BreakerOptions {
  const interval = device.site.pollIntervalMs;
  return { baseMs: interval, maxMs: Math.max(interval, Math.min(30000, 4 * interval)) };
}

export class BacnetDriver implements FieldbusDriver {
  readonly protocol = 'bacnet' as const;
  private started?: Promise<void>;
  private readonly buses: BusRegistry;
  private readonly ownsBuses: boolean;
  private readonly links: BacnetLinks;
  private readonly commands: BacnetCommands;
  private readonly cov: BacnetCov;

  constructor(
    private readonly client: BacnetPort,
    o: BacnetDriverOptions = {},
  ) {
    const clock = o.clock ?? systemClock;
    this.ownsBuses = o.buses === undefined;
    this.buses = o.buses ?? new BusRegistry({ clock });
    this.links = new BacnetLinks(client, {
      buses: this.buses,
      clock,
      maxInFlight: o.maxInFlight ?? 1,
      breaker: o.breaker ?? defaultBreaker,
      onLearn: o.onLearn,
    });
    this.commands = new BacnetCommands(client, this.links);
    this.cov = new BacnetCov(client, this.links, {
      clock,
      lifetimeSeconds: o.covLifetimeSeconds ?? 300,
      confirmed: o.covConfirmed ?? true,
      processId: o.covProcessId ?? 0x425754,
    });
  }

  /** Starts the client; then asks the device who it is (its I-Am carries its max APDU), else reads its device object. */
  async connect(device: DeviceContext): Promise<void> {
    await this.start();
    const link = this.links.get(device);
    const found = await this.client.whoIs({
      address: link.siteAddress,
      lowLimit: link.deviceInstance,
      highLimit: link.deviceInstance,
      waitMs: this.client.requestTimeoutMs,
    });
    if (found[0]) return link.caps.setMaxApdu(found[0].maxApdu);
    const dev = { type: 'device' as const, instance: link.deviceInstance };
    const maxApdu = await this.links.request(link, 'poll', (address) =>
      this.client.readProperty(address, dev, 'max-apdu-length-accepted'),
    );
    if (typeof maxApdu === 'number') link.caps.setMaxApdu(maxApdu);
  }

  async readMany(
    device: DeviceContext,
    points: readonly PointDef[],
    options: ReadOptions = {},
  ): Promise<PointReadOutcome[]> {
    await this.start();
    const link = this.links.get(device);
    const kind = options.kind ?? 'poll';
    const unknown: PointReadOutcome[] = [];
    const items = points.flatMap((p) => {
      try {
        return [{ key: p.id, object: objectOf(p), property: 'present-value' }];
      } catch (err) {
        unknown.push({ pointId: p.id, error: toFieldbusError(err).info });
        return [];
      }
    });
    let outcomes;
    try {
      outcomes = await readBatched(this.client, this.links.address(link), items, link.caps, {
        parallel: link.maxInFlight,
        send: (run, o) => this.links.request(link, kind, () => run(), o),
      });
    } catch (err) {
      throw toFieldbusError(err);
    }
    const byId = new Map(points.map((p) => [p.id, p]));
    const read = outcomes.map((o): PointReadOutcome => {
      if (o.error) return { pointId: o.key, error: toFieldbusError(o.error).info };
      try {
        const value = toEngineering(byId.get(o.key)!, o.value ?? null);
        if (value === null)
          return {
            pointId: o.key,
            error: { code: 'bad-response', message: `${o.key}: present-value is NULL` },
          };
        return { pointId: o.key, value };
      } catch (err) {
        return { pointId: o.key, error: toFieldbusError(err).info };
      }
    });
    const all = new Map([...read, ...unknown].map((o) => [o.pointId, o]));
    return points.map((p) => all.get(p.id)!);
  }

  async write(device: DeviceContext, req: WriteRequest): Promise<void> {
    await this.start();
    await this.commands.write(this.links.get(device), req.point, req.value, req.priority);
  }

  async relinquish(device: DeviceContext, point: PointDef, priority: number): Promise<void> {
    await this.start();
    await this.commands.relinquish(this.links.get(device), point, priority);
  }

  async readPriorityArray(device: DeviceContext, point: PointDef): Promise<PriorityArraySnapshot | null> {
    await this.start();
    return this.commands.readPriorityArray(this.links.get(device), point);
  }

  async subscribe(device: DeviceContext, points: readonly PointDef[], sink: ValueSink): Promise<Set<string>> {
    await this.start();
    return this.cov.subscribe(device, this.links.get(device), points, sink);
  }

  async selfTest(device: DeviceContext): Promise<SelfTestReport> {
    await this.start();
    const link = this.links.get(device);
    return bacnetSelfTest(this.client, this.links, device, link, (p) =>
      this.commands.readPriorityArray(link, p),
    );
  }

  /** What the driver learned about a device (RPM refused, answer budget), for diagnostics and tests. */
  learned(device: DeviceContext): {
    rpm: boolean;
    budget: number;
    covRefused: boolean;
    events: readonly LearnedEvent[];
  } {
    const link = this.links.get(device);
    return {
      rpm: link.caps.rpm,
      budget: link.caps.budget,
      covRefused: link.covRefused,
      events: link.caps.events,
    };
  }

  /** Point ids the device pushes by COV now. */
  subscribed(device: DeviceContext): string[] {
    return this.cov.subscribed(device.site.id);
  }

  async close(): Promise<void> {
    await this.cov.close();
    await this.links.close();
    if (this.ownsBuses) await this.buses.close();
    await this.client.close();
  }

  private start(): Promise<void> {
    this.started ??= this.client.start().catch((err: unknown) => {
      this.started = undefined;
      throw new FieldbusError('connection', `BACnet client cannot start: ${(err as Error).message}`, {
        cause: err,
      });
    });
    return this.started;
  }
}
