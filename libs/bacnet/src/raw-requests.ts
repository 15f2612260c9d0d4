/**
 * ReadProperty and WriteProperty whose property value we encode and decode
 * ourselves (schedule-codec.ts), sent and answered beside the library: the
 * client builds the confirmed request (ASHRAE 135 §20.1.2), the transport
 * hands us the answer to our invoke id before the library sees it, and the
 * answer becomes the value's octets or a named BacnetError. The invoke ids,
 * timer, per-device bound and peer check are the client's own Transactions,
 * so these requests share every rule of the library's.
 *
 * The device half (device-schedules.ts) uses the same frames the other way.
 */
import { Asn1Error, Asn1Reader, Asn1Writer, TAG, readUnsigned } from './asn1-tags.js';
import { BacnetError } from './errors.js';
import { abortReasonName, errorClassName, errorCodeName, rejectReasonName } from './names.js';
import {
  BVLC,
  BVLC_TYPE_BIP,
  PDU_ABORT,
  PDU_COMPLEX_ACK,
  PDU_CONFIRMED_REQUEST,
  PDU_ERROR,
  PDU_REJECT,
  PDU_SIMPLE_ACK,
  peekApdu,
} from './wire.js';

/** Confirmed service choices (§21). */
export const SERVICE_READ_PROPERTY = 12;
export const SERVICE_READ_PROPERTY_MULTIPLE = 14;
export const SERVICE_WRITE_PROPERTY = 15;
/** Max-APDU-length-accepted code 5: 1476 octets (§20.1.2.5), the B/IP maximum. */
export const MAX_APDU_1476 = 0x05;

export interface PropertyRequest {
  objectType: number;
  instance: number;
  propertyId: number;
  /** Array index; undefined for the whole property. */
  index?: number;
}

/** BVLC Original-Unicast-NPDU + NPCI (§6.2.2) around an APDU; `expectingReply` for confirmed requests. */
export function bipFrame(apdu: Buffer, expectingReply: boolean): Buffer {
  const head = Buffer.from([
    BVLC_TYPE_BIP,
    BVLC.ORIGINAL_UNICAST_NPDU,
    0,
    0,
    0x01,
    expectingReply ? 0x04 : 0x00,
  ]);
  const frame = Buffer.concat([head, apdu]);
  frame.writeUInt16BE(frame.length, 2);
  return frame;
}

function writeReference(w: Asn1Writer, p: PropertyRequest): void {
  w.objectId(p.objectType, p.instance, 0).enumerated(p.propertyId, 1);
  if (p.index !== undefined) w.unsigned(p.index, 2);
}

/** A confirmed request APDU that accepts no segmented answer (we never reassemble). */
function confirmed(invokeId: number, service: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([PDU_CONFIRMED_REQUEST << 4, MAX_APDU_1476, invokeId, service]), data]);
}

/** ReadProperty-Request (§15.5.1.1). */
export function readPropertyRequest(invokeId: number, p: PropertyRequest): Buffer {
  const w = new Asn1Writer();
  writeReference(w, p);
  return bipFrame(confirmed(invokeId, SERVICE_READ_PROPERTY, w.toBuffer()), true);
}

/** WriteProperty-Request (§15.9.1.1): `value` is the octets inside the property-value tag [3]. */
export function writePropertyRequest(
  invokeId: number,
  p: PropertyRequest,
  value: Buffer,
  priority?: number,
): Buffer {
  const w = new Asn1Writer();
  writeReference(w, p);
  w.open(3)
    .raw(...value)
    .close(3);
  if (priority !== undefined) w.unsigned(priority, 4);
  return bipFrame(confirmed(invokeId, SERVICE_WRITE_PROPERTY, w.toBuffer()), true);
}

/** The reference and value octets of a ReadProperty-ACK or a WriteProperty-Request's service data. */
export function parsePropertyData(
  data: Buffer,
  withValue: boolean,
): PropertyRequest & { value?: Buffer; priority?: number } {
  const r = new Asn1Reader(data);
  const id = r.context(0, 'object identifier');
  if (id.length !== 4) throw new Asn1Error(`object identifier has ${id.length} octets`);
  const raw = id.readUInt32BE(0);
  const propertyId = readUnsigned(r.context(1, 'property identifier'), 'property identifier');
  const out: PropertyRequest & { value?: Buffer; priority?: number } = {
    objectType: raw >>> 22,
    instance: raw & 0x3fffff,
    propertyId,
  };
  if (!r.done) {
    const h = r.peek();
    if (h.context && !h.opening && !h.closing && h.tagNumber === 2)
      out.index = readUnsigned(r.context(2, 'array index'), 'array index');
  }
  if (!withValue) {
    if (!r.done) throw new Asn1Error(`${data.length - r.pos} octets after the property reference`);
    return out;
  }
  r.expectOpening(3, 'property value');
  const start = r.pos;
  skipToClosing(r, 3);
  out.value = data.subarray(start, r.pos);
  r.expectClosing(3, 'property value');
  if (!r.done) out.priority = readUnsigned(r.context(4, 'priority'), 'priority');
  if (!r.done) throw new Asn1Error(`${data.length - r.pos} octets after the property value`);
  return out;
}

/** Moves to the closing tag that matches an opening already read, over nested constructed values. */
function skipToClosing(r: Asn1Reader, tagNumber: number): void {
  let depth = 0;
  for (;;) {
    const h = r.peek();
    if (h.closing && depth === 0) {
      if (h.tagNumber !== tagNumber) throw r.unexpected(h, `closing tag [${tagNumber}]`);
      return;
    }
    r.next();
    if (h.opening) depth++;
    else if (h.closing) depth--;
    else if (h.context || h.tagNumber !== TAG.BOOLEAN) r.content(h);
  }
}

/** What came back for a confirmed request: the service data of a ComplexACK, or nothing for a SimpleACK. */
export type RawAnswer = { ack: 'simple' } | { ack: 'complex'; data: Buffer };

/**
 * An answer APDU → RawAnswer, or the named BacnetError it carries (Error PDU
 * with class and code, Reject, Abort). `context` says what was asked of whom.
 */
export function answerOf(apdu: Buffer, service: number, context: string): RawAnswer {
  const type = apdu[0] >> 4;
  const fail = (kind: 'error' | 'reject' | 'abort', text: string, cls?: string, code?: string): never => {
    throw new BacnetError(kind, `BACnet ${kind} ${text}: ${context}`, cls, code);
  };
  switch (type) {
    case PDU_SIMPLE_ACK:
      return { ack: 'simple' };
    case PDU_COMPLEX_ACK:
      // §20.1.5: SEG set means a segmented answer, which we asked not to get.
      if ((apdu[0] & 0x08) !== 0)
        throw new BacnetError('decode', 'segmented answer, though none was accepted');
      if (apdu[2] !== service)
        throw new BacnetError('decode', `answer to service ${apdu[2]}, not ${service}`);
      return { ack: 'complex', data: apdu.subarray(3) };
    case PDU_ERROR: {
      const r = new Asn1Reader(apdu, 3);
      try {
        const cls = errorClassName(readUnsigned(r.application(TAG.ENUMERATED, 'error class'), 'error class'));
        const code = errorCodeName(readUnsigned(r.application(TAG.ENUMERATED, 'error code'), 'error code'));
        return fail('error', `${cls}/${code}`, cls, code);
      } catch (err) {
        if (err instanceof Asn1Error)
          throw new BacnetError('decode', `undecodable Error PDU (${err.message})`);
        throw err;
      }
    }
    case PDU_REJECT: {
      const code = rejectReasonName(apdu[2] ?? 0);
      return fail('reject', code, undefined, code);
    }
    case PDU_ABORT: {
      const code = abortReasonName(apdu[2] ?? 0);
      return fail('abort', code, undefined, code);
    }
    default:
      throw new BacnetError('decode', `unexpected PDU type ${type} in answer`);
  }
}

/** The client's raw requests in flight, by invoke id. */
export class RawRequests {
  private readonly waiting = new Map<number, { frame: Buffer; settle: (apdu: Buffer) => void }>();

  /** Transport hook (after Transactions.inspect): true when the datagram answered one of ours and is consumed. */
  take(buf: Buffer): boolean {
    const p = peekApdu(buf);
    if (p?.invokeId === undefined || p.pduType === PDU_CONFIRMED_REQUEST) return false;
    const entry = this.waiting.get(p.invokeId);
    if (!entry) return false;
    this.waiting.delete(p.invokeId);
    entry.settle(buf.subarray(p.offset));
    return true;
  }

  /** Sends `frame` and resolves with the answer's APDU; the caller's timer bounds it, forget() cleans up. */
  request(invokeId: number, frame: Buffer, send: (frame: Buffer) => void): Promise<Buffer> {
    return new Promise<Buffer>((settle) => {
      this.waiting.set(invokeId, { frame, settle });
      send(frame);
    });
  }

  /** Drops the entry of `frame` (a request that timed out or failed); an id reused since is left alone. */
  forget(invokeId: number, frame: Buffer): void {
    if (this.waiting.get(invokeId)?.frame === frame) this.waiting.delete(invokeId);
  }
}
