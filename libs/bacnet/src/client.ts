/**
 * The controller's half: a BACnet/IP client over @bacnet-js/client. Every
 * confirmed request goes through Transactions (transactions.ts): our own
 * invoke ids and timer (STACK.md trap 1), answers matched by invoke id *and*
 * peer, named errors (trap 3), segmented answers refused. Every I-Am heard
 * updates the address bindings (bindings.ts) and reaches the Who-Is rounds
 * and listeners (who-is.ts); with a BBMD configured the client
 * registers as a foreign device (foreign-device.ts) and broadcasts through it.
 * Addresses are 'host:port'; properties kebab-case names.
 */
import type { BacnetDataType } from '#libs/profiles';
import { DeviceBindings } from './bindings.js';
import type { Binding } from './bindings.js';
import {
  askedOf,
  covNotificationOf,
  describe,
  iAmOf,
  rpmResultsOf,
  senderOf,
  toLibObjectId,
} from './client-codec.js';
import { BacnetError, notifySafely, toBacnetError } from './errors.js';
import { ForeignDeviceRegistration } from './foreign-device.js';
import type { ForeignDeviceStatus } from './foreign-device.js';
import { propertyNumber } from './names.js';
import { RawRequests, answerOf } from './raw-requests.js';
import { readPropertyMultipleRaw, rpmChannelOf } from './rpm-request.js';
import type { RpmChannel } from './rpm-request.js';
import type { RawAnswer } from './raw-requests.js';
import { Transactions } from './transactions.js';
import { UdpTransport, broadcastWithPort } from './transport.js';
import { IAmListeners } from './who-is.js';
import type {
  AnyObjectRef,
  CovNotification,
  DiscoveredDevice,
  ObjectRef,
  PropertySpec,
  RpmResult,
} from './types.js';
import { defaultDataType, fromAppDataList, toWriteAppData } from './values.js';
import type { BacnetValue } from './values.js';
import { ASN1_MAX_INSTANCE, ConfirmedServiceChoice, createLibClient } from './vendor.js';
import type { LibAddress, LibClient, LibServiceContent } from './vendor.js';

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
  /** Join a BACnet network on another subnet as a foreign device of this BBMD (Annex J.5.2). */
  bbmd?: { address: string; ttlSeconds?: number };
}

export interface BacnetClientStats {
  /** Answers dropped because they came from another peer than the request went to. */
  answersFromWrongPeer: number;
  /** Datagrams dropped as oversized or undecodable. */
  badDatagrams: number;
}

const DEFAULT_PROCESS_ID = 1;
const DEFAULT_FOREIGN_TTL_S = 300;

export class BacnetClient {
  private transport?: UdpTransport;
  private lib?: LibClient;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly tx: Transactions;
  private readonly deviceBindings = new DeviceBindings();
  private foreign?: ForeignDeviceRegistration;
  private badDatagrams = 0;
  private readonly iAms = new IAmListeners();
  private readonly covListeners = new Set<(n: CovNotification) => void>();
  private readonly raw = new RawRequests();
  /** ReadPropertyMultiple encoded by us (rpm-request.ts); undefined if the library's request table is not ours. */
  private rpm?: RpmChannel;

  constructor(private readonly o: BacnetClientOptions) {
    this.timeoutMs = o.timeoutMs ?? 3000;
    const limit = o.maxInFlightPerDevice ?? 4;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`maxInFlightPerDevice must be ≥ 1, got ${limit}`);
    this.tx = new Transactions(this.timeoutMs, limit);
  }

  /** Our own timer per confirmed request. */
  get requestTimeoutMs(): number {
    return this.timeoutMs;
  }

  /** The bound local port (useful after binding port 0). */
  get port(): number {
    return this.transport?.port ?? 0;
  }

  /**
   * Binds the socket; with a BBMD, also registers as a foreign device. A BBMD
   * that does not answer does not fail start(): registration keeps being
   * retried, and foreignDevice() tells how it stands.
   */
  async start(): Promise<void> {
    if (this.lib) return;
    const transport = new UdpTransport({
      interface: this.o.interface,
      port: this.o.port,
      broadcastAddress: broadcastWithPort(this.o.broadcastAddress, this.o.port),
      reuseAddr: this.o.reuseAddr ?? false,
      refuseSegmented: true,
      onDatagram: (buf, from) => {
        if (this.foreign?.handle(buf, from)) return false;
        return this.tx.inspect(buf, from) && !this.raw.take(buf);
      },
      onBadDatagram: (buf, from, reason) => {
        this.badDatagrams++;
        this.tx.bad(buf, from, reason);
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
    this.rpm = rpmChannelOf(lib, transport);
    if (this.o.bbmd) {
      this.foreign = new ForeignDeviceRegistration({
        bbmd: this.o.bbmd.address,
        ttlSeconds: this.o.bbmd.ttlSeconds ?? DEFAULT_FOREIGN_TTL_S,
        timeoutMs: this.timeoutMs,
        send: (frame, to) => transport.sendFrame(frame, to),
      });
      await this.foreign.start().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.foreign?.stop();
    this.iAms.finishAll();
    this.lib?.close();
    await this.transport?.closed;
  }

  /** Foreign-device registration state; undefined without a BBMD. */
  foreignDevice(): ForeignDeviceStatus | undefined {
    return this.foreign?.status();
  }

  stats(): BacnetClientStats {
    return { answersFromWrongPeer: this.tx.dropped, badDatagrams: this.badDatagrams };
  }

  /** The address a device instance was last heard from (its I-Am), if any. */
  binding(deviceInstance: number): Binding | undefined {
    return this.deviceBindings.get(deviceInstance);
  }

  bindings(): Binding[] {
    return this.deviceBindings.all();
  }

  /** Called when a device's I-Am comes from a new address. Returns an unsubscribe function. */
  onDeviceMoved(cb: (b: Binding, from: string) => void): () => void {
    return this.deviceBindings.onMove(cb);
  }

  /**
   * Who-Is (ASHRAE 135 §16.10): directed when `address` is given, else a
   * broadcast (through the BBMD as Distribute-Broadcast-To-Network when one is
   * configured); collects I-Ams for `waitMs` (default 1000).
   */
  async whoIs(
    o: { address?: string; lowLimit?: number; highLimit?: number; waitMs?: number } = {},
  ): Promise<DiscoveredDevice[]> {
    const lib = this.requireLib();
    return this.iAms.round(o, (range) => {
      if (o.address) lib.whoIs({ address: o.address }, range);
      else if (this.o.bbmd)
        lib.whoIs({ address: this.o.bbmd.address, distributeBroadcastToNetwork: true }, range);
      else lib.whoIs(undefined, range);
    });
  }

  /** Every I-Am this client hears, asked for or not. Returns an unsubscribe function. */
  onIAm(cb: (d: DiscoveredDevice) => void): () => void {
    return this.iAms.listen(cb);
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

  /**
   * ReadPropertyMultiple (ASHRAE 135 §15.7): one result per requested property,
   * each a value or the device's error. A property is a name (the whole value)
   * or { property, index } (one array element; index 0 is the array's length).
   */
  async readPropertyMultiple(
    address: string,
    specs: { object: AnyObjectRef; properties: PropertySpec[] }[],
  ): Promise<RpmResult[]> {
    if (specs.length === 0) return [];
    const asked = askedOf(specs);
    // The library reads only id and index of each property: the asked entries serve as they are.
    const libSpecs = asked.map((s) => ({ objectId: s.objectId, properties: s.properties }));
    const context = `read-property-multiple (${specs.length} objects) at ${address}`;
    const r = await this.confirmed(address, context, (lib, receiver, invokeId) =>
      this.rpm
        ? readPropertyMultipleRaw(this.rpm, address, invokeId, libSpecs)
        : lib.readPropertyMultiple(receiver, libSpecs, { invokeId }),
    );
    return rpmResultsOf(asked, r);
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

  /**
   * A confirmed request built by the caller (raw-requests.ts: properties whose
   * value we encode ourselves), under the same invoke ids, timer, per-device
   * bound, peer check and named errors as every other request.
   */
  async rawRequest(
    address: string,
    context: string,
    service: number,
    frameOf: (invokeId: number) => Buffer,
  ): Promise<RawAnswer> {
    const sent: [number, Buffer][] = [];
    try {
      return await this.confirmed(address, context, async (_lib, _receiver, invokeId) => {
        const frame = frameOf(invokeId);
        sent.push([invokeId, frame]);
        const apdu = await this.raw.request(invokeId, frame, (f) => this.transport?.sendFrame(f, address));
        return answerOf(apdu, service, context);
      });
    } finally {
      for (const [id, frame] of sent) this.raw.forget(id, frame);
    }
  }

  private requireLib(): LibClient {
    if (this.closed) throw new BacnetError('abort', 'BACnet client is closed');
    if (!this.lib) throw new Error('BACnet client not started: call start() first');
    return this.lib;
  }

  private confirmed<T>(
    address: string,
    context: string,
    call: (lib: LibClient, receiver: LibAddress, invokeId: number) => Promise<T>,
  ): Promise<T> {
    this.requireLib();
    return this.tx.run(
      address,
      context,
      (invokeId) => call(this.requireLib(), { address }, invokeId),
      () => this.closed,
    );
  }

  private handleIAm(c: LibServiceContent): void {
    const d = iAmOf(c);
    if (!d) return;
    this.deviceBindings.learn(d);
    this.iAms.heard(d);
  }

  private handleCov(c: LibServiceContent, confirmed: boolean): void {
    const address = senderOf(c);
    // STACK.md trap 5: a confirmed notification must be acknowledged by the application;
    // trap 6: at the notifier's own address, even when it came through a BBMD.
    if (confirmed && c.invokeId !== undefined && address) {
      this.lib?.simpleAckResponse({ address }, ConfirmedServiceChoice.CONFIRMED_COV_NOTIFICATION, c.invokeId);
    }
    const n = covNotificationOf(c, confirmed);
    if (n) for (const l of [...this.covListeners]) notifySafely(l, n);
  }
}
