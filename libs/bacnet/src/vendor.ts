/**
 * The one file that imports @bacnet-js/client (CONVENTIONS.md habit 5). The rest
 * of libs/bacnet talks to the library through the small local types below,
 * which declare only the calls we use; nothing outside libs/bacnet ever sees a
 * library type.
 *
 * The package is CommonJS with `exports.default`, so the class is `.default` of
 * the module object; enums are plain named exports.
 */
import bacnet from '@bacnet-js/client';
// Not re-exported by the package's index, but a plain CommonJS module of it (no exports map): the decoder its
// client's own readPropertyMultiple uses, for the requests we encode ourselves (rpm-request.ts).
import libRpmService from '@bacnet-js/client/dist/lib/services/ReadPropertyMultiple.js';
import { RequestTable } from './request-table.js';

import {
  AbortReason as LibAbortReason,
  ApplicationTag as LibApplicationTag,
  ConfirmedServiceChoice as LibConfirmedServiceChoice,
  EngineeringUnits as LibEngineeringUnits,
  ErrorClass as LibErrorClass,
  ErrorCode as LibErrorCode,
  ObjectType as LibObjectType,
  PropertyIdentifier as LibPropertyIdentifier,
  RejectReason as LibRejectReason,
  Segmentation as LibSegmentation,
  ServicesSupported as LibServicesSupported,
} from '@bacnet-js/client';

export { ASN1_ARRAY_ALL, ASN1_MAX_INSTANCE } from '@bacnet-js/client';

/** An enum's members as plain numbers: our local types carry numbers, never the library's enum types. */
type Plain<E> = { readonly [K in keyof E]: number };
const plain = <E extends object>(e: E): Plain<E> => e as unknown as Plain<E>;

export const AbortReason = plain(LibAbortReason);
export const ApplicationTag = plain(LibApplicationTag);
export const ConfirmedServiceChoice = plain(LibConfirmedServiceChoice);
export const EngineeringUnits = plain(LibEngineeringUnits);
export const ErrorClass = plain(LibErrorClass);
export const ErrorCode = plain(LibErrorCode);
export const ObjectType = plain(LibObjectType);
export const PropertyIdentifier = plain(LibPropertyIdentifier);
export const RejectReason = plain(LibRejectReason);
export const Segmentation = plain(LibSegmentation);
export const ServicesSupported = plain(LibServicesSupported);

/** A peer as the library addresses it: `address` is 'host:port'. */
export interface LibAddress {
  address?: string;
  /** Set when the message came through a BBMD (Forwarded-NPDU): the originator's own 'host:port'. */
  forwardedFrom?: string | null;
  /** Send a broadcast to this BBMD as Distribute-Broadcast-To-Network (Annex J.2.7). */
  distributeBroadcastToNetwork?: boolean;
  net?: number;
  adr?: number[];
}
export interface LibObjectId {
  type: number;
  instance: number;
}
/** `index` is ASN1_ARRAY_ALL when the whole property is meant. */
export interface LibPropertyRef {
  id: number;
  index: number;
}
/** One application-tagged value (ASHRAE 135 §20.2.1). */
export interface LibAppData {
  type: number;
  value: unknown;
  encoding?: number;
}
/** A decoded ReadPropertyMultiple error entry: ApplicationTag.ERROR with this value. */
export interface LibAccessError {
  errorClass: number;
  errorCode: number;
}
export interface LibReadResult {
  objectId: LibObjectId;
  property: LibPropertyRef;
  values: LibAppData[];
}
export interface LibRpmResult {
  values: { objectId: LibObjectId; values: { id: number; index: number; value: LibAppData[] }[] }[];
}
export interface LibReadAccess {
  objectId: LibObjectId;
  values: { property: LibPropertyRef; value: LibAppData[] }[];
}
export interface LibCovValue {
  /** No index and no priority: the library's CovNotify.encode inverts both checks. */
  property: { id: number };
  value: LibAppData[];
}

/** What the library emits for a service request; payloads are untyped there (STACK.md trap 5). */
export interface LibServiceContent {
  header?: { sender: LibAddress; expectingReply?: boolean };
  invokeId?: number;
  service?: number;
  payload: unknown;
}
export type LibServiceEvent =
  | 'iAm'
  | 'whoIs'
  | 'readProperty'
  | 'readPropertyMultiple'
  | 'writeProperty'
  | 'subscribeCov'
  | 'covNotify'
  | 'covNotifyUnconfirmed';

export interface IAmPayload {
  deviceId: number;
  maxApdu: number;
  segmentation: number;
  vendorId: number;
}
export interface WhoIsPayload {
  lowLimit?: number;
  highLimit?: number;
}
export interface ReadPropertyPayload {
  objectId: LibObjectId;
  property: LibPropertyRef;
}
export interface ReadPropertyMultiplePayload {
  properties: { objectId: LibObjectId; properties: LibPropertyRef[] }[];
}
export interface WritePropertyPayload {
  objectId: LibObjectId;
  /** `priority` is 16 when the request carried none (the library's decode fills it in). */
  value: { property: LibPropertyRef; value: LibAppData[]; priority: number };
}
export interface SubscribeCovPayload {
  subscriberProcessId: number;
  monitoredObjectId: LibObjectId;
  cancellationRequest: boolean;
  issueConfirmedNotifications?: boolean;
  lifetime?: number;
}
export interface CovNotifyPayload {
  subscriberProcessId: number;
  /** Typed number by the library, decoded as an object identifier in 3.3.2: accept both. */
  initiatingDeviceId: number | LibObjectId;
  monitoredObjectId: LibObjectId;
  timeRemaining: number;
  values: { property: { id: number; index?: number }; value: LibAppData[] }[];
}

/** The calls of the library's client class that this facade uses, and nothing else. */
export interface LibClient {
  on(event: 'error', cb: (err: Error) => void): unknown;
  on(event: LibServiceEvent, cb: (content: LibServiceContent) => void): unknown;
  whoIs(receiver: LibAddress | undefined, options: { lowLimit?: number; highLimit?: number }): void;
  readProperty(
    receiver: LibAddress,
    objectId: LibObjectId,
    propertyId: number,
    options: { invokeId: number; arrayIndex?: number },
  ): Promise<LibReadResult>;
  readPropertyMultiple(
    receiver: LibAddress,
    specs: { objectId: LibObjectId; properties: LibPropertyRef[] }[],
    options: { invokeId: number },
  ): Promise<LibRpmResult>;
  writeProperty(
    receiver: LibAddress,
    objectId: LibObjectId,
    propertyId: number,
    values: LibAppData[],
    options: { invokeId: number; priority?: number },
  ): Promise<void>;
  subscribeCov(
    receiver: LibAddress,
    objectId: LibObjectId,
    subscribeId: number,
    cancel: boolean,
    issueConfirmedNotifications: boolean,
    lifetime: number,
    options: { invokeId: number },
  ): Promise<void>;
  confirmedCOVNotification(
    receiver: LibAddress,
    monitoredObject: LibObjectId,
    subscribeId: number,
    initiatingDeviceId: number,
    lifetime: number,
    values: LibCovValue[],
    options: { invokeId: number },
  ): Promise<void>;
  unconfirmedCOVNotification(
    receiver: LibAddress,
    subscriberProcessId: number,
    initiatingDeviceId: number,
    monitoredObjectId: LibObjectId,
    timeRemaining: number,
    values: LibCovValue[],
  ): void;
  readPropertyResponse(
    receiver: LibAddress,
    invokeId: number,
    objectId: LibObjectId,
    property: LibPropertyRef,
    values: LibAppData[],
  ): void;
  readPropertyMultipleResponse(receiver: LibAddress, invokeId: number, values: LibReadAccess[]): void;
  simpleAckResponse(receiver: LibAddress, service: number, invokeId: number): void;
  errorResponse(
    receiver: LibAddress,
    service: number,
    invokeId: number,
    errorClass: number,
    errorCode: number,
  ): void;
  close(): void;
}

/** The transport contract the library's client calls into (its dist/lib/transport.d.ts). */
export interface LibTransport {
  on(event: 'message', cb: (buffer: Buffer, remoteAddress: string) => void): unknown;
  on(event: 'listening', cb: (address: { address: string; port: number }) => void): unknown;
  on(event: 'error', cb: (err: Error) => void): unknown;
  getBroadcastAddress(): string;
  getMaxPayload(): number;
  send(buffer: Buffer, offset: number, receiver?: string): void;
  open(): void;
  close(): void;
}

/**
 * A library client bound to our own transport. Port, interface and broadcast
 * address are always passed (STACK.md trap 4) even though the custom transport
 * is what uses them: the library's own transport cannot bind port 0.
 */
export function createLibClient(o: {
  transport: LibTransport;
  interface: string;
  port: number;
  broadcastAddress: string;
  apduTimeoutMs: number;
}): LibClient {
  const Client = bacnet.default;
  const client = new Client({
    transport: o.transport,
    interface: o.interface,
    port: o.port,
    broadcastAddress: o.broadcastAddress,
    apduTimeout: o.apduTimeoutMs,
  });
  installRequestTable(client, o.apduTimeoutMs);
  // The library types its events through a generic emitter and its values through
  // enums; our interface declares the same calls with plain numbers.
  return client as unknown as LibClient;
}

/** Our request table inside a library client (see installRequestTable); undefined if it could not be installed. */
export function requestTableOf(lib: LibClient): RequestTable | undefined {
  const table = (lib as unknown as { _requestManager?: unknown })._requestManager;
  return table instanceof RequestTable ? table : undefined;
}

/** What the library's request table settles a ComplexACK with: the datagram and where the service data lies. */
export interface LibAckData {
  buffer: Buffer;
  offset: number;
  length: number;
}

/** A ReadPropertyMultiple-ACK's service data (§15.7.1.3) decoded as the library's client decodes it; undefined when malformed. */
export function decodeRpmAck(a: LibAckData): LibRpmResult | undefined {
  const service = libRpmService.default as unknown as {
    decodeAcknowledge(buffer: Buffer, offset: number, length: number): LibRpmResult | undefined;
  };
  return service.decodeAcknowledge(a.buffer, a.offset, a.length);
}

/**
 * Swaps the library's request table for ours (request-table.ts, STACK.md trap 1).
 * `_requestManager` is private in the typings but a plain field at run time in
 * 3.3.2; should a later version rename it, the swap is skipped and our invoke-id
 * pool and timers still bound the damage.
 */
function installRequestTable(client: object, timeoutMs: number): void {
  const holder = client as { _requestManager?: { add?: unknown; resolve?: unknown; clear?: unknown } };
  const current = holder._requestManager;
  if (current && typeof current.add === 'function' && typeof current.resolve === 'function') {
    holder._requestManager = new RequestTable(timeoutMs);
  }
}
