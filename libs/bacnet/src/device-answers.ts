/**
 * The simulated device's answer cache for ReadProperty and ReadPropertyMultiple.
 *
 * Why: the library's server path costs far more than the answer itself — it
 * formats every request it receives with util.format('%o') and
 * JSON.stringify even when tracing is off, then builds the answer value by
 * value into a fresh 1482-octet buffer. One device process answering many
 * clients (bench:scan, the demo) spent most of its time there, which hid the
 * cost of the client being measured. A request identical to one already
 * answered, while the object table has not changed, gets the same answer:
 * the frame sent last time, with the new request's invoke id.
 *
 * The first answer to each request is made by the normal path (the library's
 * decode, the object table, the library's encode) and captured as it is sent,
 * so a cached answer is byte for byte what the device would have sent. Only
 * plain, unsegmented requests sent straight to the device (Original-Unicast,
 * no network-layer addresses) take part; anything else, and every answer made
 * while the table changed, goes the normal way.
 */
import { SERVICE_READ_PROPERTY, SERVICE_READ_PROPERTY_MULTIPLE } from './raw-requests.js';
import { BVLC, BVLC_TYPE_BIP, PDU_CONFIRMED_REQUEST, peekApdu } from './wire.js';

/** Distinct requests remembered per device; beyond it the cache starts over. */
const MAX_ENTRIES = 4096;
/** Answers are Original-Unicast with a bare NPCI (§6.2.2): the APDU starts at octet 6, its invoke id at 7. */
const ANSWER_APDU = 6;

interface Capture {
  key: string;
  invokeId: number;
  to: string;
  version: number;
}

export class AnswerCache {
  private readonly answers = new Map<string, Buffer>();
  private version = -1;
  private capture?: Capture;
  private hitCount = 0;

  /** `tableVersion` changes whenever anything an answer shows may have changed. */
  constructor(private readonly tableVersion: () => number) {}

  get hits(): number {
    return this.hitCount;
  }

  /**
   * A datagram received: the cached answer frame for it (invoke id set), or
   * undefined — then, if the request can be cached, the answer the normal path
   * sends next to `from` with its invoke id is captured (see `sent`).
   */
  lookup(buf: Buffer, from: string): Buffer | undefined {
    this.capture = undefined;
    const apdu = plainRequestApdu(buf);
    if (apdu === undefined) return undefined;
    const now = this.tableVersion();
    if (now !== this.version) {
      this.answers.clear();
      this.version = now;
    }
    // The invoke id (third octet) is left out of the key: it is the one thing that differs between repeats.
    const key = buf.toString('latin1', apdu, apdu + 2) + buf.toString('latin1', apdu + 3);
    const cached = this.answers.get(key);
    if (!cached) {
      this.capture = { key, invokeId: buf[apdu + 2], to: from, version: now };
      return undefined;
    }
    this.hitCount++;
    const frame = Buffer.allocUnsafe(cached.length);
    cached.copy(frame);
    frame[ANSWER_APDU + 1] = buf[apdu + 2];
    return frame;
  }

  /** Every frame the device sends: the awaited answer is kept, if the table did not change meanwhile. */
  sent(frame: Buffer, to: string): void {
    const c = this.capture;
    if (!c || to !== c.to) return;
    const p = peekApdu(frame);
    if (p?.invokeId !== c.invokeId || p.offset !== ANSWER_APDU) return;
    this.capture = undefined;
    if (this.tableVersion() !== c.version || c.version !== this.version) return;
    if (this.answers.size >= MAX_ENTRIES) this.answers.clear();
    this.answers.set(c.key, Buffer.from(frame));
  }
}

/**
 * The APDU offset of an unsegmented ReadProperty or ReadPropertyMultiple sent
 * as Original-Unicast with a bare NPCI (no DNET, no SNET); undefined for
 * anything else.
 */
function plainRequestApdu(buf: Buffer): number | undefined {
  if (buf.length < 10 || buf[0] !== BVLC_TYPE_BIP || buf[1] !== BVLC.ORIGINAL_UNICAST_NPDU) return undefined;
  if (buf.readUInt16BE(2) !== buf.length || buf[4] !== 0x01 || (buf[5] & 0xa8) !== 0) return undefined;
  const apdu = 6;
  const first = buf[apdu];
  // Confirmed request, not segmented (§20.1.2.1 SEG bit).
  if (first >> 4 !== PDU_CONFIRMED_REQUEST || (first & 0x08) !== 0) return undefined;
  const service = buf[apdu + 3];
  // Their answers depend only on the request and the object table.
  return service === SERVICE_READ_PROPERTY || service === SERVICE_READ_PROPERTY_MULTIPLE ? apdu : undefined;
}
