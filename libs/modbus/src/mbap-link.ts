/**
 * Modbus TCP on a socket of our own: MBAP framing (Modbus Messaging on TCP/IP
 * Implementation Guide 1.0b §3.1.3) and the request and reply PDUs the client
 * uses (MODBUS Application Protocol 1.1b3 §6), behind the same RawModbus calls
 * as modbus-serial, which keeps RTU (session.ts takes either).
 *
 * Why not modbus-serial over TCP as well (8.0.25): its TCP port copies every
 * reply into an RTU-shaped frame with a CRC computed in JavaScript, and its
 * reply handler checks that CRC again: about a sixth of a full scan's CPU
 * (bench:scan profile) for a checksum TCP does not carry. It also trusts any 6
 * bytes as an MBAP header and waits for as many bytes as their length field
 * says, so garbage looks like silence, which took a second parser beside it to
 * see. Here one parser frames, validates and names every fault:
 *
 * - Garbage (protocol id not 0, or a length outside 2..254) fails the request
 *   in flight at once, naming the bytes; with none in flight the connection
 *   is closed (session.ts then reconnects on the next call).
 * - A timeout with part of a frame received fails as a truncated frame,
 *   saying how much had arrived.
 * - A reply to another transaction id is ignored (a late reply to a request
 *   the session already gave up on; the guide §4.2 says to discard it).
 * - Wrong unit id, wrong function code, a byte count that does not match the
 *   request or the bytes present: a 'bad-response' naming what was wrong.
 * - Rejections keep modbus-serial's shapes (`modbusCode` for exceptions,
 *   "Timed out" with errno ETIMEDOUT), so errors.ts classifies both alike.
 *
 * One request is in flight at a time (session.ts guarantees it). The request
 * timeout is one timer per connection checked against a deadline, not a timer
 * armed and cleared per request.
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { RawModbus } from './raw-modbus.js';

/** Unit id plus the largest PDU (MODBUS 1.1b3 §4.1). */
const MAX_MBAP_LENGTH = 254;
const HEADER = 6;

type Parse = (pdu: Buffer, start: number, end: number) => unknown;

interface Pending {
  tid: number;
  unitId: number;
  fc: number;
  deadline: number;
  parse: Parse;
  resolve: (value: never) => void;
  reject: (err: unknown) => void;
}

/** Rejections the session classifies as 'bad-response' (errors.ts falls through to it). */
class FrameError extends Error {
  override readonly name = 'FrameError';
}

export class MbapTcpLink extends EventEmitter implements RawModbus {
  private socket: Socket | null = null;
  private connected = false;
  private unitId = 1;
  private timeoutMs = 1000;
  private tid = 0;
  private pending: Pending | null = null;
  /** Bytes of a frame not yet complete (null between frames). */
  private rest: Buffer | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Infinity;

  get isOpen(): boolean {
    return this.connected;
  }

  setID(id: number): void {
    this.unitId = id;
  }

  setTimeout(ms: number): void {
    this.timeoutMs = ms;
  }

  connectTCP(host: string, options: { port: number }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = new Socket();
      this.socket = socket;
      socket.setNoDelay(true); // one small request per round trip: never wait for Nagle
      const refused = (err: Error): void => reject(err);
      socket.once('error', refused);
      socket.connect(options.port, host, () => {
        socket.off('error', refused);
        this.connected = true;
        resolve();
      });
      socket.on('data', (chunk: Buffer) => this.received(chunk));
      socket.on('error', (err) => {
        this.failPending(err);
        if (this.listenerCount('error') > 0) this.emit('error', err);
      });
      socket.on('close', () => {
        const was = this.connected;
        this.connected = false;
        this.stopTimer();
        if (was) this.emit('close');
        this.failPending(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
      });
    });
  }

  connectRTUBuffered(): Promise<void> {
    return Promise.reject(new Error('MbapTcpLink is Modbus TCP only'));
  }

  readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }> {
    return this.request(3, wordsPdu(3, address, length), registersOf(length));
  }

  readInputRegisters(address: number, length: number): Promise<{ data: number[] }> {
    return this.request(4, wordsPdu(4, address, length), registersOf(length));
  }

  readCoils(address: number, length: number): Promise<{ data: boolean[] }> {
    return this.request(1, wordsPdu(1, address, length), bitsOf(length));
  }

  readDiscreteInputs(address: number, length: number): Promise<{ data: boolean[] }> {
    return this.request(2, wordsPdu(2, address, length), bitsOf(length));
  }

  writeCoil(address: number, state: boolean): Promise<{ address: number }> {
    return this.request(5, wordsPdu(5, address, state ? 0xff00 : 0), echoOf(5));
  }

  writeRegister(address: number, value: number): Promise<{ address: number }> {
    return this.request(6, wordsPdu(6, address, value), echoOf(5));
  }

  writeRegisters(address: number, values: number[]): Promise<{ address: number }> {
    const pdu = Buffer.allocUnsafe(6 + 2 * values.length);
    pdu.writeUInt8(16, 0);
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(values.length, 3);
    pdu.writeUInt8(2 * values.length, 5);
    values.forEach((v, i) => pdu.writeUInt16BE(v, 6 + 2 * i));
    return this.request(16, pdu, echoOf(5));
  }

  writeCoils(address: number, states: boolean[]): Promise<{ address: number }> {
    const bytes = Math.ceil(states.length / 8);
    const pdu = Buffer.alloc(6 + bytes);
    pdu.writeUInt8(15, 0);
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(states.length, 3);
    pdu.writeUInt8(bytes, 5);
    states.forEach((s, i) => {
      if (s) pdu[6 + (i >> 3)] |= 1 << (i & 7); // §6.11: LSB first
    });
    return this.request(15, pdu, echoOf(5));
  }

  maskWriteRegister(address: number, andMask: number, orMask: number): Promise<{ address: number }> {
    const pdu = Buffer.allocUnsafe(7);
    pdu.writeUInt8(22, 0);
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(andMask, 3);
    pdu.writeUInt16BE(orMask, 5);
    return this.request(22, pdu, echoOf(7));
  }

  close(callback: (err?: unknown) => void): void {
    this.destroy(callback);
  }

  /** Destroys the socket (end() would wait for a peer that may be gone); calls back once it is closed. */
  destroy(callback: (err?: unknown) => void): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket || socket.closed) return callback();
    socket.once('close', () => callback());
    socket.destroy();
  }

  private request<T>(fc: number, pdu: Buffer, parse: Parse): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const socket = this.socket;
      if (!socket || !this.connected)
        return reject(Object.assign(new Error('Port Not Open'), { errno: 'ECONNREFUSED' }));
      this.tid = (this.tid + 1) & 0xffff;
      const frame = Buffer.allocUnsafe(HEADER + 1 + pdu.length);
      frame.writeUInt16BE(this.tid, 0);
      frame.writeUInt16BE(0, 2);
      frame.writeUInt16BE(1 + pdu.length, 4);
      frame[6] = this.unitId;
      pdu.copy(frame, 7);
      const deadline = Date.now() + this.timeoutMs;
      this.pending = { tid: this.tid, unitId: this.unitId, fc, deadline, parse, resolve, reject };
      if (deadline < this.timerAt) this.armTimer(deadline);
      socket.write(frame);
    });
  }

  /** The request in flight, if past its deadline, fails; otherwise the timer waits for that deadline. */
  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    const p = this.pending;
    if (!p) return;
    if (Date.now() < p.deadline) return this.armTimer(p.deadline);
    this.pending = null;
    const partial = this.partial();
    p.reject(
      partial
        ? new FrameError(`truncated frame: ${partial}, then silence`)
        : Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' }),
    );
  };

  private armTimer(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - Date.now()));
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private failPending(err: unknown): void {
    const p = this.pending;
    this.pending = null;
    p?.reject(err);
  }

  /** Frames what arrived; a whole frame in one chunk (the usual case) is parsed where it lies, without a copy. */
  private received(chunk: Buffer): void {
    const data = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = null;
    let at = 0;
    while (data.length - at >= HEADER) {
      const protocol = data.readUInt16BE(at + 2);
      const length = data.readUInt16BE(at + 4);
      if (protocol !== 0 || length < 2 || length > MAX_MBAP_LENGTH)
        return this.garbage(
          `bytes ${hex(data.subarray(at, at + HEADER))} are no Modbus TCP header (protocol id ${protocol}, ` +
            `length ${length}; want protocol id 0 and length 2..${MAX_MBAP_LENGTH})`,
        );
      const end = at + HEADER + length;
      if (end > data.length) break;
      this.frame(data, at, end);
      at = end;
    }
    if (at < data.length) this.rest = at === 0 ? data : data.subarray(at);
    if (this.rest !== null && data === chunk) this.rest = Buffer.from(this.rest); // the socket may reuse its chunk
  }

  /** One whole frame at data[at..end): settles the request in flight if it is the reply to it. */
  private frame(data: Buffer, at: number, end: number): void {
    const p = this.pending;
    if (p === null || data.readUInt16BE(at) !== p.tid) return; // late or foreign: discarded (guide §4.2)
    this.pending = null;
    const unit = data[at + HEADER];
    const pduStart = at + HEADER + 1;
    const fc = data[pduStart];
    if (unit !== p.unitId)
      return p.reject(new FrameError(`reply from unit ${unit}, the request went to unit ${p.unitId}`));
    if (fc === (p.fc | 0x80)) {
      const code = end > pduStart + 1 ? data[pduStart + 1] : 0;
      return p.reject({ modbusCode: code, message: `Modbus exception ${code}` });
    }
    if (fc !== p.fc)
      return p.reject(new FrameError(`reply has function code ${fc}, the request had ${p.fc}`));
    try {
      p.resolve(p.parse(data, pduStart, end) as never);
    } catch (err) {
      p.reject(err);
    }
  }

  /** Bytes no Modbus TCP frame can start with: the request in flight fails now; with none, the connection goes. */
  private garbage(what: string): void {
    this.rest = null;
    const p = this.pending;
    this.pending = null;
    if (p) p.reject(new FrameError(`garbage frame: ${what}`));
    this.socket?.destroy();
  }

  /** How much of a frame has arrived, when part of one has. */
  private partial(): string | undefined {
    const rest = this.rest;
    if (rest === null || rest.length === 0) return undefined;
    if (rest.length < HEADER) return `${rest.length} byte(s) of a ${HEADER}-byte MBAP header`;
    return `${rest.length} of the ${HEADER + rest.readUInt16BE(4)} bytes its MBAP header announced`;
  }
}

/** A 5-byte PDU: function code and two words (a read's address and count; a single write's address and value). */
function wordsPdu(fc: number, address: number, word: number): Buffer {
  const pdu = Buffer.allocUnsafe(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(word, 3);
  return pdu;
}

/** The byte count of a read reply (§6.1–6.4), checked against the request and the bytes present. */
function checkedBytes(data: Buffer, start: number, end: number, want: number): number {
  const count = end > start + 1 ? data[start + 1] : -1;
  if (count !== want || end - start - 2 !== want)
    throw new FrameError(
      `reply byte count ${count} with ${Math.max(0, end - start - 2)} data byte(s); the request needs ${want}`,
    );
  return start + 2;
}

function registersOf(count: number): Parse {
  return (data, start, end) => {
    const from = checkedBytes(data, start, end, 2 * count);
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = (data[from + 2 * i] << 8) | data[from + 2 * i + 1];
    return { data: out };
  };
}

function bitsOf(count: number): Parse {
  return (data, start, end) => {
    const bytes = Math.ceil(count / 8);
    const from = checkedBytes(data, start, end, bytes);
    const out = new Array<boolean>(bytes * 8);
    for (let i = 0; i < bytes * 8; i++) out[i] = ((data[from + (i >> 3)] >> (i & 7)) & 1) === 1;
    return { data: out };
  };
}

/** A write's reply echoes the request; its address is what the client checks (§6.5, 6.6, 6.11, 6.12, 6.16). */
function echoOf(pduLength: number): Parse {
  return (data, start, end) => {
    if (end - start !== pduLength)
      throw new FrameError(`write reply of ${end - start} byte(s), want ${pduLength}`);
    return { address: data.readUInt16BE(start + 1) };
  };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
