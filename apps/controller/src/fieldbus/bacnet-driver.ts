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
import type { LearnedEvent, ReadItem } from '#libs/bacnet';
import type { PointDef } from '#libs/profiles';
import { BacnetCommands } from './bacnet-commands.js';
import { BacnetCov } from './bacnet-cov.js';
import { toFieldbusError } from './bacnet-errors.js';
import { BacnetLinks } from './bacnet-link.js';
import type { BacnetPort } from './bacnet-link.js';
import { objectOf, presentValueSize, toEngineering } from './bacnet-points.js';
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

/** What reading a points array takes: its items, the point each item reads, and the points that cannot be read. */
interface ReadPlan {
  /** The points it was made for, to notice an array edited in place. */
  points: readonly PointDef[];
  items: ReadItem[];
  pointOf: number[];
  /** Sparse: an error outcome at the index of each point without a BACnet object. */
  unknown: PointReadOutcome[];
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
  /** Read items per polled points array (weakly held: a reloaded profile's old arrays go with it). */
  private readonly plans = new WeakMap<readonly PointDef[], ReadPlan>();

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
    const plan = this.readPlan(points);
    let outcomes;
    try {
      outcomes = await readBatched(this.client, this.links.address(link), plan.items, link.caps, {
        parallel: link.maxInFlight,
        send: (run, o) => this.links.request(link, kind, () => run(), o),
      });
    } catch (err) {
      throw toFieldbusError(err);
    }
    const result = plan.unknown.slice();
    // readBatched answers in the order of the items; item j is point plan.pointOf[j].
    for (let j = 0; j < outcomes.length; j++) {
      const o = outcomes[j];
      const i = plan.pointOf[j];
      const p = points[i];
      if (o.error) result[i] = { pointId: p.id, error: toFieldbusError(o.error).info };
      else
        try {
          const value = toEngineering(p, o.value ?? null);
          result[i] =
            value === null
              ? { pointId: p.id, error: { code: 'bad-response', message: `${p.id}: present-value is NULL` } }
              : { pointId: p.id, value };
        } catch (err) {
          result[i] = { pointId: p.id, error: toFieldbusError(err).info };
        }
    }
    return result;
  }

  /**
   * The read items of `points`, made once per points array and reused while
   * it is the same one (a scan passes the profile's own array every time;
   * profiles are not edited in place). Points without a BACnet object get
   * their error here, once.
   */
  private readPlan(points: readonly PointDef[]): ReadPlan {
    let plan = this.plans.get(points);
    if (plan && plan.points.length === points.length && plan.points.every((p, i) => p === points[i]))
      return plan;
    const items: ReadItem[] = [];
    const pointOf: number[] = [];
    const unknown: PointReadOutcome[] = new Array<PointReadOutcome>(points.length);
    points.forEach((p, i) => {
      try {
        items.push({
          key: p.id,
          object: objectOf(p),
          property: 'present-value',
          valueSize: presentValueSize(p),
        });
        pointOf.push(i);
      } catch (err) {
        unknown[i] = { pointId: p.id, error: toFieldbusError(err).info };
      }
    });
    plan = { points: points.slice(), items, pointOf, unknown };
    this.plans.set(points, plan);
    return plan;
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
