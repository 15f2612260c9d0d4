/**
 * The simulator's half: a BACnet/IP device over @bacnet-js/client's server-side
 * events. It answers Who-Is, ReadProperty, ReadPropertyMultiple, WriteProperty
 * and SubscribeCOV from an ObjectTable (device-objects.ts), always replying to
 * the requester's own address (STACK.md trap 6), and can be told to fall
 * silent or answer late.
 */
import { fail, isFailure } from './app-data.js';
import { AnswerCache } from './device-answers.js';
import { notifySafely } from './errors.js';
import type { DeviceInfo } from './device-info.js';
import { CovSubscriptions } from './device-cov.js';
import type { CovStats, Subscription } from './device-cov.js';
import { ObjectTable } from './device-objects.js';
import { ScheduleObjects } from './device-schedules.js';
import type { ScheduleObjectDef } from './device-schedules.js';
import type { DeviceObjectDef, ObjectState } from './device-objects.js';
import { UdpTransport, broadcastWithPort } from './transport.js';
import type { ObjectRef } from './types.js';
import { encodeAbort, encodeIAm, encodeReject } from './wire.js';
import { readPropertyAckSize, readPropertyMultipleAckSize } from './apdu-size.js';
import {
  ASN1_ARRAY_ALL,
  AbortReason,
  ConfirmedServiceChoice,
  ErrorClass,
  ErrorCode,
  ObjectType,
  RejectReason,
  Segmentation,
  createLibClient,
} from './vendor.js';
import type {
  LibAddress,
  LibClient,
  LibServiceContent,
  ReadPropertyMultiplePayload,
  ReadPropertyPayload,
  SubscribeCovPayload,
  WhoIsPayload,
  WritePropertyPayload,
} from './vendor.js';

export type { DeviceObjectDef, ObjectState } from './device-objects.js';
export type { CovStats } from './device-cov.js';
export type { ScheduleObjectDef } from './device-schedules.js';

export interface BacnetDeviceOptions {
  interface: string;
  /** UDP port; 0 takes a free one (start() returns it). */
  port: number;
  broadcastAddress?: string;
  deviceInstance: number;
  deviceName: string;
  vendorId?: number;
  /** Vendor_Name and Model_Name (default 'Bulwark simulator', 'simulated device'). */
  vendorName?: string;
  modelName?: string;
  /** Default 1476. Answers that would not fit are aborted with segmentation-not-supported (we never segment). */
  maxApdu?: number;
  /**
   * Answer Who-Is with a broadcast I-Am (an Original-Broadcast-NPDU to
   * broadcastAddress), as most real devices do; default false (unicast to the
   * asker). Behind a BBMD, point broadcastAddress at the BBMD: it stands in for
   * the local subnet and forwards the I-Am to its foreign devices.
   */
  iAmBroadcast?: boolean;
  /** Default true; false answers ReadPropertyMultiple with Reject unrecognized-service. */
  supportsRpm?: boolean;
  /** Default true; false answers SubscribeCOV with Reject unrecognized-service. */
  supportsCov?: boolean;
  /** Default true; false: like a device before 135-2016, commandable objects have no current-command-priority. */
  currentCommandPriority?: boolean;
  objects: DeviceObjectDef[];
  /** Schedule and Calendar objects, answered beside the library (device-schedules.ts). */
  scheduleObjects?: ScheduleObjectDef[];
  reuseAddr?: boolean;
}

export interface DeviceFault {
  /** Ignore every request (and send no notifications). */
  offline?: boolean;
  /** Answer every request this much later. */
  delayMs?: number;
}

/** The device only sends confirmed requests for COV notifications; device-cov.ts races each against its own timer. */
const NOTIFICATION_TIMEOUT_MS = 3000;

export class BacnetDevice {
  private transport?: UdpTransport;
  private lib?: LibClient;
  private readonly info: DeviceInfo;
  private readonly table: ObjectTable;
  readonly schedules: ScheduleObjects;
  private fault: Required<DeviceFault> = { offline: false, delayMs: 0 };
  private readonly writeListeners: ((
    ref: ObjectRef,
    value: number | null,
    priority: number | undefined,
  ) => void)[] = [];
  private readonly cov: CovSubscriptions;
  private readonly answers: AnswerCache;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: BacnetDeviceOptions) {
    this.info = {
      deviceInstance: o.deviceInstance,
      deviceName: o.deviceName,
      vendorId: o.vendorId ?? 0,
      vendorName: o.vendorName,
      modelName: o.modelName,
      maxApdu: o.maxApdu ?? 1476,
      supportsRpm: o.supportsRpm ?? true,
      supportsCov: o.supportsCov ?? true,
      currentCommandPriority: o.currentCommandPriority ?? true,
    };
    this.table = new ObjectTable(this.info, o.objects);
    this.schedules = new ScheduleObjects(o.scheduleObjects);
    this.cov = new CovSubscriptions(this.table, o.deviceInstance, () => this.lib);
    this.answers = new AnswerCache(() => this.table.version);
  }

  async start(): Promise<{ port: number }> {
    if (this.transport) return { port: this.transport.port };
    const transport = new UdpTransport({
      interface: this.o.interface,
      port: this.o.port,
      broadcastAddress: broadcastWithPort(this.o.broadcastAddress, this.o.port),
      reuseAddr: this.o.reuseAddr ?? false,
      onDatagram: (buf, from) => this.onScheduleRequest(buf, from) && this.answerFromCache(buf, from),
      onSent: (frame, to) => this.answers.sent(frame, to),
    });
    const lib = createLibClient({
      transport,
      interface: this.o.interface,
      port: this.o.port,
      broadcastAddress: transport.getBroadcastAddress(),
      apduTimeoutMs: NOTIFICATION_TIMEOUT_MS,
    });
    lib.on('error', () => undefined);
    lib.on('whoIs', (c) => notifySafely((x: LibServiceContent) => this.onWhoIs(x), c));
    lib.on('readProperty', (c) => notifySafely((x: LibServiceContent) => this.onReadProperty(x), c));
    lib.on('readPropertyMultiple', (c) =>
      notifySafely((x: LibServiceContent) => this.onReadPropertyMultiple(x), c),
    );
    lib.on('writeProperty', (c) => notifySafely((x: LibServiceContent) => this.onWriteProperty(x), c));
    lib.on('subscribeCov', (c) => notifySafely((x: LibServiceContent) => this.onSubscribeCov(x), c));
    try {
      await transport.listening;
    } catch (err) {
      lib.close();
      const where = `${this.o.interface}:${this.o.port}`;
      throw new Error(
        `cannot bind BACnet device ${this.o.deviceInstance} to ${where}: ${(err as Error).message}`,
      );
    }
    this.transport = transport;
    this.lib = lib;
    return { port: transport.port };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.cov.clear();
    const transport = this.transport;
    this.lib?.close();
    this.lib = undefined;
    this.transport = undefined;
    await transport?.closed;
  }

  getPresentValue(ref: ObjectRef): number {
    return this.table.state(ref).presentValue;
  }

  /** Sets present-value from outside the network (inputs, physics); a commandable object keeps it until its next command. */
  setPresentValue(ref: ObjectRef, value: number): void {
    if (this.table.setPresentValue(ref, value)) this.notifyCov(ref);
  }

  getObjectState(ref: ObjectRef): ObjectState {
    return this.table.state(ref);
  }

  /** Called after each accepted present-value write: value null is a relinquish; priority undefined for non-commandable objects. */
  onWrite(cb: (ref: ObjectRef, value: number | null, priority: number | undefined) => void): void {
    this.writeListeners.push(cb);
  }

  /** COV notifications sent, and how many confirmed ones were acknowledged or failed (no ack in time, or an error). */
  getCovStats(): CovStats {
    return this.cov.stats();
  }

  /** Replaces the current fault: fields left out are cleared. */
  setFault(f: DeviceFault): void {
    this.fault = { offline: f.offline ?? false, delayMs: f.delayMs ?? 0 };
  }

  // ---- service handlers -------------------------------------------------------------------------------------------

  private onWhoIs(c: LibServiceContent): void {
    const to = this.requester(c);
    if (!to || this.fault.offline) return;
    const p = (c.payload ?? {}) as WhoIsPayload;
    const id = this.info.deviceInstance;
    // §16.10.1.1: limits given → answer only when our instance is inside them.
    if (p.lowLimit !== undefined && id < p.lowLimit) return;
    if (p.highLimit !== undefined && id > p.highLimit) return;
    const broadcast = this.o.iAmBroadcast ?? false;
    const frame = encodeIAm(
      id,
      this.info.maxApdu,
      Segmentation.NO_SEGMENTATION,
      this.info.vendorId,
      broadcast,
    );
    this.later(() => this.transport?.sendFrame(frame, broadcast ? this.broadcastAddress() : to.address!));
  }

  /** An unsolicited I-Am (§16.10.2: a device may announce itself, e.g. after a restart or a new address). */
  announce(): void {
    if (!this.transport || this.fault.offline) return;
    const i = this.info;
    const frame = encodeIAm(i.deviceInstance, i.maxApdu, Segmentation.NO_SEGMENTATION, i.vendorId, true);
    this.transport.sendFrame(frame, this.broadcastAddress());
  }

  private broadcastAddress(): string {
    return this.transport!.getBroadcastAddress();
  }

  private onReadProperty(c: LibServiceContent): void {
    const to = this.requester(c);
    if (!to || c.invokeId === undefined || this.fault.offline) return;
    const invokeId = c.invokeId;
    const p = c.payload as ReadPropertyPayload;
    const r = this.table.read(p.objectId, p.property.id, p.property.index);
    const objectId = this.table.isDevice(p.objectId)
      ? { type: ObjectType.DEVICE, instance: this.info.deviceInstance }
      : p.objectId;
    this.later(() => {
      if (isFailure(r)) {
        this.lib?.errorResponse(
          to,
          ConfirmedServiceChoice.READ_PROPERTY,
          invokeId,
          r.errorClass,
          r.errorCode,
        );
      } else if (
        readPropertyAckSize(p.property.id, indexOf(p.property.index), r.values) > this.info.maxApdu
      ) {
        this.transport?.sendFrame(encodeAbort(invokeId, AbortReason.SEGMENTATION_NOT_SUPPORTED), to.address!);
      } else {
        this.lib?.readPropertyResponse(to, invokeId, objectId, p.property, r.values);
      }
    });
  }

  private onReadPropertyMultiple(c: LibServiceContent): void {
    const to = this.requester(c);
    if (!to || c.invokeId === undefined || this.fault.offline) return;
    const invokeId = c.invokeId;
    if (!this.info.supportsRpm) {
      this.later(() =>
        this.transport?.sendFrame(encodeReject(invokeId, RejectReason.UNRECOGNIZED_SERVICE), to.address!),
      );
      return;
    }
    const p = c.payload as ReadPropertyMultiplePayload;
    const results = this.table.readMultiple(p.properties);
    const size = readPropertyMultipleAckSize(
      results.map((r) => ({
        values: r.values.map((v) => ({
          propertyId: v.property.id,
          index: indexOf(v.property.index),
          value: v.value,
        })),
      })),
    );
    this.later(() => {
      if (size > this.info.maxApdu) {
        this.transport?.sendFrame(encodeAbort(invokeId, AbortReason.SEGMENTATION_NOT_SUPPORTED), to.address!);
      } else {
        this.lib?.readPropertyMultipleResponse(to, invokeId, results);
      }
    });
  }

  private onWriteProperty(c: LibServiceContent): void {
    const to = this.requester(c);
    if (!to || c.invokeId === undefined || this.fault.offline) return;
    const invokeId = c.invokeId;
    const p = c.payload as WritePropertyPayload;
    const v = p.value;
    const r = this.table.write(p.objectId, v.property.id, v.property.index, v.value, v.priority);
    this.later(() => {
      if (isFailure(r)) {
        this.lib?.errorResponse(
          to,
          ConfirmedServiceChoice.WRITE_PROPERTY,
          invokeId,
          r.errorClass,
          r.errorCode,
        );
      } else {
        this.lib?.simpleAckResponse(to, ConfirmedServiceChoice.WRITE_PROPERTY, invokeId);
      }
    });
    if (isFailure(r)) return;
    const cmd = r.command;
    if (cmd)
      for (const l of this.writeListeners) notifySafely(() => l(r.ref, cmd.value, cmd.priority), undefined);
    if (r.presentValueChanged) this.notifyCov(r.ref);
  }

  private onSubscribeCov(c: LibServiceContent): void {
    const to = this.requester(c);
    if (!to || c.invokeId === undefined || this.fault.offline) return;
    const invokeId = c.invokeId;
    if (!this.info.supportsCov) {
      this.later(() =>
        this.transport?.sendFrame(encodeReject(invokeId, RejectReason.UNRECOGNIZED_SERVICE), to.address!),
      );
      return;
    }
    const p = c.payload as SubscribeCovPayload;
    const ref = this.table.refOf(p.monitoredObjectId);
    const failure = ref
      ? undefined
      : this.table.isDevice(p.monitoredObjectId)
        ? fail(ErrorClass.SERVICES, ErrorCode.COV_SUBSCRIPTION_FAILED)
        : fail(ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT);
    const subscriber = { address: to.address!, processId: p.subscriberProcessId };
    let subscription: Subscription | undefined;
    if (ref && p.cancellationRequest) this.cov.cancel({ ...subscriber, ref });
    else if (ref) {
      subscription = this.cov.subscribe({
        ...subscriber,
        ref,
        confirmed: p.issueConfirmedNotifications ?? false,
        lifetimeSeconds: p.lifetime ?? 0,
      });
    }
    this.later(() => {
      if (failure) {
        this.lib?.errorResponse(
          to,
          ConfirmedServiceChoice.SUBSCRIBE_COV,
          invokeId,
          failure.errorClass,
          failure.errorCode,
        );
        return;
      }
      this.lib?.simpleAckResponse(to, ConfirmedServiceChoice.SUBSCRIBE_COV, invokeId);
      // §13.1.2: a new subscription gets the current values at once.
      if (subscription) this.cov.send(subscription);
    });
  }

  /** Offline devices send nothing, notifications included. */
  private notifyCov(ref: ObjectRef): void {
    if (!this.fault.offline) this.cov.changed(ref);
  }

  /** Reads and writes of Schedule and Calendar objects: answered here, never seen by the library or the cache. */
  private onScheduleRequest(buf: Buffer, from: string): boolean {
    const reply = this.schedules.answer(buf);
    if (!reply) return true;
    if (!this.fault.offline)
      this.later(() => this.transport?.sendFrame(reply.frame, reply.forwardedFrom ?? from));
    return false;
  }

  // ---- helpers ----------------------------------------------------------------------------------------------------

  /** A read answered before, with the table unchanged since, is answered again without the library (device-answers.ts). */
  private answerFromCache(buf: Buffer, from: string): boolean {
    if (this.fault.offline) return true;
    const answer = this.answers.lookup(buf, from);
    if (!answer) return true;
    this.later(() => this.transport?.sendFrame(answer, from));
    return false;
  }

  /** The requester's own address (a BBMD-forwarded request is answered directly, STACK.md trap 6). */
  private requester(c: LibServiceContent): LibAddress | undefined {
    const s = c.header?.sender;
    const address = s?.forwardedFrom ?? s?.address;
    return address ? { address } : undefined;
  }

  /** Runs `fn` now, or after the configured delay fault. */
  private later(fn: () => void): void {
    const delay = this.fault.delayMs;
    if (delay <= 0) return notifySafely(fn, undefined);
    const t = setTimeout(() => {
      this.timers.delete(t);
      notifySafely(fn, undefined);
    }, delay);
    this.timers.add(t);
  }
}

/** The array index of a property reference, undefined for the whole property. */
function indexOf(index: number): number | undefined {
  return index === ASN1_ARRAY_ALL ? undefined : index;
}
