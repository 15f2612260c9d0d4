/**
 * The simulator's half: a BACnet/IP device over @bacnet-js/client's server-side
 * events. It answers Who-Is, ReadProperty, ReadPropertyMultiple, WriteProperty
 * and SubscribeCOV from an ObjectTable (device-objects.ts; the confirmed
 * services in device-services.ts), always replying to the requester's own
 * address (STACK.md trap 6), and can be told to fall silent or answer late.
 */
import { AnswerCache } from './device-answers.js';
import { notifySafely } from './errors.js';
import type { DeviceInfo } from './device-info.js';
import { CovSubscriptions } from './device-cov.js';
import type { CovStats } from './device-cov.js';
import { ObjectTable } from './device-objects.js';
import { ScheduleObjects } from './device-schedules.js';
import type { ScheduleObjectDef } from './device-schedules.js';
import type { DeviceObjectDef, ObjectState } from './device-objects.js';
import {
  answerReadProperty,
  answerReadPropertyMultiple,
  answerSubscribeCov,
  answerWriteProperty,
  requester,
} from './device-services.js';
import type { DeviceServiceContext } from './device-services.js';
import { UdpTransport, broadcastWithPort } from './transport.js';
import type { ObjectRef } from './types.js';
import { encodeIAm } from './wire.js';
import { Segmentation, createLibClient } from './vendor.js';
import type { LibClient, LibServiceContent, WhoIsPayload } from './vendor.js';

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
  private readonly services: DeviceServiceContext;

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
    this.services = {
      info: this.info,
      table: this.table,
      cov: this.cov,
      lib: () => this.lib,
      send: (frame, to) => this.transport?.sendFrame(frame, to),
      offline: () => this.fault.offline,
      later: (fn) => this.later(fn),
      commanded: (ref, value, priority) => {
        for (const l of this.writeListeners) notifySafely(() => l(ref, value, priority), undefined);
      },
      changed: (ref) => this.notifyCov(ref),
    };
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
    const services = this.services;
    lib.on('readProperty', (c) => notifySafely((x: LibServiceContent) => answerReadProperty(services, x), c));
    lib.on('readPropertyMultiple', (c) =>
      notifySafely((x: LibServiceContent) => answerReadPropertyMultiple(services, x), c),
    );
    lib.on('writeProperty', (c) =>
      notifySafely((x: LibServiceContent) => answerWriteProperty(services, x), c),
    );
    lib.on('subscribeCov', (c) => notifySafely((x: LibServiceContent) => answerSubscribeCov(services, x), c));
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
    const to = requester(c);
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
