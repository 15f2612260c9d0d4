/**
 * A "device" on raw UDP that answers each confirmed request with whatever a
 * test scripts: garbage, truncated or oversized PDUs, Reject/Abort/Error PDUs
 * with odd reasons. The client must turn each into a named error, in time,
 * and keep working (issue 3, bad input).
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { PDU_CONFIRMED_REQUEST, peekApdu } from '../wire.js';

/** What to send back for a request with `invokeId`; undefined stays silent. */
export type Answer = (invokeId: number) => Buffer | Buffer[] | undefined;

/** A BVLL Original-Unicast-NPDU with a plain NPCI around `apdu` (Annex J.2.11, §6.2.2). */
export function unicast(apdu: number[] | Buffer): Buffer {
  const body = Buffer.from(apdu);
  const len = 6 + body.length;
  return Buffer.concat([Buffer.from([0x81, 0x0a, len >> 8, len & 0xff, 0x01, 0x00]), body]);
}

export class RoguePeer {
  private readonly socket: Socket = createSocket('udp4');
  answer: Answer = () => undefined;
  requests = 0;
  address = '';

  constructor() {
    this.socket.on('message', (msg, rinfo) => {
      const p = peekApdu(msg);
      if (p?.pduType !== PDU_CONFIRMED_REQUEST) return;
      this.requests++;
      const out = this.answer(msg[p.offset + 2]);
      for (const frame of out === undefined ? [] : Array.isArray(out) ? out : [out]) {
        this.socket.send(frame, rinfo.port, rinfo.address, () => undefined);
      }
    });
    this.socket.on('error', () => undefined);
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', () => resolve()));
    this.address = `127.0.0.1:${this.socket.address().port}`;
    return this.address;
  }

  /** Sends a datagram to `to` unasked (floods, answers from the wrong peer). */
  send(frame: Buffer, to: string): void {
    const i = to.lastIndexOf(':');
    this.socket.send(frame, Number(to.slice(i + 1)), to.slice(0, i), () => undefined);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
