/**
 * The controller's half: a BACnet/IP client over @bacnet-js/client. Every
 * confirmed request goes through `confirmed()`, which bounds requests in flight
 * per device, hands out invoke ids itself and races the library against our own
 * timer (STACK.md trap 1), and turns library errors into named BacnetErrors
 * (trap 3). Addresses are 'host:port'; properties kebab-case names.
 */
import type { BacnetDataType } from '#libs/profiles';
import { BacnetError, notifySafely, timeoutError, toBacnetError } from './errors.js';
import {
  errorClassName,
  errorCodeName,
  isPointObjectType,
  objectTypeName,
  objectTypeNumber,
  propertyName,
  propertyNumber,
  segmentationName,
} from './names.js';
import { InvokeIdPool, PerKeyLimiter, TimeoutSignal, raceTimeout } from './request-control.js';
import { UdpTransport, broadcastWithPort } from './transport.js';
import type { AnyObjectRef, CovNotification, DiscoveredDevice, ObjectRef, RpmResult } from './types.js';
import { defaultDataType, fromAppDataList, toWriteAppData } from './values.js';
import type { BacnetValue } from './values.js';
import { PDU_REJECT, peekApdu } from './wire.js';
import {
  ASN1_ARRAY_ALL,
  ASN1_MAX_INSTANCE,
  ApplicationTag,
  ConfirmedServiceChoice,
  createLibClient,
} from './vendor.js';
import type {
  CovNotifyPayload,
  IAmPayload,
  LibAccessError,
  LibAddress,
  LibClient,
  LibObjectId,
  LibServiceContent,
} from './vendor.js';

export interface BacnetClientOptions {
  /** Local address to bind, e.g. '127.0.0.1' or '0.0.0.0'. */
  interface: string;
  /** Local UDP port; 0 takes a free one. */
  port: number;
  /** Where a Who-Is without address goes. Default '127.255.255.255'; without a port, the BACnet/IP port of the network. */
  broadcastAddress?: string;
  /** Per request, our own timer (default 3000). */
  timeoutMs?: number;
  /** Confirmed requests in flight per device; the rest queue (default 4). */
  maxInFlightPerDevice?: number;
  /** SO_REUSEADDR on the socket (default false, so a port clash fails loudly). */
  reuseAddr?: boolean;
}

const DEFAULT_PROCESS_ID = 1;

export class BacnetClient {
  private transport?: UdpTransport;
  private lib?: LibClient;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly ids = new InvokeIdPool();
  private readonly limiter: PerKeyLimiter;
  /** Invoke ids whose answer was a Reject PDU (the library reports it as an abort). */
  private readonly rejected = new Set<number>();
  private readonly iAmListeners = new Set<(d: DiscoveredDevice) => void>();
  private readonly covListeners = new Set<(n: CovNotification) => void>();
  private readonly pendingWhoIs = new Set<() => void>();

  constructor(private readonly o: BacnetClientOptions) {
    this.timeoutMs = o.timeoutMs ?? 3000;
    this.limiter = new PerKeyLimiter(o.maxInFlightPerDevice ?? 4);
  }

  /** The bound local port (useful after binding port 0). */
  get port(): number {
    return this.transport?.port ?? 0;
  }

  async start(): Promise<void> {
    if (this.lib) return;
    const transport = new UdpTransport({
      interface: this.o.interface,
      port: this.o.port,
      broadcastAddress: broadcastWithPort(this.o.broadcastAddress, this.o.port),
      reuseAddr: this.o.reuseAddr ?? false,
      onDatagram: (buf) => {
        const pdu = peekApdu(buf);
        if (pdu?.pduType === PDU_REJECT && pdu.invokeId !== undefined) this.rejected.add(pdu.invokeId);
      },
    });
    const lib = createLibClient({
      transport,
      interface: this.o.interface,
      port: this.o.port,
      broadcastAddress: transport.getBroadcastAddress(),
      apduTimeoutMs: this.timeoutMs,
    });
    // Socket errors after bind (e.g. unreachable host) surface per request as timeouts; never crash.
    lib.on('error', () => undefined);
    lib.on('iAm', (c) => this.handleIAm(c));
    lib.on('covNotifyUnconfirmed', (c) => this.handleCov(c, false));
    lib.on('covNotify', (c) => this.handleCov(c, true));
    try {
      await transport.listening;
    } catch (err) {
      lib.close();
      throw new Error(
        `cannot bind BACnet/IP client to ${this.o.interface}:${this.o.port}: ${(err as Error).message}`,
      );
    }
    this.transport = transport;
    this.lib = lib;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const finish of [...this.pendingWhoIs]) finish();
    this.lib?.close();
    await this.transport?.closed;
  }

  /** Who-Is (ASHRAE 135 §16.10): directed when `address` is given, else broadcast; collects I-Ams for `waitMs` (default 1000). */
  async whoIs(
    o: { address?: string; lowLimit?: number; highLimit?: number; waitMs?: number } = {},
  ): Promise<DiscoveredDevice[]> {
    const lib = this.requireLib();
    const ranged = o.lowLimit !== undefined || o.highLimit !== undefined;
    const low = o.lowLimit ?? 0;
    const high = o.highLimit ?? ASN1_MAX_INSTANCE;
    const found = new Map<string, DiscoveredDevice>();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.iAmListeners.delete(listener);
        this.pendingWhoIs.delete(finish);
        resolve([...found.values()]);
      };
      const listener = (d: DiscoveredDevice): void => {
        if (d.deviceInstance < low || d.deviceInstance > high) return;
        found.set(`${d.address}|${d.deviceInstance}`, d);
        // Asking for exactly one instance: the first answer is the answer.
        if (ranged && low === high) finish();
      };
      const timer = setTimeout(finish, o.waitMs ?? 1000);
      this.iAmListeners.add(listener);
      this.pendingWhoIs.add(finish);
      lib.whoIs(
        o.address ? { address: o.address } : undefined,
        ranged ? { lowLimit: low, highLimit: high } : {},
      );
    });
  }

  /** Every I-Am this client hears, asked for or not. Returns an unsubscribe function. */
  onIAm(cb: (d: DiscoveredDevice) => void): () => void {
    this.iAmListeners.add(cb);
    return () => this.iAmListeners.delete(cb);
  }

  /** ReadProperty (ASHRAE 135 §15.5). */
  async readProperty(
    address: string,
    obj: AnyObjectRef,
    property: string,
    arrayIndex?: number,
  ): Promise<BacnetValue> {
    const objectId = toLibObjectId(obj);
    const propId = propertyNumber(property);
    const context = `read-property ${describe(obj)} ${property}${arrayIndex === undefined ? '' : `[${arrayIndex}]`} at ${address}`;
    const r = await this.confirmed(address, context, (lib, receiver, invokeId) =>
      lib.readProperty(receiver, objectId, propId, { invokeId, arrayIndex }),
    );
    // A mismatch means an answer to another request; the device wildcard 4194303 (§12.11.1) comes back as the real instance.
    const sameInstance = r.objectId.instance === objectId.instance || objectId.instance === ASN1_MAX_INSTANCE;
    if (r.objectId.type !== objectId.type || !sameInstance || r.property.id !== propId) {
      throw new BacnetError('decode', `answer names another object or property: ${context}`);
    }
    try {
      return fromAppDataList(r.values, propId, arrayIndex);
    } catch (err) {
      throw toBacnetError(err, context);
    }
  }

  /** ReadPropertyMultiple (ASHRAE 135 §15.7): one result per requested property, each a value or the device's error. */
  async readPropertyMultiple(
    address: string,
    specs: { object: AnyObjectRef; properties: string[] }[],
  ): Promise<RpmResult[]> {
    if (specs.length === 0) return [];
    const libSpecs = specs.map((s) => ({
      objectId: toLibObjectId(s.object),
      properties: s.properties.map((p) => ({ id: propertyNumber(p), index: ASN1_ARRAY_ALL })),
    }));
    const context = `read-property-multiple (${specs.length} objects) at ${address}`;
    const r = await this.confirmed(address, context, (lib, receiver, invokeId) =>
      lib.readPropertyMultiple(receiver, libSpecs, { invokeId }),
    );
    const out: RpmResult[] = [];
    for (const access of r.values) {
      const i = libSpecs.findIndex(
        (s) => s.objectId.type === access.objectId.type && s.objectId.instance === access.objectId.instance,
      );
      const object: AnyObjectRef = i >= 0 ? specs[i].object : fromLibObjectId(access.objectId);
      for (const p of access.values) {
        const asked = i >= 0 ? specs[i].properties.find((name) => propertyNumber(name) === p.id) : undefined;
        const property = asked ?? propertyName(p.id);
        const first = p.value[0];
        if (first?.type === ApplicationTag.ERROR) {
          const e = first.value as LibAccessError;
          out.push({
            object,
            property,
            error: { errorClass: errorClassName(e.errorClass), errorCode: errorCodeName(e.errorCode) },
          });
          continue;
        }
        try {
          out.push({ object, property, value: fromAppDataList(p.value, p.id) });
        } catch {
          out.push({
            object,
            property,
            error: { errorClass: 'property', errorCode: 'datatype-not-supported' },
          });
        }
      }
    }
    return out;
  }

  /**
   * WriteProperty (ASHRAE 135 §15.9). The datatype defaults by object type
   * (analog REAL, binary ENUMERATED, multi-state UNSIGNED); null writes NULL,
   * which relinquishes the slot at `priority` of a commandable object (§19.2).
   */
  async writeProperty(
    address: string,
    obj: ObjectRef,
    property: string,
    value: number | boolean | null,
    o: { priority?: number; dataType?: BacnetDataType } = {},
  ): Promise<void> {
    if (o.priority !== undefined && !(Number.isInteger(o.priority) && o.priority >= 1 && o.priority <= 16)) {
      throw new RangeError(`BACnet priority must be an integer 1..16, got ${o.priority}`);
    }
    const objectId = toLibObjectId(obj);
    const propId = propertyNumber(property);
    const binary = obj.type.startsWith('binary');
    const dataType =
      o.dataType ?? (typeof value === 'boolean' && !binary ? 'boolean' : defaultDataType(obj.type));
    const data = toWriteAppData(value, dataType);
    const at = o.priority === undefined ? '' : ` @${o.priority}`;
    const context = `write-property ${describe(obj)} ${property}=${String(value)}${at} at ${address}`;
    await this.confirmed(address, context, (lib, receiver, invokeId) =>
      lib.writeProperty(receiver, objectId, propId, [data], { invokeId, priority: o.priority }),
    );
  }

  /** Writes NULL to present-value at `priority` (ASHRAE 135 §19.2.1). */
  async relinquish(address: string, obj: ObjectRef, priority: number): Promise<void> {
    await this.writeProperty(address, obj, 'present-value', null, { priority });
  }

  /** SubscribeCOV (ASHRAE 135 §13.14); lifetime 0 means indefinite. */
  async subscribeCov(
    address: string,
    obj: ObjectRef,
    o: { lifetimeSeconds: number; confirmed: boolean; processId?: number },
  ): Promise<void> {
    const objectId = toLibObjectId(obj);
    const processId = o.processId ?? DEFAULT_PROCESS_ID;
    const context = `subscribe-cov ${describe(obj)} at ${address}`;
    await this.confirmed(address, context, (lib, receiver, invokeId) =>
      lib.subscribeCov(receiver, objectId, processId, false, o.confirmed, o.lifetimeSeconds, { invokeId }),
    );
  }

  /** Cancels a COV subscription (SubscribeCOV without lifetime and confirmation flag). */
  async unsubscribeCov(address: string, obj: ObjectRef, processId = DEFAULT_PROCESS_ID): Promise<void> {
    const objectId = toLibObjectId(obj);
    const context = `cancel subscribe-cov ${describe(obj)} at ${address}`;
    await this.confirmed(address, context, (lib, receiver, invokeId) =>
      lib.subscribeCov(receiver, objectId, processId, true, false, 0, { invokeId }),
    );
  }

  /** Every COV notification received; confirmed ones are acknowledged before this runs. Returns an unsubscribe function. */
  onCov(cb: (n: CovNotification) => void): () => void {
    this.covListeners.add(cb);
    return () => this.covListeners.delete(cb);
  }

  private requireLib(): LibClient {
    if (this.closed) throw new BacnetError('abort', 'BACnet client is closed');
    if (!this.lib) throw new Error('BACnet client not started: call start() first');
    return this.lib;
  }

  /** One confirmed request: bounded per device, our own invoke id, our own timer, named errors. */
  private confirmed<T>(
    address: string,
    context: string,
    call: (lib: LibClient, receiver: LibAddress, invokeId: number) => Promise<T>,
  ): Promise<T> {
    this.requireLib();
    return this.limiter.run(address, async () => {
      const lib = this.requireLib();
      const invokeId = await this.ids.acquire();
      this.rejected.delete(invokeId);
      // An id whose answer never came is kept out of use for a while, so a late answer settles nothing.
      const quarantineMs = Math.max(2 * this.timeoutMs, 1000);
      try {
        const result = await raceTimeout((async () => call(lib, { address }, invokeId))(), this.timeoutMs);
        this.ids.release(invokeId);
        return result;
      } catch (err) {
        if (this.closed) {
          this.ids.release(invokeId);
          throw new BacnetError('abort', `BACnet client closed: ${context}`);
        }
        if (err instanceof TimeoutSignal) {
          this.ids.release(invokeId, quarantineMs);
          throw timeoutError(context, this.timeoutMs);
        }
        const named = toBacnetError(err, context, this.rejected.delete(invokeId));
        this.ids.release(invokeId, named.kind === 'timeout' ? quarantineMs : 0);
        throw named;
      }
    });
  }

  private handleIAm(c: LibServiceContent): void {
    const p = c.payload as IAmPayload;
    const d: DiscoveredDevice = {
      address: senderOf(c),
      deviceInstance: p.deviceId,
      maxApdu: p.maxApdu,
      segmentation: segmentationName(p.segmentation),
      vendorId: p.vendorId,
    };
    for (const l of [...this.iAmListeners]) notifySafely(l, d);
  }

  private handleCov(c: LibServiceContent, confirmed: boolean): void {
    const address = senderOf(c);
    // STACK.md trap 5: a confirmed notification must be acknowledged by the application.
    if (confirmed && c.invokeId !== undefined && c.header?.sender) {
      this.lib?.simpleAckResponse({ address }, ConfirmedServiceChoice.CONFIRMED_COV_NOTIFICATION, c.invokeId);
    }
    const p = c.payload as CovNotifyPayload;
    const type = objectTypeName(p.monitoredObjectId.type);
    if (!isPointObjectType(type)) return;
    const values: Record<string, BacnetValue> = {};
    for (const v of p.values) {
      try {
        values[propertyName(v.property.id)] = fromAppDataList(v.value, v.property.id);
      } catch {
        // a value we cannot represent is left out; the others still arrive
      }
    }
    const n: CovNotification = {
      address,
      deviceInstance:
        typeof p.initiatingDeviceId === 'number' ? p.initiatingDeviceId : p.initiatingDeviceId.instance,
      object: { type, instance: p.monitoredObjectId.instance },
      values,
      processId: p.subscriberProcessId,
      timeRemaining: p.timeRemaining,
      confirmed,
    };
    for (const l of [...this.covListeners]) notifySafely(l, n);
  }
}

function toLibObjectId(obj: AnyObjectRef): LibObjectId {
  return { type: objectTypeNumber(obj.type), instance: obj.instance };
}

function fromLibObjectId(id: LibObjectId): AnyObjectRef {
  const name = objectTypeName(id.type);
  if (name === 'device') return { type: 'device', instance: id.instance };
  if (isPointObjectType(name)) return { type: name, instance: id.instance };
  throw new BacnetError('decode', `answer names an object type this facade does not model: ${name}`);
}

function describe(obj: AnyObjectRef): string {
  return `${obj.type}:${obj.instance}`;
}

/** STACK.md trap 6: a device seen through a BBMD is addressed by its own address. */
function senderOf(c: LibServiceContent): string {
  return c.header?.sender.forwardedFrom ?? c.header?.sender.address ?? '';
}
