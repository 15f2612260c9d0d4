/**
 * The UDP transport handed to the library instead of its own. Why our own:
 * - it binds port 0 (the library turns port 0 into 47808), so tests and the
 *   simulator can take free ports and read back the one they got;
 * - it always names a peer 'host:port' — the library's names a 47808 peer by
 *   bare host, and then drops every request "from localhost" whose sender is
 *   exactly '127.0.0.1' (STACK.md trap 2);
 * - it lets the facade see each datagram first (to tell Reject from Abort, to
 *   drop answers from the wrong peer, to read BVLL results) and send the few
 *   raw frames the library has no call for (wire.ts);
 * - bad input never takes the process down: datagrams larger than any B/IP
 *   peer may send are dropped before the library sees them, and whatever the
 *   library throws while decoding is caught and reported (onBadDatagram);
 * - a client's confirmed requests can be sent as "no segmented answer".
 * Same contract as the library's dist/lib/transport.js.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { LibTransport } from './vendor.js';
import { MAX_BIP_DATAGRAM, refuseSegmentedResponses } from './wire.js';

export const BACNET_IP_PORT = 47808;
/** The library allocates every send buffer with this size (BVLC + NPDU + a 1476-octet APDU). */
const MAX_PAYLOAD = 1482;

export interface UdpTransportOptions {
  interface: string;
  port: number;
  /** 'host:port' */
  broadcastAddress: string;
  reuseAddr: boolean;
  /** Sees every datagram before the library does; returning false drops it. */
  onDatagram?: (buf: Buffer, from: string) => boolean | void;
  /** A datagram that was oversized, or that the library threw on while decoding. */
  onBadDatagram?: (buf: Buffer, from: string, reason: string) => void;
  /** Rewrite outgoing confirmed requests to refuse segmented answers (wire.ts). */
  refuseSegmented?: boolean;
  /** Sees every frame sent, after it is handed to the socket. */
  onSent?: (frame: Buffer, to: string) => void;
}

export class UdpTransport extends EventEmitter implements LibTransport {
  private readonly socket: Socket;
  private boundPort = 0;
  private isClosed = false;
  /** Our own broadcasts come back to us; remember them briefly to drop the echo (as the library's transport does). */
  private readonly recentBroadcasts: Buffer[] = [];
  readonly listening: Promise<number>;
  /** Settles once the socket is closed (at once if it never opened). */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(private readonly o: UdpTransportOptions) {
    super();
    this.socket = createSocket({ type: 'udp4', reuseAddr: o.reuseAddr });
    this.listening = new Promise<number>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.socket.once('error', onError);
      this.socket.once('listening', () => {
        this.socket.off('error', onError);
        this.socket.setBroadcast(true);
        this.boundPort = this.socket.address().port;
        resolve(this.boundPort);
      });
    });
    this.closed = new Promise<void>((resolve) => (this.markClosed = resolve));
    this.socket.on('close', () => this.markClosed());
    // Callers await `listening`; this keeps an unobserved bind failure from becoming an unhandled rejection.
    this.listening.catch(() => undefined);
    this.socket.on('message', (msg, rinfo) => {
      if (rinfo.port === this.boundPort && this.recentBroadcasts.some((b) => b.equals(msg))) return;
      const from = `${rinfo.address}:${rinfo.port}`;
      if (msg.length > MAX_BIP_DATAGRAM) {
        this.o.onBadDatagram?.(msg, from, `oversized datagram (${msg.length} > ${MAX_BIP_DATAGRAM} octets)`);
        return;
      }
      try {
        if (this.o.onDatagram?.(msg, from) === false) return;
        this.emit('message', msg, from);
      } catch (err) {
        // A malformed PDU that trips the library's decoder: report it, never crash the socket handler.
        this.o.onBadDatagram?.(msg, from, `undecodable datagram: ${(err as Error).message}`);
      }
    });
    this.socket.on('listening', () => this.emit('listening', this.socket.address()));
    this.socket.on('error', (err) => this.emit('error', err));
  }

  get port(): number {
    return this.boundPort;
  }

  getBroadcastAddress(): string {
    return this.o.broadcastAddress;
  }

  getMaxPayload(): number {
    return MAX_PAYLOAD;
  }

  open(): void {
    this.socket.bind(this.o.port, this.o.interface);
  }

  /** The library's send: `offset` is the frame length; no receiver means broadcast. */
  send(buffer: Buffer, offset: number, receiver?: string): void {
    const frame = Buffer.from(buffer.subarray(0, offset));
    if (this.o.refuseSegmented) refuseSegmentedResponses(frame);
    if (!receiver) {
      this.recentBroadcasts.push(frame);
      if (this.recentBroadcasts.length > 16) this.recentBroadcasts.shift();
    }
    this.sendFrame(frame, receiver ?? this.o.broadcastAddress);
  }

  /** Sends a complete BACnet/IP frame to 'host:port'. */
  sendFrame(frame: Buffer, to: string): void {
    if (this.isClosed) return;
    const { host, port } = splitAddress(to);
    this.socket.send(frame, port, host, (err) => {
      if (err && !this.isClosed) this.emit('error', err);
    });
    this.o.onSent?.(frame, to);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    try {
      this.socket.close();
    } catch {
      // never bound, or already closed: nothing will emit 'close'
      this.markClosed();
    }
  }
}

/** 'host:port' → parts; a bare host means the BACnet/IP port 47808 (Annex J.1). */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  if (i < 0) return { host: address, port: BACNET_IP_PORT };
  const port = Number(address.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`invalid BACnet/IP address "${address}": expected host:port`);
  }
  return { host: address.slice(0, i), port };
}

/** A broadcast address with a port: the given one, else the network's port (ours, or 47808 when ours is ephemeral). */
export function broadcastWithPort(broadcast: string | undefined, ownPort: number): string {
  const b = broadcast ?? '127.255.255.255';
  return b.includes(':') ? b : `${b}:${ownPort || BACNET_IP_PORT}`;
}
