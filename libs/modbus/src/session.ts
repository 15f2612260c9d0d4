/**
 * One Modbus connection (a TCP socket or a serial port) and the calls made on
 * it, one at a time. ModbusClient (client.ts) says what each call sends and
 * accepts; this file owns the rest:
 *
 * - Order: one request in flight; calls queue and run in call order. When one
 *   settles, the next is sent at once, without waiting for a microtask.
 * - Timeouts: the link times each request out itself (modbus-serial over
 *   RTU, mbap-link.ts over TCP); a backstop (GUARD_MS later) fails it should
 *   that timer never fire. The backstop is a deadline checked by one timer per
 *   session, not a timer per request.
 * - Framing: over TCP, after a timeout or a bad response the connection is
 *   dropped, because a truncated or garbled frame leaves the byte stream
 *   unframeable (MBAP lengths can no longer be trusted) and a late reply must
 *   not be taken for the next one; the next call opens a fresh connection.
 *   mbap-link.ts names garbage at once and a timeout with part of a frame
 *   received as a truncated frame; both are kind 'bad-response'. Over RTU the
 *   port stays open: modbus-serial's buffered port resynchronises on unit id
 *   and function code. RTU has no transaction id, so a reply arriving after
 *   its own timeout could be taken for the next request to the same unit and
 *   function; an inter-request delay at least as long as a slow device's
 *   lateness avoids it.
 * - Lost connection: when the peer closes the connection, the request in
 *   flight fails at once with kind 'connection'. Each later call reconnects
 *   first (one attempt, bounded by the timeout); if that fails, the call fails
 *   with kind 'connection'. No back-off here: the bus scheduler that owns the
 *   polling rhythm decides how often to try (CONVENTIONS.md habit 2).
 * - close() fails the request in flight and every queued one with
 *   'connection'; the session does not reconnect after close().
 */
import { ModbusError, toModbusError } from './errors.js';
import type { RawModbus } from './raw-modbus.js';

/** Backstop beyond the link's own per-request timer, should that timer never fire. */
const GUARD_MS = 1000;

export interface Transport {
  kind: 'tcp' | 'rtu';
  label: string;
  /** Connect timeout, and the request timeout unless a call brings its own. */
  timeoutMs: number;
  /** A new, unopened link: modbus-serial for RTU, mbap-link.ts for TCP. */
  create(): RawModbus;
  open(raw: RawModbus): Promise<void>;
}

/** One request: what it sends, how its reply is checked, and how it is named in errors. */
export interface Call<R, T> {
  /** Names the request in error messages; a function, so a request that succeeds never builds the string. */
  context: () => string;
  unitId: number;
  timeoutMs: number;
  send: (raw: RawModbus) => Promise<R>;
  /** Checks the reply and returns the call's result; throws a ModbusError for a reply that is wrong. */
  accept: (reply: R) => T;
}

/** How a call started with callThen reports: once, with ok and its result or its ModbusError. */
export type CallDone = (ok: boolean, value: unknown) => void;

/** A call and whom to tell: its promise (call), or a callback (callThen). */
interface Job {
  call: Call<unknown, unknown>;
  resolve?: (value: unknown) => void;
  reject?: (error: unknown) => void;
  done?: CallDone;
}

/** A request on the wire: its job, the connection it went out on, and when the backstop fails it. */
interface Sent {
  job: Job;
  raw: RawModbus;
  deadline: number;
}

export class ModbusSession {
  private raw: RawModbus | null = null;
  private closed = false;
  /** The call being served (connecting, or on the wire); the others wait in `queue`. */
  private serving: Job | null = null;
  private readonly queue: Job[] = [];
  private sent: Sent | null = null;
  /** Fails the connect in progress when the session is closed. */
  private abortConnect: ((err: ModbusError) => void) | null = null;
  private backstop: ReturnType<typeof setTimeout> | null = null;
  private backstopAt = Infinity;

  constructor(readonly transport: Transport) {}

  get isOpen(): boolean {
    return !this.closed && this.raw !== null && this.raw.isOpen;
  }

  /** Opens the connection now (the factories fail fast on a device that is not there). */
  async open(): Promise<void> {
    await this.connect();
  }

  call<R, T>(call: Call<R, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => this.enqueue({ call, resolve, reject } as Job));
  }

  /** call() reporting to `done` instead of a promise: a scan's reads spare a promise and its reaction each. */
  callThen<R, T>(call: Call<R, T>, done: CallDone): void {
    this.enqueue({ call, done } as Job);
  }

  private enqueue(job: Job): void {
    if (this.serving) this.queue.push(job);
    else this.serve(job);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abortConnect?.(new ModbusError('connection', 'client closed'));
    const sent = this.sent;
    if (sent) {
      this.sent = null;
      this.fail(sent, new ModbusError('connection', `${sent.job.call.context()}: client closed`));
    }
    if (this.backstop !== null) clearTimeout(this.backstop);
    this.backstop = null;
    this.backstopAt = Infinity;
    const raw = this.raw;
    this.raw = null;
    if (raw) await this.release(raw);
  }

  private serve(job: Job): void {
    this.serving = job;
    const raw = this.raw;
    if (raw !== null && raw.isOpen) this.send(job, raw);
    else if (this.closed) this.settle(job, false, this.closedError(job));
    else
      this.connect().then(
        (opened) => this.send(job, opened),
        (err: unknown) => this.settle(job, false, err),
      );
  }

  private send(job: Job, raw: RawModbus): void {
    if (this.closed) return this.settle(job, false, this.closedError(job));
    const { call } = job;
    raw.setID(call.unitId);
    raw.setTimeout(call.timeoutMs); // the link arms its timer when the frame is written, with the value set now
    const sent: Sent = { job, raw, deadline: Date.now() + call.timeoutMs + GUARD_MS };
    this.sent = sent;
    if (sent.deadline < this.backstopAt) this.armBackstop(sent.deadline);
    let reply: Promise<unknown>;
    try {
      reply = call.send(raw);
    } catch (err) {
      return this.failed(sent, err);
    }
    reply.then(
      (r) => this.replied(sent, r),
      (err: unknown) => this.failed(sent, err),
    );
  }

  private replied(sent: Sent, reply: unknown): void {
    if (this.sent !== sent) return; // already failed: backstop, garbage, lost connection or close()
    this.sent = null;
    let value: unknown;
    try {
      value = sent.job.call.accept(reply);
    } catch (err) {
      return this.fail(sent, toModbusError(err, sent.job.call.context(), 'request'));
    }
    this.settle(sent.job, true, value);
  }

  private failed(sent: Sent, err: unknown): void {
    if (this.sent !== sent) return;
    this.sent = null;
    // Classified here: modbus-serial rejects with plain objects (timeouts, closed port), not Errors.
    this.fail(sent, toModbusError(err, sent.job.call.context(), 'request'));
  }

  /** Drops a connection whose framing is lost, then settles the call. */
  private fail(sent: Sent, e: ModbusError): void {
    const framingLost = this.transport.kind === 'tcp' && (e.kind === 'timeout' || e.kind === 'bad-response');
    if (e.kind === 'connection' || framingLost)
      void this.drop(sent.raw).then(() => this.settle(sent.job, false, e));
    else this.settle(sent.job, false, e);
  }

  /** Settles a call and sends the next one waiting. */
  private settle(job: Job, ok: boolean, value: unknown): void {
    this.serving = null;
    const next = this.queue.shift();
    try {
      if (job.done) job.done(ok, value);
      else if (ok) job.resolve!(value);
      else job.reject!(value);
    } finally {
      if (next) this.serve(next); // a callback that throws must not stall the queue
    }
  }

  private closedError(job: Job): ModbusError {
    return new ModbusError('connection', `${job.call.context()}: client is closed`);
  }

  private armBackstop(at: number): void {
    if (this.backstop !== null) clearTimeout(this.backstop);
    this.backstopAt = at;
    this.backstop = setTimeout(this.onBackstop, Math.max(0, at - Date.now()));
  }

  /** Fails the request in flight if it is past its deadline; otherwise waits for its deadline (or nothing). */
  private readonly onBackstop = (): void => {
    this.backstop = null;
    this.backstopAt = Infinity;
    const sent = this.sent;
    if (!sent) return;
    if (Date.now() < sent.deadline) return this.armBackstop(sent.deadline);
    this.sent = null;
    this.fail(sent, new ModbusError('timeout', `${sent.job.call.context()}: no response (timed out)`));
  };

  /** The peer closed the connection: the request in flight fails now. */
  private lost(raw: RawModbus): void {
    if (this.raw !== raw) return;
    this.raw = null;
    const sent = this.sent;
    if (sent !== null && sent.raw === raw) {
      this.sent = null;
      this.fail(sent, new ModbusError('connection', `${sent.job.call.context()}: connection closed by peer`));
    }
  }

  /** (Re)opens the transport; any failure is kind 'connection'. */
  private async connect(): Promise<RawModbus> {
    if (this.raw) await this.drop(this.raw);
    const raw = this.transport.create();
    raw.setTimeout(this.transport.timeoutMs);
    raw.on('error', () => undefined); // serial port errors surface as failed requests, never as a crash
    raw.on('close', () => this.lost(raw));
    const context = `${this.transport.label}: connect`;
    try {
      await this.bounded(this.transport.open(raw), context);
    } catch (err) {
      await this.release(raw);
      const e = toModbusError(err, context, 'connect'); // the backstop's 'timeout' included
      throw e.kind === 'connection' ? e : new ModbusError('connection', e.message, { cause: e });
    }
    if (this.closed) {
      await this.release(raw);
      throw new ModbusError('connection', `${context}: client closed`);
    }
    this.raw = raw;
    return raw;
  }

  /** The connect, failed when it outlasts the backstop or the session is closed meanwhile. */
  private bounded(opening: Promise<void>, context: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (err?: ModbusError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abortConnect = null;
        if (err === undefined) resolve();
        else reject(err);
      };
      const timer = setTimeout(
        () => done(new ModbusError('timeout', `${context}: no response (timed out)`)),
        this.transport.timeoutMs + GUARD_MS,
      );
      this.abortConnect = (err) => done(new ModbusError(err.kind, `${context}: ${err.message}`));
      opening.then(
        () => done(),
        (err: unknown) => done(toModbusError(err, context, 'connect')),
      );
    });
  }

  private async drop(raw: RawModbus): Promise<void> {
    if (this.raw === raw) this.raw = null;
    await this.release(raw);
  }

  /** TCP: destroy the socket (end() would wait for a peer that may be gone). RTU: close the port. */
  private release(raw: RawModbus): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.transport.timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      try {
        if (this.transport.kind === 'tcp') raw.destroy(done);
        else raw.close(done);
      } catch {
        done();
      }
    });
  }
}
