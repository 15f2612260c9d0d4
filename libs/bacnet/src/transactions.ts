/**
 * Confirmed-request transactions of the client (ASHRAE 135 §5.4): every
 * request gets an invoke id from our own pool, a slot under the per-device
 * bound, our own timer (STACK.md trap 1), and a named error (trap 3).
 *
 * §5.4 identifies a transaction by invoke id *and* peer address; the library
 * matches answers by invoke id alone, so an answer from another peer (a late
 * one, a confused device, a spoofed one) could settle our request. The
 * transport shows us every datagram first (`inspect`): answers from the wrong
 * peer are dropped, Reject PDUs are told from Aborts, and an oversized or
 * undecodable answer from the right peer fails its request at once as a
 * 'decode' error instead of leaving it to time out (`bad`).
 */
import { BacnetError, timeoutError, toBacnetError } from './errors.js';
import { InvokeIdPool, PerKeyLimiter, TimeoutSignal, raceTimeout } from './request-control.js';
import { PDU_REJECT, peekApdu } from './wire.js';

interface Pending {
  /** Normalised 'host:port' of the peer, or undefined when it is a name we cannot compare. */
  peer?: string;
  /** Emptied once the request settles (see run()). */
  fail: (err: BacnetError) => void;
}

const settled = (): void => undefined;

export class Transactions {
  private readonly ids = new InvokeIdPool();
  private readonly limiter: PerKeyLimiter;
  /** Invoke ids whose answer was a Reject PDU (the library reports it as an abort). */
  private readonly rejected = new Set<number>();
  private readonly pending = new Map<number, Pending>();
  private droppedCount = 0;

  constructor(
    private readonly timeoutMs: number,
    maxInFlightPerDevice: number,
  ) {
    this.limiter = new PerKeyLimiter(maxInFlightPerDevice);
  }

  /** Answers dropped because they came from another peer than the request went to. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Transport hook: false drops the datagram before the library sees it. */
  inspect(buf: Buffer, from: string): boolean {
    const p = peekApdu(buf);
    if (p?.invokeId === undefined) return true;
    const pending = this.pending.get(p.invokeId);
    if (!pending) return true;
    const sender = p.forwardedFrom ?? from;
    if (pending.peer !== undefined && sender !== pending.peer && from !== pending.peer) {
      this.droppedCount++;
      return false;
    }
    if (p.pduType === PDU_REJECT) this.rejected.add(p.invokeId);
    return true;
  }

  /** Transport hook: an oversized or undecodable datagram; fails the request it answers, if any. */
  bad(buf: Buffer, from: string, reason: string): void {
    const p = peekApdu(buf);
    if (p?.invokeId === undefined) return;
    const pending = this.pending.get(p.invokeId);
    if (!pending || (pending.peer !== undefined && (p.forwardedFrom ?? from) !== pending.peer)) return;
    pending.fail(new BacnetError('decode', `${reason} from ${from}`));
  }

  /** One confirmed request: bounded per device, our own invoke id, our own timer, named errors. */
  run<T>(
    address: string,
    context: string,
    call: (invokeId: number) => Promise<T>,
    isClosed: () => boolean,
  ): Promise<T> {
    return this.limiter.run(address, async () => {
      if (isClosed()) throw new BacnetError('abort', `BACnet client closed: ${context}`);
      const invokeId = await this.ids.acquire();
      this.rejected.delete(invokeId);
      let failFromWire!: (err: BacnetError) => void;
      const wireFailure = new Promise<never>((_, reject) => (failFromWire = reject));
      wireFailure.catch(() => undefined);
      const entry: Pending = { peer: comparablePeer(address), fail: failFromWire };
      this.pending.set(invokeId, entry);
      // An id whose answer never came is kept out of use for a while, so a late answer settles nothing.
      const quarantineMs = Math.max(2 * this.timeoutMs, 1000);
      try {
        const result = await raceTimeout(
          Promise.race([(async () => call(invokeId))(), wireFailure]),
          this.timeoutMs,
        );
        this.ids.release(invokeId);
        return result;
      } catch (err) {
        if (isClosed()) {
          this.ids.release(invokeId);
          throw new BacnetError('abort', `BACnet client closed: ${context}`);
        }
        if (err instanceof TimeoutSignal) {
          this.ids.release(invokeId, quarantineMs);
          throw timeoutError(context, this.timeoutMs);
        }
        const named =
          err instanceof BacnetError && err.kind === 'decode'
            ? new BacnetError('decode', `${err.message}: ${context}`)
            : toBacnetError(err, context, this.rejected.has(invokeId));
        this.ids.release(invokeId, named.kind === 'timeout' || named.kind === 'decode' ? quarantineMs : 0);
        throw named;
      } finally {
        this.rejected.delete(invokeId);
        this.pending.delete(invokeId);
        // Through `fail` an entry reaches the answer (the never-settled wire promise holds the race that resolved
        // with it), and a deleted entry of this long-lived Map stayed reachable for young-generation GCs (V8
        // keeps a Map's outgrown tables until a full GC): every answer was promoted to the old generation and each
        // scavenge took 5x longer (bench:scan, --trace-gc). Emptying `fail` cuts the path.
        entry.fail = settled;
      }
    });
  }
}

/** 'a.b.c.d:port' as the transport names senders; undefined for host names (answers then match by invoke id only). */
export function comparablePeer(address: string): string | undefined {
  const i = address.lastIndexOf(':');
  const host = i < 0 ? address : address.slice(0, i);
  const port = i < 0 ? '47808' : address.slice(i + 1);
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? `${host}:${Number(port)}` : undefined;
}
