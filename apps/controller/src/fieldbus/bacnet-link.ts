/**
 * What the BACnet driver keeps per site device, and the one way it sends a
 * request: through the device's scheduler (libs/fieldbus BusScheduler; on
 * BACnet/IP every device is its own "bus", an independent UDP peer).
 *
 * - Address binding: the device's address is the one its last I-Am came from
 *   (libs/bacnet bindings.ts), else the site's. A timeout starts, at most once
 *   per REBIND_INTERVAL_MS, a Who-Is for the device's instance (broadcast, or
 *   through the BBMD), so a device that moved is found again by its I-Am.
 * - Learned reading capabilities (libs/bacnet read-capabilities.ts), seeded
 *   from the profile's quirks and from the device's I-Am, narrowed by what the
 *   device does; kept for the life of the driver.
 * - A timeout of a request marked tentative (a ReadPropertyMultiple larger
 *   than the device has answered) does not count against the device's
 *   breaker: it may mean "too large"; the batch reader's probe decides.
 */
import { ReadCapabilities } from '#libs/bacnet';
import type { BacnetClient, Binding } from '#libs/bacnet';
import { DEVICE_FAILURE_CODES, FieldbusError } from '#libs/fieldbus';
import type {
  BreakerOptions,
  BusRegistry,
  BusScheduler,
  Clock,
  DeviceContext,
  RequestKind,
} from '#libs/fieldbus';
import { toFieldbusError } from './bacnet-errors.js';

/** The client calls the driver uses (a BacnetClient fits; tests may wrap one). */
export type BacnetPort = Pick<
  BacnetClient,
  | 'start'
  | 'close'
  | 'requestTimeoutMs'
  | 'whoIs'
  | 'binding'
  | 'readProperty'
  | 'readPropertyMultiple'
  | 'writeProperty'
  | 'subscribeCov'
  | 'unsubscribeCov'
  | 'onCov'
>;

const REBIND_INTERVAL_MS = 30_000;
/** Beyond the client's own timeout, before the scheduler's backstop gives up on a request. */
const BACKSTOP_SLACK_MS = 1000;

export interface BacnetLink {
  key: string;
  deviceInstance: number;
  siteAddress: string;
  maxInFlight: number;
  caps: ReadCapabilities;
  scheduler: BusScheduler;
  /** The device refused SubscribeCOV as a service: poll it. */
  covRefused: boolean;
  /** The device aborts a whole priority-array read (tiny APDU): read it element by element. */
  priorityArrayByElement: boolean;
  lastRebindAt: number;
}

export interface LinkOptions {
  buses: BusRegistry;
  clock: Clock;
  /** Requests in flight per device when the site does not say; default 1. */
  maxInFlight: number;
  breaker: (device: DeviceContext) => BreakerOptions;
  onLearn?: (deviceId: string, what: string) => void;
}

export class BacnetLinks {
  private readonly links = new Map<string, BacnetLink>();
  /** Timeouts that must not trip a breaker (see the file comment). */
  private readonly tentative = new WeakSet<object>();

  constructor(
    private readonly client: BacnetPort,
    private readonly o: LinkOptions,
  ) {}

  /** The device's runtime, created on first use. */
  get(device: DeviceContext): BacnetLink {
    const existing = this.links.get(device.site.id);
    if (existing) return existing;
    const ep = device.site.bacnet;
    const quirks = device.profile.bacnet;
    if (!ep || !quirks)
      throw new FieldbusError(
        'internal',
        `device ${device.site.id} has no BACnet endpoint or profile quirks`,
      );
    // The site's endpoint may carry maxInFlight (as Modbus TCP endpoints do) once the schema has it.
    const fromSite = (ep as { maxInFlight?: number }).maxInFlight;
    const maxInFlight = fromSite ?? this.o.maxInFlight;
    const key = device.site.id;
    const scheduler = this.o.buses.bus(`bacnet:${ep.deviceInstance}`, {
      maxInFlight,
      isDeviceFailure: (err) =>
        err instanceof FieldbusError && DEVICE_FAILURE_CODES.has(err.code) && !this.tentative.has(err),
    });
    scheduler.configureDevice(key, { breaker: this.o.breaker(device) });
    const link: BacnetLink = {
      key,
      deviceInstance: ep.deviceInstance,
      siteAddress: ep.address,
      maxInFlight,
      caps: new ReadCapabilities(
        { rpm: quirks.readPropertyMultiple, maxApdu: quirks.maxApdu, segmentation: quirks.segmentation },
        () => this.o.clock.now(),
        (what) => this.o.onLearn?.(key, what),
      ),
      scheduler,
      covRefused: false,
      priorityArrayByElement: false,
      lastRebindAt: -Infinity,
    };
    this.links.set(key, link);
    return link;
  }

  all(): BacnetLink[] {
    return [...this.links.values()];
  }

  /** Where the device is now: its last I-Am's address, else the site's. */
  address(link: BacnetLink): string {
    const b: Binding | undefined = this.client.binding(link.deviceInstance);
    if (b && b.maxApdu > 0) link.caps.setMaxApdu(b.maxApdu);
    return b?.address ?? link.siteAddress;
  }

  /** One request through the device's scheduler, named on failure. */
  request<T>(
    link: BacnetLink,
    kind: RequestKind,
    run: (address: string) => Promise<T>,
    o: { tentative?: boolean } = {},
  ): Promise<T> {
    return link.scheduler.submit(
      kind,
      link.key,
      async () => {
        try {
          return await run(this.address(link));
        } catch (err) {
          const e = toFieldbusError(err);
          if (e.code === 'timeout') {
            if (o.tentative) this.tentative.add(e);
            this.rebind(link);
          }
          throw e;
        }
      },
      { timeoutMs: this.client.requestTimeoutMs + BACKSTOP_SLACK_MS },
    );
  }

  /** A Who-Is for the device's instance (no answer needed now: the I-Am updates the binding when it comes). */
  private rebind(link: BacnetLink): void {
    const now = this.o.clock.now();
    if (now - link.lastRebindAt < REBIND_INTERVAL_MS) return;
    link.lastRebindAt = now;
    const instance = link.deviceInstance;
    this.client.whoIs({ lowLimit: instance, highLimit: instance, waitMs: 2000 }).catch(() => undefined);
  }

  async close(): Promise<void> {
    const schedulers = this.all().map((l) => l.scheduler);
    this.links.clear();
    await Promise.allSettled(schedulers.map((s) => s.close()));
  }
}
