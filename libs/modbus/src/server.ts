/**
 * A Modbus TCP server of our own, for the simulator and the benchmarks.
 *
 * Why not modbus-serial's ServerTCP: it defers every request by a timer tick
 * (~1 ms), so it cannot serve as a speed reference. This one answers in the same
 * tick it reads the request when the handler is synchronous, and batches the
 * replies to requests pipelined in one TCP chunk into one write.
 *
 * Framing (Modbus Messaging on TCP/IP Implementation Guide 1.0b §3.1.3): a
 * 7-byte MBAP header (transaction id, protocol id 0, length = unit id + PDU,
 * unit id) then the PDU. Requests may arrive several per chunk or split across
 * chunks; replies go out in request order per connection, even when an
 * asynchronous handler finishes out of order. A frame with a non-zero protocol
 * id is discarded (§4.4.1.3 of the guide); a length outside 2..254 means the
 * stream can no longer be framed, so the connection is closed.
 */
import net from 'node:net';
import {
  buildMbapFrame,
  buildReplyPdu,
  EXCEPTION,
  exceptionPdu,
  parseRequestPdu,
  type ModbusHandler,
  type ModbusReply,
  type ModbusRequest,
} from './pdu.js';

export interface ModbusTcpServerOptions {
  host: string;
  /** 0 picks a free port; listen() reports it. */
  port: number;
  handler: ModbusHandler;
}

const MBAP_LENGTH = 6; // bytes before the unit id's length-counted part
const MIN_FRAME = 7;

export class ModbusTcpServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private count = 0;
  private listening = false;

  constructor(private readonly opts: ModbusTcpServerOptions) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', () => undefined); // listen() reports its own errors
  }

  /** Requests framed so far (any function code, including those answered with an exception or dropped). */
  get requestCount(): number {
    return this.count;
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', onError);
        this.listening = true;
        const addr = this.server.address() as net.AddressInfo;
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  /** Stops listening and destroys every open connection. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (!this.listening) return Promise.resolve();
    this.listening = false;
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // a peer reset is the peer's business
    socket.on('close', () => this.sockets.delete(socket));
    const conn = new Connection(socket, this.opts.handler, () => this.count++);
    socket.on('data', (chunk: Buffer) => conn.onData(chunk));
  }
}

class Connection {
  private pending: Buffer | null = null;
  /** Set while an asynchronous reply is outstanding: later replies queue behind it. */
  private tail: Promise<void> | null = null;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: ModbusHandler,
    private readonly counted: () => void,
  ) {}

  onData(chunk: Buffer): void {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    this.socket.cork();
    try {
      while (data.length - off >= MIN_FRAME) {
        const protocolId = data.readUInt16BE(off + 2);
        const length = data.readUInt16BE(off + 4);
        if (length < 2 || length > 254) {
          this.socket.destroy();
          return;
        }
        if (data.length - off < MBAP_LENGTH + length) break;
        const transactionId = data.readUInt16BE(off);
        const unitId = data[off + 6];
        const pdu = data.subarray(off + MIN_FRAME, off + MBAP_LENGTH + length);
        off += MBAP_LENGTH + length;
        if (protocolId !== 0) continue;
        this.counted();
        this.frame(transactionId, unitId, pdu);
      }
    } finally {
      this.socket.uncork();
    }
    this.pending = off < data.length ? Buffer.from(data.subarray(off)) : null;
  }

  private frame(transactionId: number, unitId: number, pdu: Buffer): void {
    const parsed = parseRequestPdu(unitId, pdu, transactionId);
    const step =
      'request' in parsed
        ? () => this.handle(transactionId, parsed.request)
        : () =>
            this.write(
              buildMbapFrame(transactionId, unitId, exceptionPdu(parsed.functionCode, parsed.exception)),
            );
    if (this.tail === null) {
      const result = step();
      if (result) this.track(result);
    } else {
      this.track(this.tail.then(step));
    }
  }

  private track(p: Promise<void>): void {
    const t: Promise<void> = p.then(() => {
      if (this.tail === t) this.tail = null;
    });
    this.tail = t;
  }

  /** Runs the handler; returns a promise only when the handler was asynchronous. */
  private handle(transactionId: number, req: ModbusRequest): Promise<void> | void {
    let result: ModbusReply | Promise<ModbusReply>;
    try {
      result = this.handler(req);
    } catch {
      return this.fail(transactionId, req);
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (reply) => this.reply(transactionId, req, reply),
        () => this.fail(transactionId, req),
      );
    }
    this.reply(transactionId, req, result);
  }

  private reply(transactionId: number, req: ModbusRequest, reply: ModbusReply): void {
    if ('drop' in reply) return;
    if ('raw' in reply) return this.write(reply.raw);
    let pdu: Buffer;
    if ('exception' in reply) {
      const code = reply.exception;
      const valid = Number.isInteger(code) && code >= 1 && code <= 255;
      pdu = exceptionPdu(req.functionCode, valid ? code : EXCEPTION.serverDeviceFailure);
    } else {
      try {
        pdu = buildReplyPdu(req, reply);
      } catch {
        pdu = exceptionPdu(req.functionCode, EXCEPTION.serverDeviceFailure);
      }
    }
    this.write(buildMbapFrame(transactionId, req.unitId, pdu));
  }

  /** §7 code 4, server device failure: the handler threw or rejected. */
  private fail(transactionId: number, req: ModbusRequest): void {
    this.write(
      buildMbapFrame(
        transactionId,
        req.unitId,
        exceptionPdu(req.functionCode, EXCEPTION.serverDeviceFailure),
      ),
    );
  }

  private write(frame: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(frame);
  }
}

function isPromiseLike<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
