/**
 * A bare TCP peer for server tests: sends bytes exactly as given and collects
 * reply frames by their MBAP length, so tests see the wire, not a client's view.
 */
import net from 'node:net';

export class RawPeer {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Buffer | number[]): Promise<void> {
    return new Promise((resolve) => this.socket.write(Buffer.from(bytes), () => resolve()));
  }

  /** Reads `n` whole MBAP frames, or fails after `ms`. */
  async frames(n: number, ms = 1000): Promise<Buffer[]> {
    const deadline = Date.now() + ms;
    const out: Buffer[] = [];
    while (out.length < n) {
      if (this.buf.length >= 6 && this.buf.length >= 6 + this.buf.readUInt16BE(4)) {
        const len = 6 + this.buf.readUInt16BE(4);
        out.push(this.buf.subarray(0, len));
        this.buf = this.buf.subarray(len);
        continue;
      }
      if (this.closed) throw new Error(`connection closed after ${out.length} of ${n} frame(s)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${out.length} of ${n} frame(s)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return out;
  }

  /** Resolves true if nothing at all arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.buf.length === 0;
  }

  /** Resolves when the server has closed the connection (or after `ms`, with false). */
  async waitClosed(ms = 1000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** MBAP request: transaction id, protocol 0, length, unit id, then the PDU bytes. */
export function mbap(tid: number, unit: number, pdu: number[], protocolId = 0): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(protocolId, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit;
  Buffer.from(pdu).copy(b, 7);
  return b;
}
