/**
 * BACnet tag encoding (ASHRAE 135 §20.2.1) for the constructed values the
 * library cannot carry whole (schedule-codec.ts): a writer that appends tags
 * and primitive values, and a bounds-checked reader that names what it found
 * where it expected something else. Every malformed input becomes an
 * Asn1Error, never an out-of-range read.
 */

export class Asn1Error extends Error {
  override readonly name = 'Asn1Error';
}

/** Application tag numbers (§20.2.1.4). */
export const TAG = {
  NULL: 0,
  BOOLEAN: 1,
  UNSIGNED: 2,
  SIGNED: 3,
  REAL: 4,
  DOUBLE: 5,
  OCTET_STRING: 6,
  CHARACTER_STRING: 7,
  BIT_STRING: 8,
  ENUMERATED: 9,
  DATE: 10,
  TIME: 11,
  OBJECT_ID: 12,
} as const;

const OPENING = 6;
const CLOSING = 7;
/** §20.2.14: 10 bits of object type, 22 bits of instance. */
export const MAX_INSTANCE = 0x3fffff;

export class Asn1Writer {
  private readonly bytes: number[] = [];

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }

  raw(...octets: number[]): this {
    this.bytes.push(...octets);
    return this;
  }

  /** A tag header (§20.2.1): extended tag numbers ≥ 15 and extended lengths ≥ 5. */
  tag(tagNumber: number, context: boolean, length: number): this {
    const cls = context ? 0x08 : 0;
    const num = tagNumber < 15 ? tagNumber << 4 : 0xf0;
    const extra = tagNumber < 15 ? [] : [tagNumber];
    if (length < 5) return this.raw(num | cls | length, ...extra);
    this.raw(num | cls | 5, ...extra);
    if (length < 254) return this.raw(length);
    if (length < 0x10000) return this.raw(254, length >> 8, length & 0xff);
    return this.raw(255, ...uint32(length));
  }

  open(tagNumber: number): this {
    return this.raw(tagNumber < 15 ? (tagNumber << 4) | 0x0e : 0xfe, ...(tagNumber < 15 ? [] : [tagNumber]));
  }

  close(tagNumber: number): this {
    return this.raw(tagNumber < 15 ? (tagNumber << 4) | 0x0f : 0xff, ...(tagNumber < 15 ? [] : [tagNumber]));
  }

  /** A primitive value with its content octets, application- or context-tagged. */
  primitive(tagNumber: number, content: number[], context = false): this {
    return this.tag(tagNumber, context, content.length).raw(...content);
  }

  unsigned(n: number, contextTag?: number): this {
    return this.primitive(contextTag ?? TAG.UNSIGNED, unsignedOctets(n), contextTag !== undefined);
  }

  enumerated(n: number, contextTag?: number): this {
    return this.primitive(contextTag ?? TAG.ENUMERATED, unsignedOctets(n), contextTag !== undefined);
  }

  objectId(type: number, instance: number, contextTag?: number): this {
    const content = uint32(((type << 22) | (instance & MAX_INSTANCE)) >>> 0);
    return this.primitive(contextTag ?? TAG.OBJECT_ID, content, contextTag !== undefined);
  }

  /** CharacterString in UTF-8 (character set 0, §20.2.9). */
  characterString(s: string): this {
    return this.primitive(TAG.CHARACTER_STRING, [0, ...Buffer.from(s, 'utf8')]);
  }
}

export interface TagHeader {
  tagNumber: number;
  context: boolean;
  opening: boolean;
  closing: boolean;
  /** Content length of a primitive tag; for an application BOOLEAN, its value (it has no content, §20.2.3). */
  length: number;
  /** Offset of the header. */
  at: number;
  /** Octets of the header itself. */
  size: number;
}

export class Asn1Reader {
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
    private readonly end = buf.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next tag header, without moving. */
  peek(): TagHeader {
    const at = this.pos;
    let p = at;
    const first = this.octet(p++, 'a tag');
    let tagNumber = first >> 4;
    if (tagNumber === 15) tagNumber = this.octet(p++, 'an extended tag number');
    const context = (first & 0x08) !== 0;
    const lvt = first & 0x07;
    const opening = context && lvt === OPENING;
    const closing = context && lvt === CLOSING;
    let length = opening || closing ? 0 : lvt;
    if (!opening && !closing && lvt === 5) {
      length = this.octet(p++, 'an extended length');
      if (length === 254) {
        length = this.buf.readUInt16BE(this.need(p, 2, 'a length'));
        p += 2;
      } else if (length === 255) {
        length = this.buf.readUInt32BE(this.need(p, 4, 'a length'));
        p += 4;
      }
    }
    return { tagNumber, context, opening, closing, length, at, size: p - at };
  }

  /** Reads a tag header; the position is then at its content. */
  next(): TagHeader {
    const h = this.peek();
    this.pos = h.at + h.size;
    return h;
  }

  isOpening(tagNumber: number): boolean {
    if (this.done) return false;
    const h = this.peek();
    return h.opening && h.tagNumber === tagNumber;
  }

  isClosing(tagNumber: number): boolean {
    if (this.done) return false;
    const h = this.peek();
    return h.closing && h.tagNumber === tagNumber;
  }

  expectOpening(tagNumber: number, what: string): void {
    const h = this.next();
    if (!h.opening || h.tagNumber !== tagNumber)
      throw this.unexpected(h, `opening tag [${tagNumber}] of ${what}`);
  }

  expectClosing(tagNumber: number, what: string): void {
    const h = this.next();
    if (!h.closing || h.tagNumber !== tagNumber)
      throw this.unexpected(h, `closing tag [${tagNumber}] of ${what}`);
  }

  /** The content octets of a primitive tag just read. */
  content(h: TagHeader): Buffer {
    const at = this.need(this.pos, h.length, 'content');
    this.pos += h.length;
    return this.buf.subarray(at, at + h.length);
  }

  /** A context-tagged primitive [tagNumber]: its content. */
  context(tagNumber: number, what: string): Buffer {
    const h = this.next();
    if (!h.context || h.opening || h.closing || h.tagNumber !== tagNumber)
      throw this.unexpected(h, `context tag [${tagNumber}] ${what}`);
    return this.content(h);
  }

  /** An application-tagged primitive of `tag`: its content. */
  application(tag: number, what: string): Buffer {
    const h = this.next();
    if (h.context || h.tagNumber !== tag) throw this.unexpected(h, `${what} (application tag ${tag})`);
    return this.content(h);
  }

  unexpected(h: TagHeader, expected: string): Asn1Error {
    const kind = h.opening
      ? 'opening tag'
      : h.closing
        ? 'closing tag'
        : h.context
          ? 'context tag'
          : 'application tag';
    return new Asn1Error(`expected ${expected} at octet ${h.at}, found ${kind} ${h.tagNumber}`);
  }

  private octet(p: number, what: string): number {
    return this.buf[this.need(p, 1, what)];
  }

  private need(p: number, n: number, what: string): number {
    if (p + n > this.end) throw new Asn1Error(`truncated: ${what} runs past the end (octet ${p})`);
    return p;
  }
}

/** Unsigned content octets, shortest form (§20.2.4). */
export function unsignedOctets(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    throw new Asn1Error(`not an unsigned 32-bit value: ${n}`);
  if (n < 0x100) return [n];
  if (n < 0x10000) return [n >> 8, n & 0xff];
  if (n < 0x1000000) return [n >> 16, (n >> 8) & 0xff, n & 0xff];
  return uint32(n);
}

/** Signed content octets, shortest two's complement (§20.2.5). */
export function signedOctets(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x8000_0000 || n > 0x7fff_ffff)
    throw new Asn1Error(`not a signed 32-bit value: ${n}`);
  if (n >= -0x80 && n < 0x80) return [n & 0xff];
  if (n >= -0x8000 && n < 0x8000) return [(n >> 8) & 0xff, n & 0xff];
  if (n >= -0x800000 && n < 0x800000) return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return uint32(n >>> 0);
}

export function readUnsigned(b: Buffer, what: string): number {
  if (b.length < 1 || b.length > 4)
    throw new Asn1Error(`${what}: ${b.length} octets is no unsigned 32-bit value`);
  return b.readUIntBE(0, b.length);
}

export function readSigned(b: Buffer, what: string): number {
  if (b.length < 1 || b.length > 4)
    throw new Asn1Error(`${what}: ${b.length} octets is no signed 32-bit value`);
  return b.readIntBE(0, b.length);
}

function uint32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}
