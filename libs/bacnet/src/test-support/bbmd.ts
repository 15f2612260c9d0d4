/**
 * A minimal BACnet Broadcast Management Device (ASHRAE 135 Annex J.4, J.5)
 * for tests, on raw UDP: just what foreign-device registration needs.
 *
 * Loopback has no subnet to broadcast on, so the BBMD is given the addresses
 * of the devices "on its subnet" (`served`); a broadcast on that subnet is
 * delivered to each of them, and a served device "broadcasts" by sending an
 * Original-Broadcast-NPDU to the BBMD (point its broadcastAddress here).
 *
 * - Register-Foreign-Device (J.2.6): adds or refreshes an FDT entry that
 *   lives TTL + grace seconds (J.5.2.3; grace 30 s, configurable here so tests
 *   can expire entries quickly); answers BVLC-Result (J.2.1).
 * - Read-Foreign-Device-Table (J.2.7) and Delete-Foreign-Device-Table-Entry
 *   (J.2.9).
 * - Distribute-Broadcast-To-Network (J.2.10) from a registered foreign
 *   device: forwarded as Forwarded-NPDU (J.2.5, originator = the foreign
 *   device) to every served device and every other foreign device; from an
 *   unregistered sender: BVLC-Result NAK 0x0060 (J.4.5).
 * - Original-Broadcast-NPDU from a served device (its local broadcast, e.g.
 *   an I-Am): forwarded as Forwarded-NPDU to every foreign device.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import {
  BVLC,
  BVLC_RESULT,
  BVLC_TYPE_BIP,
  bipAddressOctets,
  encodeBvlcResult,
  readBipAddress,
} from '../wire.js';

export interface BbmdOptions {
  interface?: string;
  port?: number;
  /** 'host:port' of the devices on the BBMD's own subnet. */
  served?: string[];
  /** Seconds an FDT entry outlives its TTL (J.5.2.3: 30). */
  graceSeconds?: number;
  /** NAK every registration (Register-Foreign-Device NAK, 0x0030). */
  refuseRegistrations?: boolean;
}

export interface FdtEntry {
  address: string;
  ttlSeconds: number;
  expiresAt: number;
}

export interface BbmdStats {
  registrations: number;
  distributed: number;
  forwardedToForeign: number;
  naks: number;
}

export class TestBbmd {
  private readonly socket: Socket = createSocket('udp4');
  private readonly fdt = new Map<string, FdtEntry>();
  private readonly servedSet: Set<string>;
  private readonly counts: BbmdStats = { registrations: 0, distributed: 0, forwardedToForeign: 0, naks: 0 };
  address = '';

  constructor(private readonly o: BbmdOptions = {}) {
    this.servedSet = new Set(o.served ?? []);
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, `${rinfo.address}:${rinfo.port}`));
    this.socket.on('error', () => undefined);
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.o.port ?? 0, this.o.interface ?? '127.0.0.1', () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    const a = this.socket.address();
    this.address = `${a.address}:${a.port}`;
    return this.address;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  /** Puts a device on (or takes it off) the BBMD's subnet, e.g. after it moved. */
  serve(address: string, on = true): void {
    if (on) this.servedSet.add(address);
    else this.servedSet.delete(address);
  }

  /** The live foreign-device table. */
  table(): FdtEntry[] {
    this.expire();
    return [...this.fdt.values()];
  }

  stats(): BbmdStats {
    return { ...this.counts };
  }

  private onMessage(msg: Buffer, from: string): void {
    if (msg.length < 4 || msg[0] !== BVLC_TYPE_BIP || msg.readUInt16BE(2) !== msg.length) return;
    this.expire();
    switch (msg[1]) {
      case BVLC.REGISTER_FOREIGN_DEVICE:
        return this.register(msg, from);
      case BVLC.READ_FDT:
        return this.send(this.fdtAck(), from);
      case BVLC.DELETE_FDT_ENTRY: {
        if (msg.length !== 10) return;
        const gone = this.fdt.delete(readBipAddress(msg, 4));
        return this.send(
          encodeBvlcResult(gone ? BVLC_RESULT.SUCCESS : BVLC_RESULT.DELETE_FDT_ENTRY_NAK),
          from,
        );
      }
      case BVLC.DISTRIBUTE_BROADCAST_TO_NETWORK: {
        if (!this.fdt.has(from)) {
          this.counts.naks++;
          return this.send(encodeBvlcResult(BVLC_RESULT.DISTRIBUTE_BROADCAST_TO_NETWORK_NAK), from);
        }
        this.counts.distributed++;
        const fwd = forwarded(msg.subarray(4), from);
        for (const d of this.servedSet) this.send(fwd, d);
        for (const fd of this.fdt.keys()) if (fd !== from) this.send(fwd, fd);
        return;
      }
      case BVLC.ORIGINAL_BROADCAST_NPDU: {
        if (!this.servedSet.has(from)) return;
        const fwd = forwarded(msg.subarray(4), from);
        for (const fd of this.fdt.keys()) {
          this.counts.forwardedToForeign++;
          this.send(fwd, fd);
        }
        return;
      }
      default:
        return; // Original-Unicast to the BBMD itself, BDT messages, peers' Forwarded-NPDUs: not needed here
    }
  }

  private register(msg: Buffer, from: string): void {
    if (msg.length !== 6) return;
    if (this.o.refuseRegistrations) {
      this.counts.naks++;
      return this.send(encodeBvlcResult(BVLC_RESULT.REGISTER_FOREIGN_DEVICE_NAK), from);
    }
    const ttlSeconds = msg.readUInt16BE(4);
    const grace = this.o.graceSeconds ?? 30;
    this.fdt.set(from, { address: from, ttlSeconds, expiresAt: Date.now() + (ttlSeconds + grace) * 1000 });
    this.counts.registrations++;
    this.send(encodeBvlcResult(BVLC_RESULT.SUCCESS), from);
  }

  /** Read-Foreign-Device-Table-Ack (J.2.8): per entry the B/IP address, TTL and seconds remaining. */
  private fdtAck(): Buffer {
    const entries = [...this.fdt.values()];
    const len = 4 + entries.length * 10;
    const out = Buffer.alloc(len);
    out.writeUInt8(BVLC_TYPE_BIP, 0);
    out.writeUInt8(BVLC.READ_FDT_ACK, 1);
    out.writeUInt16BE(len, 2);
    entries.forEach((e, i) => {
      Buffer.from(bipAddressOctets(e.address)).copy(out, 4 + i * 10);
      out.writeUInt16BE(e.ttlSeconds, 10 + i * 10);
      out.writeUInt16BE(
        Math.max(0, Math.min(0xffff, Math.ceil((e.expiresAt - Date.now()) / 1000))),
        12 + i * 10,
      );
    });
    return out;
  }

  private expire(): void {
    const now = Date.now();
    for (const [k, e] of this.fdt) if (e.expiresAt <= now) this.fdt.delete(k);
  }

  private send(frame: Buffer, to: string): void {
    const i = to.lastIndexOf(':');
    this.socket.send(frame, Number(to.slice(i + 1)), to.slice(0, i), () => undefined);
  }
}

/** Forwarded-NPDU (J.2.5): BVLL header, the originator's B/IP address, then the NPDU unchanged. */
function forwarded(npdu: Buffer, originator: string): Buffer {
  const len = 10 + npdu.length;
  return Buffer.concat([
    Buffer.from([BVLC_TYPE_BIP, BVLC.FORWARDED_NPDU, len >> 8, len & 0xff, ...bipAddressOctets(originator)]),
    npdu,
  ]);
}
