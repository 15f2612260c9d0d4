/**
 * The confirmed services a simulated device answers through the library:
 * ReadProperty, ReadPropertyMultiple, WriteProperty and SubscribeCOV, each
 * from the device's ObjectTable (device-objects.ts) and always to the
 * requester's own address (STACK.md trap 6). Apart from device.ts, which owns
 * the socket, the faults and the public API: these handlers only decide what
 * to answer and hand it to the device's `later` (its delay fault).
 */
import { fail, isFailure } from './app-data.js';
import { readPropertyAckSize, readPropertyMultipleAckSize } from './apdu-size.js';
import type { CovSubscriptions, Subscription } from './device-cov.js';
import type { DeviceInfo } from './device-info.js';
import type { ObjectTable } from './device-objects.js';
import type { ObjectRef } from './types.js';
import {
  ASN1_ARRAY_ALL,
  AbortReason,
  ConfirmedServiceChoice,
  ErrorClass,
  ErrorCode,
  ObjectType,
  RejectReason,
} from './vendor.js';
import type {
  LibAddress,
  LibClient,
  LibServiceContent,
  ReadPropertyMultiplePayload,
  ReadPropertyPayload,
  SubscribeCovPayload,
  WritePropertyPayload,
} from './vendor.js';
import { encodeAbort, encodeReject } from './wire.js';

/** What the handlers need of the device. */
export interface DeviceServiceContext {
  readonly info: DeviceInfo;
  readonly table: ObjectTable;
  readonly cov: CovSubscriptions;
  /** The library client while the device runs. */
  lib(): LibClient | undefined;
  /** Sends an encoded frame (aborts and rejects the library cannot send). */
  send(frame: Buffer, to: string): void;
  /** An offline device answers nothing. */
  offline(): boolean;
  /** Runs `fn` now, or after the delay fault. */
  later(fn: () => void): void;
  /** An accepted present-value command (value null: relinquish). */
  commanded(ref: ObjectRef, value: number | null, priority: number | undefined): void;
  /** Present-value changed: tell the COV subscribers. */
  changed(ref: ObjectRef): void;
}

/** The requester's own address (a BBMD-forwarded request is answered directly, STACK.md trap 6). */
export function requester(c: LibServiceContent): LibAddress | undefined {
  const s = c.header?.sender;
  const address = s?.forwardedFrom ?? s?.address;
  return address ? { address } : undefined;
}

export function answerReadProperty(x: DeviceServiceContext, c: LibServiceContent): void {
  const to = requester(c);
  if (!to || c.invokeId === undefined || x.offline()) return;
  const invokeId = c.invokeId;
  const p = c.payload as ReadPropertyPayload;
  const r = x.table.read(p.objectId, p.property.id, p.property.index);
  const objectId = x.table.isDevice(p.objectId)
    ? { type: ObjectType.DEVICE, instance: x.info.deviceInstance }
    : p.objectId;
  x.later(() => {
    if (isFailure(r)) {
      x.lib()?.errorResponse(to, ConfirmedServiceChoice.READ_PROPERTY, invokeId, r.errorClass, r.errorCode);
    } else if (readPropertyAckSize(p.property.id, indexOf(p.property.index), r.values) > x.info.maxApdu) {
      x.send(encodeAbort(invokeId, AbortReason.SEGMENTATION_NOT_SUPPORTED), to.address!);
    } else {
      x.lib()?.readPropertyResponse(to, invokeId, objectId, p.property, r.values);
    }
  });
}

export function answerReadPropertyMultiple(x: DeviceServiceContext, c: LibServiceContent): void {
  const to = requester(c);
  if (!to || c.invokeId === undefined || x.offline()) return;
  const invokeId = c.invokeId;
  if (!x.info.supportsRpm) {
    x.later(() => x.send(encodeReject(invokeId, RejectReason.UNRECOGNIZED_SERVICE), to.address!));
    return;
  }
  const p = c.payload as ReadPropertyMultiplePayload;
  const results = x.table.readMultiple(p.properties);
  const size = readPropertyMultipleAckSize(
    results.map((r) => ({
      values: r.values.map((v) => ({
        propertyId: v.property.id,
        index: indexOf(v.property.index),
        value: v.value,
      })),
    })),
  );
  x.later(() => {
    if (size > x.info.maxApdu) {
      x.send(encodeAbort(invokeId, AbortReason.SEGMENTATION_NOT_SUPPORTED), to.address!);
    } else {
      x.lib()?.readPropertyMultipleResponse(to, invokeId, results);
    }
  });
}

export function answerWriteProperty(x: DeviceServiceContext, c: LibServiceContent): void {
  const to = requester(c);
  if (!to || c.invokeId === undefined || x.offline()) return;
  const invokeId = c.invokeId;
  const p = c.payload as WritePropertyPayload;
  const v = p.value;
  const r = x.table.write(p.objectId, v.property.id, v.property.index, v.value, v.priority);
  x.later(() => {
    if (isFailure(r)) {
      x.lib()?.errorResponse(to, ConfirmedServiceChoice.WRITE_PROPERTY, invokeId, r.errorClass, r.errorCode);
    } else {
      x.lib()?.simpleAckResponse(to, ConfirmedServiceChoice.WRITE_PROPERTY, invokeId);
    }
  });
  if (isFailure(r)) return;
  const cmd = r.command;
  if (cmd) x.commanded(r.ref, cmd.value, cmd.priority);
  if (r.presentValueChanged) x.changed(r.ref);
}

export function answerSubscribeCov(x: DeviceServiceContext, c: LibServiceContent): void {
  const to = requester(c);
  if (!to || c.invokeId === undefined || x.offline()) return;
  const invokeId = c.invokeId;
  if (!x.info.supportsCov) {
    x.later(() => x.send(encodeReject(invokeId, RejectReason.UNRECOGNIZED_SERVICE), to.address!));
    return;
  }
  const p = c.payload as SubscribeCovPayload;
  const ref = x.table.refOf(p.monitoredObjectId);
  const failure = ref
    ? undefined
    : x.table.isDevice(p.monitoredObjectId)
      ? fail(ErrorClass.SERVICES, ErrorCode.COV_SUBSCRIPTION_FAILED)
      : fail(ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT);
  const subscriber = { address: to.address!, processId: p.subscriberProcessId };
  let subscription: Subscription | undefined;
  if (ref && p.cancellationRequest) x.cov.cancel({ ...subscriber, ref });
  else if (ref) {
    subscription = x.cov.subscribe({
      ...subscriber,
      ref,
      confirmed: p.issueConfirmedNotifications ?? false,
      lifetimeSeconds: p.lifetime ?? 0,
    });
  }
  x.later(() => {
    if (failure) {
      x.lib()?.errorResponse(
        to,
        ConfirmedServiceChoice.SUBSCRIBE_COV,
        invokeId,
        failure.errorClass,
        failure.errorCode,
      );
      return;
    }
    x.lib()?.simpleAckResponse(to, ConfirmedServiceChoice.SUBSCRIBE_COV, invokeId);
    // §13.1.2: a new subscription gets the current values at once.
    if (subscription) x.cov.send(subscription);
  });
}

/** The array index of a property reference, undefined for the whole property. */
function indexOf(index: number): number | undefined {
  return index === ASN1_ARRAY_ALL ? undefined : index;
}
