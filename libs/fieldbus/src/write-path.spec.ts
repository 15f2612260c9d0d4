import { describe, expect, it } from '@jest/globals';
import type { PointDef } from '#libs/profiles';
import { sleep } from './clock.js';
import { FieldbusError } from './errors.js';
import { FakeClock } from './fake-clock.js';
import { writeTolerance } from './resolution.js';
import { WriteFailedError, writeVerified } from './write-path.js';
import type { WriteAttempt, WriteVerifiedOptions } from './write-path.js';

/** A device that holds one value; each write's fate is scripted: 'ok', an error, or 'ignore' (acked but not applied). */
function device(clock: FakeClock, script: Array<'ok' | 'ignore' | FieldbusError>, readMs = 5) {
  let held = 0;
  let writes = 0;
  return {
    get writes() {
      return writes;
    },
    write: (value: number) => async () => {
      await sleep(clock, 10);
      const fate = script[writes++] ?? 'ok';
      if (fate instanceof FieldbusError) throw fate;
      if (fate === 'ok') held = Math.round(value * 10) / 10; // an int16 × 0.1 register
    },
    readBack: async () => {
      await sleep(clock, readMs);
      return held;
    },
  };
}

async function run(clock: FakeClock, o: WriteVerifiedOptions) {
  const result = writeVerified({ clock, random: () => 0, ...o }).then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e: e as WriteFailedError }),
  );
  await clock.advance(60000);
  return result;
}

describe('writeVerified', () => {
  it('writes, reads back, accepts a read-back within the encoding’s resolution, and reports the attempt', async () => {
    const clock = new FakeClock(0);
    const d = device(clock, ['ok']);
    const seen: WriteAttempt[] = [];
    const r = await run(clock, {
      value: 21.37,
      write: d.write(21.37),
      readBack: d.readBack,
      tolerance: 0.05 + 1e-9,
      onAttempt: (a) => seen.push(a),
    });
    expect(r).toEqual({
      ok: true,
      v: {
        value: 21.37,
        readBack: 21.4,
        attempts: [{ attempt: 1, startedAt: 0, durationMs: 15, ok: true, readBack: 21.4 }],
      },
    });
    expect(seen).toEqual(r.ok ? r.v.attempts : []);
  });

  it('retries a timeout with exponential backoff and reports each attempt', async () => {
    const clock = new FakeClock(0);
    const t = () => new FieldbusError('timeout', 'no response');
    const d = device(clock, [t(), t(), 'ok']);
    const seen: WriteAttempt[] = [];
    const r = await run(clock, {
      value: 5,
      write: d.write(5),
      readBack: d.readBack,
      tolerance: 0.05,
      backoff: { baseMs: 100, maxMs: 1000 },
      onAttempt: (a) => seen.push(a),
    });
    expect(r.ok).toBe(true);
    expect(seen.map((a) => [a.attempt, a.startedAt, a.ok, a.error?.code, a.retryInMs])).toEqual([
      [1, 0, false, 'timeout', 100],
      [2, 110, false, 'timeout', 200],
      [3, 320, true, undefined, undefined],
    ]);
  });

  it('fails with verify-mismatch when the device acknowledges but never takes the value', async () => {
    const clock = new FakeClock(0);
    const d = device(clock, ['ignore', 'ignore', 'ignore']);
    const r = await run(clock, {
      value: 7,
      write: d.write(7),
      readBack: d.readBack,
      tolerance: 0.05,
      retries: 2,
      label: 'ahu-1.sp',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.e).toBeInstanceOf(WriteFailedError);
    expect(r.e.code).toBe('verify-mismatch');
    expect(r.e.message).toBe(
      'verify-mismatch: ahu-1.sp: wrote 7, read back 0 (tolerance 0.05) (3 attempt(s))',
    );
    expect(r.e.attempts.map((a) => a.readBack)).toEqual([0, 0, 0]);
    expect(d.writes).toBe(3);
  });

  it('does not repeat a device error that repeating cannot fix (illegal data address, write access denied)', async () => {
    for (const code of [
      'modbus-exception:illegal-data-address',
      'bacnet-error:property/write-access-denied',
    ]) {
      const clock = new FakeClock(0);
      const d = device(clock, [new FieldbusError(code, 'refused')]);
      const r = await run(clock, { value: 1, write: d.write(1), readBack: d.readBack, tolerance: 0 });
      expect(r.ok ? '' : r.e.code).toBe(code);
      expect(d.writes).toBe(1);
    }
  });

  it('refuses a read-only point and a value outside the safe range before touching the device', async () => {
    const clock = new FakeClock(0);
    const d = device(clock, []);
    const base = { write: d.write(1), readBack: d.readBack, tolerance: 0 };
    const ro = await run(clock, { ...base, value: 1, writable: false, label: 'meter.power' });
    expect(ro.ok ? undefined : [ro.e.code, ro.e.message, ro.e.attempts]).toEqual([
      'not-writable',
      'not-writable: meter.power is read-only',
      [],
    ]);
    const out = await run(clock, {
      ...base,
      value: 120,
      safeRange: { min: 20, max: 100 },
      label: 'fan.speed',
    });
    expect(out.ok ? undefined : [out.e.code, out.e.message]).toEqual([
      'out-of-range',
      'out-of-range: fan.speed: 120 is outside the safe range 20..100',
    ]);
    const nan = await run(clock, { ...base, value: NaN });
    expect(nan.ok ? undefined : nan.e.code).toBe('out-of-range');
    expect(d.writes).toBe(0);
  });

  it('names a failed read-back by its own error and retries it', async () => {
    const clock = new FakeClock(0);
    let reads = 0;
    const r = await run(clock, {
      value: 3,
      write: () => Promise.resolve(),
      readBack: () =>
        reads++ === 0 ? Promise.reject(new FieldbusError('bad-response', 'CRC error')) : Promise.resolve(3),
      tolerance: 0,
    });
    expect(r.ok ? r.v.attempts.map((a) => a.error?.code ?? 'ok') : []).toEqual(['bad-response', 'ok']);
  });
});

describe('writeTolerance', () => {
  const point = (p: Partial<PointDef>): PointDef =>
    ({ id: 'p', kind: 'analog', dataType: 'int16', ...p }) as PointDef;
  it('is half a scale step for a scaled integer', () => {
    expect(writeTolerance(point({ scale: 0.1 }), 21.37)).toBeCloseTo(0.05, 6);
    expect(writeTolerance(point({}), 7)).toBeCloseTo(0.5, 6);
  });
  it('is relative for a float32 or a BACnet REAL', () => {
    expect(writeTolerance(point({ dataType: 'float32' }), 1000)).toBeCloseTo(1e-3, 9);
    expect(writeTolerance(point({ dataType: 'real' }), 0)).toBeLessThan(1e-6);
  });
  it('is exact for binary and multistate points', () => {
    expect(writeTolerance(point({ kind: 'binary', dataType: 'bool' }), 1)).toBeLessThan(1e-6);
    expect(writeTolerance(point({ kind: 'multistate', dataType: 'uint16' }), 3)).toBeLessThan(1e-6);
  });
});
