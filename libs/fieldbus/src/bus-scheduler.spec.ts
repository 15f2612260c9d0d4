import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { BusScheduler } from './bus-scheduler.js';
import type { BusSchedulerOptions } from './bus-scheduler.js';
import { sleep } from './clock.js';
import type { RequestKind } from './driver-port.js';
import { FieldbusError } from './errors.js';
import { FakeClock } from './fake-clock.js';

interface Event {
  at: number;
  what: 'submit' | 'start' | 'end';
  id: string;
}

/** A bus on a fake clock whose requests take `ms` and log when they start and end. */
function harness(options: Partial<BusSchedulerOptions> = {}) {
  const clock = new FakeClock(1000);
  const bus = new BusScheduler({ name: 'test', maxInFlight: 1, clock, random: () => 0, ...options });
  const events: Event[] = [];
  let live = 0;
  let peak = 0;
  const request = (id: string, ms: number, fail?: FieldbusError) => async () => {
    events.push({ at: clock.now(), what: 'start', id });
    peak = Math.max(peak, ++live);
    await sleep(clock, ms);
    live--;
    events.push({ at: clock.now(), what: 'end', id });
    if (fail) throw fail;
    return id;
  };
  const settled = new Map<string, { ok: boolean; value: unknown; at: number }>();
  const submit = (kind: RequestKind, device: string, id: string, ms: number, fail?: FieldbusError) => {
    events.push({ at: clock.now(), what: 'submit', id });
    const p = bus.submit(kind, device, request(id, ms, fail));
    p.then(
      (value) => settled.set(id, { ok: true, value, at: clock.now() }),
      (value: unknown) => settled.set(id, { ok: false, value, at: clock.now() }),
    );
    return p;
  };
  const starts = () => events.filter((e) => e.what === 'start').map((e) => e.id);
  return { clock, bus, events, submit, settled, starts, peak: () => peak };
}

const timeout = () => new FieldbusError('timeout', 'no response');

describe('BusScheduler', () => {
  it('keeps exactly one request in flight on a serial line', async () => {
    const h = harness({ maxInFlight: 1 });
    for (let i = 0; i < 5; i++) void h.submit('poll', `d${i % 2}`, `p${i}`, 10);
    await h.clock.advance(100);
    expect(h.peak()).toBe(1);
    expect(h.starts()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(h.clock.now()).toBe(1100);
    expect(h.bus.stats).toMatchObject({ succeeded: 5, failed: 0, peakInFlight: 1, inFlight: 0 });
  });

  it('keeps a configurable few in flight on a TCP device', async () => {
    const h = harness({ maxInFlight: 3 });
    for (let i = 0; i < 7; i++) void h.submit('poll', 'd', `p${i}`, 10);
    await h.clock.advance(5);
    expect(h.starts()).toEqual(['p0', 'p1', 'p2']);
    await h.clock.advance(100);
    expect(h.peak()).toBe(3);
    expect(h.settled.size).toBe(7);
  });

  it('starts a write before every queued poll, and keeps each kind in submission order', async () => {
    const h = harness();
    void h.submit('poll', 'a', 'p1', 10); // goes at once
    void h.submit('poll', 'b', 'p2', 10);
    void h.submit('poll', 'c', 'p3', 10);
    await h.clock.advance(2);
    void h.submit('write', 'c', 'w1', 10);
    void h.submit('write', 'a', 'w2', 10);
    await h.clock.advance(100);
    expect(h.starts()).toEqual(['p1', 'w1', 'w2', 'p2', 'p3']);
    // w1 waited only for the poll in flight: 10 ms of it had 8 ms left.
    expect(h.events.find((e) => e.id === 'w1' && e.what === 'start')!.at).toBe(1010);
  });

  it('keeps the bus silent for the inter-request delay of the bus and of a slow device', async () => {
    const h = harness({ interRequestDelayMs: 5 });
    h.bus.configureDevice('slow', { interRequestDelayMs: 50 });
    void h.submit('poll', 'fast', 'a', 10);
    void h.submit('poll', 'slow', 'b', 10);
    void h.submit('poll', 'fast', 'c', 10);
    void h.submit('poll', 'fast', 'd', 10);
    await h.clock.advance(500);
    const startAt = (id: string) => h.events.find((e) => e.id === id && e.what === 'start')!.at;
    expect([startAt('a'), startAt('b'), startAt('c'), startAt('d')]).toEqual([1000, 1015, 1075, 1090]);
  });

  it('opens a dead device’s breaker: its queued requests fail at once, its neighbours go on', async () => {
    const h = harness({ breaker: { baseMs: 1000, maxMs: 8000 } });
    void h.submit('poll', 'dead', 'd1', 200, timeout());
    void h.submit('poll', 'dead', 'd2', 200, timeout());
    void h.submit('poll', 'ok', 'o1', 10);
    await h.clock.advance(1);
    void h.submit('write', 'dead', 'dw', 10);
    await h.clock.advance(300);
    // The write was queued behind the dead device's poll in flight; when that timed out, it failed at once.
    expect(h.starts()).toEqual(['d1', 'o1']);
    expect(h.settled.get('d1')).toMatchObject({ ok: false, at: 1200 });
    for (const id of ['d2', 'dw']) {
      expect(h.settled.get(id)).toMatchObject({ ok: false, at: 1200 });
      expect((h.settled.get(id)!.value as FieldbusError).code).toBe('breaker-open');
    }
    expect(h.settled.get('o1')).toMatchObject({ ok: true, at: 1210 });
    expect(h.bus.breakerState('dead')).toMatchObject({ state: 'open', failures: 1, retryAt: 2200 });
    // New requests fail without touching the bus, with a message that says why and until when.
    await expect(h.bus.submit('poll', 'dead', () => Promise.resolve(1))).rejects.toMatchObject({
      code: 'breaker-open',
      message: expect.stringMatching(
        /breaker open after 1 failure\(s\) \(last: timeout\), next attempt in \d+ ms/,
      ),
    });
    expect(h.bus.breakerState('ok').state).toBe('closed');
  });

  it('lets one probe through after the backoff; its success closes the breaker', async () => {
    const h = harness({ breaker: { baseMs: 1000, maxMs: 8000 } });
    void h.submit('poll', 'd', 'first', 100, timeout());
    await h.clock.advance(1100); // failed at 1100, open until 2100
    expect(h.bus.breakerState('d').state).toBe('half-open');
    void h.submit('poll', 'd', 'probe', 10);
    void h.submit('poll', 'd', 'after', 10);
    await h.clock.advance(5);
    expect(h.bus.breakerState('d').state).toBe('half-open');
    expect(h.starts()).toEqual(['first', 'probe']); // 'after' waits for the probe's outcome
    await h.clock.advance(50);
    expect(h.starts()).toEqual(['first', 'probe', 'after']);
    expect(h.bus.breakerState('d')).toEqual({ state: 'closed', failures: 0, retryAt: null, lastError: null });
  });

  it('doubles the backoff after each failed probe up to the maximum, less the jitter drawn', async () => {
    let r = 0;
    const h = harness({ breaker: { baseMs: 100, maxMs: 350, jitter: 0.5 }, random: () => r });
    const backoffs: number[] = [];
    for (const draw of [0, 0, 0, 0, 1]) {
      r = draw;
      const at = h.bus.breakerState('d').retryAt ?? h.clock.now();
      await h.clock.advance(Math.max(0, at - h.clock.now()));
      void h.submit('poll', 'd', `x${backoffs.length}`, 10, timeout());
      await h.clock.advance(10);
      backoffs.push(h.bus.breakerState('d').retryAt! - h.clock.now());
    }
    // 100, 200, 350 (cap), 350, then 350 × (1 − 0.5 × 1) with the largest draw.
    expect(backoffs).toEqual([100, 200, 350, 350, 175]);
  });

  it('does not trip on an exception reply: the device answered', async () => {
    const h = harness();
    void h.submit('poll', 'd', 'e', 10, new FieldbusError('modbus-exception:illegal-data-address', 'no'));
    void h.submit('poll', 'd', 'next', 10);
    await h.clock.advance(50);
    expect(h.settled.get('next')).toMatchObject({ ok: true });
    expect(h.bus.breakerState('d').state).toBe('closed');
  });

  it('fails a request whose promise never settles with a timeout and frees the bus (no hung bus)', async () => {
    const h = harness();
    const hung = h.bus.submit('poll', 'd', () => new Promise<never>(() => undefined), { timeoutMs: 300 });
    const caught = hung.catch((e: unknown) => e);
    void h.submit('poll', 'other', 'o', 10);
    await h.clock.advance(400);
    expect(await caught).toMatchObject({ code: 'timeout', message: expect.stringContaining('backstop') });
    expect(h.settled.get('o')).toMatchObject({ ok: true, at: 1310 });
  });

  it('fails each hung request at its own deadline, though one timer serves every backstop on the bus', async () => {
    const h = harness();
    const quick = h.bus.submit('poll', 'd', () => sleep(h.clock, 100).then(() => 'quick'), {
      timeoutMs: 300,
    });
    await h.clock.advance(200);
    expect(await quick).toBe('quick');
    // Started at 1200 with a 300 ms backstop: the timer armed for the first request (1300) must not fail it early.
    const hung = h.bus.submit('poll', 'd', () => new Promise<never>(() => undefined), { timeoutMs: 300 });
    let failedAt: number | undefined;
    hung.catch(() => (failedAt = h.clock.now()));
    await h.clock.advance(299);
    expect(failedAt).toBeUndefined();
    await h.clock.advance(1);
    expect(failedAt).toBe(1500);
    await expect(hung).rejects.toMatchObject({ code: 'timeout' });
  });

  it('treats a synchronous throw in a request like a rejection', async () => {
    const h = harness();
    const p = h.bus.submit('poll', 'd', () => {
      throw new FieldbusError('bad-response', 'garbage');
    });
    await expect(p).rejects.toMatchObject({ code: 'bad-response' });
    expect(h.bus.breakerState('d').state).toBe('open');
  });

  describe('submitTask (a request that reports by callback)', () => {
    it('settles with what the task reports, in the same order and slots as submit', async () => {
      const h = harness();
      const order: string[] = [];
      const task =
        (id: string, ms: number) =>
        (done: (ok: boolean, value: unknown) => void): void => {
          order.push(id);
          void sleep(h.clock, ms).then(() => done(true, id));
        };
      const a = h.bus.submitTask('poll', 'd', task('a', 10));
      const b = h.bus.submitTask('poll', 'd', task('b', 10));
      const w = h.bus.submitTask('write', 'd', task('w', 10));
      await h.clock.advance(5);
      expect(order).toEqual(['w']); // the write jumped ahead of both queued polls
      await h.clock.advance(100);
      expect(await Promise.all([a, b, w])).toEqual(['a', 'b', 'w']);
      expect(order).toEqual(['w', 'a', 'b']);
      expect(h.bus.stats).toMatchObject({ succeeded: 3, failed: 0, peakInFlight: 1 });
    });

    it('a device failure it reports opens the breaker and fails the device’s queued requests at once', async () => {
      const h = harness();
      const failing = h.bus.submitTask('poll', 'dead', (done) => {
        void sleep(h.clock, 100).then(() => done(false, timeout()));
      });
      const queued = h.bus.submitTask('poll', 'dead', (done) => done(true, 'never'));
      const caught = [failing.catch((e: unknown) => e), queued.catch((e: unknown) => e)];
      await h.clock.advance(100);
      expect(await Promise.all(caught)).toMatchObject([{ code: 'timeout' }, { code: 'breaker-open' }]);
      expect(h.bus.breakerState('dead').state).toBe('open');
    });

    it('counts only the first report, a synchronous throw as a failure, and a task that never reports times out', async () => {
      const h = harness();
      const twice = h.bus.submitTask('poll', 'a', (done) => {
        done(true, 'first');
        done(false, timeout());
      });
      const thrown = h.bus.submitTask('poll', 'b', () => {
        throw new FieldbusError('bad-response', 'garbage');
      });
      const silent = h.bus.submitTask('poll', 'c', () => undefined, { timeoutMs: 300 });
      const caught = [thrown.catch((e: unknown) => e), silent.catch((e: unknown) => e)];
      await h.clock.advance(400);
      expect(await twice).toBe('first');
      expect(await Promise.all(caught)).toMatchObject([
        { code: 'bad-response' },
        { code: 'timeout', message: expect.stringContaining('backstop') },
      ]);
      expect(h.bus.breakerState('a').state).toBe('closed');
      expect(h.bus.stats).toMatchObject({ succeeded: 1, failed: 2, inFlight: 0 });
    });
  });

  it('on close fails the queued requests and refuses new ones', async () => {
    const h = harness();
    void h.submit('poll', 'd', 'a', 10);
    const queued = h.bus.submit('poll', 'd', () => Promise.resolve(1)).catch((e: unknown) => e);
    await h.clock.advance(1);
    const closing = h.bus.close();
    expect(await queued).toMatchObject({ code: 'connection' });
    await h.clock.advance(20);
    await closing;
    await expect(h.bus.submit('write', 'd', () => Promise.resolve(1))).rejects.toMatchObject({
      code: 'connection',
    });
  });

  it('refuses a bus without room for a request', () => {
    expect(() => new BusScheduler({ name: 'x', maxInFlight: 0 })).toThrow(
      /maxInFlight must be an integer >= 1/,
    );
    expect(() => new BusScheduler({ name: 'x', maxInFlight: 1, breaker: { baseMs: 10, maxMs: 5 } })).toThrow(
      /0 < baseMs <= maxMs/,
    );
  });
});

describe('BusScheduler properties', () => {
  const op = fc.record({
    kind: fc.constantFrom<RequestKind>('write', 'poll', 'poll'),
    device: fc.constantFrom('a', 'b', 'c'),
    /** Time since the previous submission. */
    gap: fc.integer({ min: 0, max: 30 }),
    ms: fc.integer({ min: 1, max: 25 }),
  });

  it('never exceeds maxInFlight; a write never waits behind a poll that had not started when it was submitted; each kind is FIFO', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 3 }),
        async (ops, max) => {
          const h = harness({ maxInFlight: max });
          const submittedAt = new Map<string, number>();
          for (const [i, o] of ops.entries()) {
            await h.clock.advance(o.gap);
            const id = `${o.kind}${i}`;
            submittedAt.set(id, h.clock.now());
            void h.submit(o.kind, o.device, id, o.ms);
          }
          await h.clock.advance(ops.length * 30 + 100);
          expect(h.settled.size).toBe(ops.length);
          expect(h.peak()).toBeLessThanOrEqual(max);
          const order = h.starts();
          for (const kind of ['write', 'poll']) {
            const started = order.filter((id) => id.startsWith(kind));
            const submitted = [...submittedAt.keys()].filter((id) => id.startsWith(kind));
            expect(started).toEqual(submitted);
          }
          // The invariant: no poll starts between a write's submission and the write's own start.
          const seq = (what: Event['what'], id: string) =>
            h.events.findIndex((e) => e.what === what && e.id === id);
          for (const w of submittedAt.keys()) {
            if (!w.startsWith('write')) continue;
            const overtaking = h.events
              .slice(seq('submit', w), seq('start', w))
              .filter((e) => e.what === 'start' && e.id.startsWith('poll'))
              .map((e) => e.id);
            expect(overtaking).toEqual([]);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a dead device costs the bus at most one timeout per cycle and never delays its neighbours beyond that', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }), // requests per device per cycle
        fc.integer({ min: 50, max: 300 }), // timeout
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        async (perDevice, timeoutMs, draw) => {
          const cycleMs = 1000;
          const clock = new FakeClock(0);
          const bus = new BusScheduler({
            name: 'rtu',
            maxInFlight: 1,
            clock,
            random: () => draw,
            breaker: { baseMs: cycleMs, maxMs: 4 * cycleMs },
          });
          let deadBusy = 0;
          const read = (device: string) => async () => {
            if (device !== 'dead') return sleep(clock, 5);
            const t0 = clock.now();
            await sleep(clock, timeoutMs);
            deadBusy += clock.now() - t0;
            throw timeout();
          };
          /** One device's scan: its requests in turn, abandoned at the first failure (as a driver's readMany). */
          const scan = async (device: string): Promise<number> => {
            const t0 = clock.now();
            try {
              for (let i = 0; i < perDevice; i++) await bus.submit('poll', device, read(device));
            } catch {
              /* the device is comm-fail for this cycle */
            }
            return clock.now() - t0;
          };
          const healthyAlone = perDevice * 5 * 2; // both healthy devices' requests back to back
          for (let cycle = 0; cycle < 8; cycle++) {
            const before = deadBusy;
            const durations = Promise.all([scan('dead'), scan('a'), scan('b')]);
            await clock.advance(cycleMs);
            const [, a, b] = await durations;
            expect(deadBusy - before).toBeLessThanOrEqual(timeoutMs);
            expect(Math.max(a, b)).toBeLessThanOrEqual(healthyAlone + timeoutMs);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
