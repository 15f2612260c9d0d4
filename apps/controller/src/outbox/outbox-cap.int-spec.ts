/**
 * The outbox cap test (issue 5, "Outbox cap test"): a small cap filled during
 * a simulated cloud outage on a real SQLite file. Thinning keeps one sample
 * per point per minute, then per 15 minutes, oldest windows first; events and
 * alarms stay whole; every ledger entry's counts before and after are exact
 * per point and interval; the alarm is raised at 80% of the cap and cleared
 * once the cloud has taken the backlog; a batch in flight is never rewritten;
 * when even thinning leaves no room telemetry is refused (counted, ledgered)
 * while events are still appended; and no scan tick is ever failed or held.
 *
 * A short outage against a tiny cap (a minute or two at 10 Hz) is thinned,
 * not refused: thinning reaches into the minutes still filling, oldest first;
 * a tick that does not fit is taken in by thinning, its own samples included.
 * Refusal is the last resort, and a tick of 150 001 points refused does not
 * overflow the stack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { AlarmService } from '../alarms/alarm.service.js';
import { OutboxCapAlarms } from '../alarms/outbox-cap-alarms.js';
import { SqliteEventStore } from '../events/event-store.js';
import type { OutboxRecord } from '#libs/sync';
import { recordBytes } from './outbox-append.js';
import { REFUSED_REASON } from './outbox.service.js';
import type { LedgerRowDto, OutboxOptions, OutboxSample } from './outbox.service.js';
import { THIN_LEVELS } from './outbox-thinning.js';
import {
  checkLedger,
  drain,
  drainJson,
  endOf,
  gaps,
  openOutbox,
  sampleKey,
  sampleKeys,
  survivorsOf,
} from './test-support.js';
import type { Opened } from './test-support.js';

const T0 = Date.parse('2025-06-02T00:00:00Z');
const POINTS = ['ahu.sat', 'ahu.rat', 'vav-1.temp', 'vav-2.temp'];
const POLL_MS = 5000;
const CAP = 120_000;
const MIN = 60_000;

/** checkLedger for an outage() run with nothing in flight: what is wrong with any ledger entry (none, when exact). */
function ledgerErrors(
  run: { generated: Map<string, number[]>; refused: Set<string> },
  ledger: readonly LedgerRowDto[],
  records: OutboxRecord[],
): string[] {
  return checkLedger({
    generated: run.generated,
    inFlight: new Set(),
    refused: run.refused,
    ledger,
    survivors: survivorsOf(records),
    levels: THIN_LEVELS,
    refusedReason: REFUSED_REASON,
  });
}

describe('outbox cap during an outage', () => {
  let dir: string;
  let o: Opened;
  let now = T0;
  const clock = { now: () => now };
  const log = pino({ level: 'silent' });

  const open = async (capBytes: number, options: Partial<OutboxOptions> = {}): Promise<Opened> =>
    (o = await openOutbox(join(dir, 'c.sqlite'), clock, { capBytes, ...options }));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-outbox-cap-'));
    now = T0;
  });
  afterEach(async () => {
    await o?.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('thins 1/min then 1/15 min, keeps events whole, ledgers exactly, alarms at 80% and never holds the scan', async () => {
    await open(CAP);
    const alarms = new AlarmService(o.journal, clock, log);
    const detector = new OutboxCapAlarms(o.outbox, alarms, log);
    detector.onApplicationBootstrap();
    const events = new SqliteEventStore(o.journal, clock);
    const generated = new Map<string, number[]>(POINTS.map((p) => [p, []]));
    let eventsRecorded = 0;
    let alarmSeenAtPercent: number | undefined;
    let slowestTickMs = 0;
    const refused = new Set<string>();

    const hours = 14;
    let inFlight: OutboxRecord[] = [];
    for (let t = 0; t < (hours * 3600_000) / POLL_MS; t++) {
      now = T0 + t * POLL_MS;
      const samples: OutboxSample[] = POINTS.map((point, i) => ({
        point,
        at: now,
        value: 20 + i + (t % 7) / 10,
        quality: 'good',
      }));
      for (const s of samples) generated.get(s.point)!.push(s.at);
      const started = performance.now();
      const refusedBefore = o.outbox.stats().refusedSamples;
      await o.outbox.appendSamples(samples);
      slowestTickMs = Math.max(slowestTickMs, performance.now() - started);
      if (o.outbox.stats().refusedSamples > refusedBefore)
        for (const s of samples) refused.add(sampleKey(s.point, s.at));
      if (t === 2) inFlight = o.outbox.peek({ maxRecords: 10, maxBytes: 1e6 }); // sent, never acked
      if (t % 120 === 0) {
        await events.record({ type: 'mode-change', source: 'link', message: `still autonomous ${t}` });
        eventsRecorded++;
      }
      await o.outbox.idle();
      await detector.idle();
      if (alarmSeenAtPercent === undefined && alarms.uncleared('outbox-near-cap').length)
        alarmSeenAtPercent = (o.outbox.stats().usedBytes / CAP) * 100;
    }

    await o.outbox.flushAll();
    const records = drain(o.outbox);
    expect(gaps(records)).toEqual([]);
    expect(records[0].seq).toBe(1);
    // The wire form spliced from the stored bodies is the same records, thinned runs included.
    expect(records.some((r) => r.kind === 'thinned')).toBe(true);
    expect(drainJson(o.outbox)).toEqual(records);
    // The batch in flight was not rewritten.
    expect(records.slice(0, inFlight.length)).toEqual(inFlight);
    expect(inFlight.filter((r) => r.kind === 'sample')).toHaveLength(9);
    // Events whole: every one recorded is there, in order.
    const eventMessages = records
      .filter((r) => r.kind === 'event')
      .map((r) => (r.body as { message: string }).message);
    expect(eventMessages.filter((m) => m.startsWith('still autonomous'))).toHaveLength(eventsRecorded);
    // The alarm came at 80% (within one tick of it), as an alarm record and its event.
    expect(alarmSeenAtPercent).toBeGreaterThanOrEqual(80);
    expect(alarmSeenAtPercent).toBeLessThan(82);
    expect(records.some((r) => r.kind === 'alarm' && r.body.kind === 'outbox-near-cap')).toBe(true);

    // The ledger: both levels ran, oldest windows first, and every entry is exact.
    const ledger = o.outbox.ledger(0, 1_000_000);
    const reasons = new Set(ledger.map((e) => e.reason));
    expect(reasons).toEqual(new Set([THIN_LEVELS[0].reason, THIN_LEVELS[1].reason, REFUSED_REASON]));
    expect(
      checkLedger({
        generated,
        inFlight: sampleKeys(inFlight),
        refused,
        ledger,
        survivors: survivorsOf(records),
        levels: THIN_LEVELS,
        refusedReason: REFUSED_REASON,
      }),
    ).toEqual([]);
    // The oldest windows went first: level 1's first ledger entry is the oldest whole window.
    expect(ledger.find((e) => e.reason === THIN_LEVELS[0].reason)!.from).toBe(new Date(T0).toISOString());
    // Refused telemetry was counted and ledgered (refusals still gathering are ledgered by flushAll).
    const refusedCount = o.outbox
      .ledger(0, 1_000_000)
      .filter((e) => e.reason === REFUSED_REASON)
      .reduce((n, e) => n + e.samplesBefore, 0);
    expect(refusedCount).toBe(o.outbox.stats().refusedSamples);
    // No scan tick was failed (every append resolved) or held for long.
    expect(slowestTickMs).toBeLessThan(5000);

    // The cloud is back: it takes everything, the outbox trims, the alarm clears.
    const all = drain(o.outbox);
    await o.outbox.confirm(endOf(all[all.length - 1]));
    await detector.idle();
    expect(alarms.uncleared('outbox-near-cap')).toEqual([]);
    // What is left is the clearing itself, for the cloud to see.
    const left = drain(o.outbox);
    expect(left.map((r) => r.kind)).toEqual(['alarm', 'event']);
    expect(left[0].body).toMatchObject({ kind: 'outbox-near-cap', state: 'cleared' });
    detector.onModuleDestroy();
  }, 120_000);

  /** Appends ticks of `points` every `tickMs` for `ms` from T0, as a scan would; what it saw on the way. */
  async function outage(opts: {
    points: readonly string[];
    tickMs: number;
    ms: number;
    /** Awaited after each tick (background thinning, the alarm detector), as time passes between ticks. */
    settle: () => Promise<void>;
    everyTick?: (t: number) => Promise<void>;
  }) {
    const generated = new Map<string, number[]>(opts.points.map((p) => [p, []]));
    const refused = new Set<string>();
    let tookInByThinning = 0;
    let slowestTickMs = 0;
    for (let t = 0; t * opts.tickMs < opts.ms; t++) {
      now = T0 + t * opts.tickMs;
      const samples: OutboxSample[] = opts.points.map((point, i) => ({
        point,
        at: now,
        value: 20 + i + (t % 13) / 10,
        quality: 'good',
      }));
      for (const s of samples) generated.get(s.point)!.push(s.at);
      const tickBytes = samples.reduce(
        (n, s) => n + recordBytes(JSON.stringify({ point: s.point, value: s.value, quality: s.quality })),
        0,
      );
      const { usedBytes, refusedSamples } = o.outbox.stats();
      const started = performance.now();
      await o.outbox.appendSamples(samples);
      slowestTickMs = Math.max(slowestTickMs, performance.now() - started);
      if (o.outbox.stats().refusedSamples > refusedSamples)
        for (const s of samples) refused.add(sampleKey(s.point, s.at));
      else if (usedBytes + tickBytes > o.outbox.capBytes) tookInByThinning++;
      await opts.everyTick?.(t);
      await opts.settle();
    }
    await o.outbox.flushAll();
    return { generated, refused, tookInByThinning, slowestTickMs };
  }

  it('a short outage at 10 Hz against a tiny cap is thinned, not refused: recent minutes too, events whole, ledger exact', async () => {
    const cap = 40_000;
    await open(cap);
    const alarms = new AlarmService(o.journal, clock, log);
    const detector = new OutboxCapAlarms(o.outbox, alarms, log);
    detector.onApplicationBootstrap();
    const events = new SqliteEventStore(o.journal, clock);
    let inFlight: OutboxRecord[] = [];
    let eventsRecorded = 0;
    let nearAtPercent: number | undefined;
    const near = o.outbox.nearCap$.subscribe((v) => {
      if (v && nearAtPercent === undefined) nearAtPercent = (o.outbox.stats().usedBytes / cap) * 100;
    });
    let alarmRaised = false;
    // Two minutes of four points at 10 Hz: some 550 kB of samples through a 40 kB cap.
    const run = await outage({
      points: POINTS,
      tickMs: 100,
      ms: 2 * MIN,
      settle: async () => {
        await o.outbox.idle();
        await detector.idle();
        alarmRaised ||= alarms.uncleared('outbox-near-cap').length > 0;
      },
      everyTick: async (t) => {
        if (t === 2) inFlight = o.outbox.peek({ maxRecords: 10, maxBytes: 1e6 }); // sent, never acked
        if (t % 50 === 0) {
          await events.record({ type: 'mode-change', source: 'link', message: `still autonomous ${t}` });
          eventsRecorded++;
        }
      },
    });

    // Thinned, never refused: nothing counted, nothing ledgered as refused.
    expect(run.refused.size).toBe(0);
    expect(o.outbox.stats().refusedSamples).toBe(0);
    const ledger = o.outbox.ledger(0, 1_000_000);
    expect(ledger.filter((e) => e.reason === REFUSED_REASON)).toEqual([]);
    expect(ledger.some((e) => e.reason === THIN_LEVELS[0].reason)).toBe(true);
    // It reached the minutes still filling: entries whose interval had not ended when written,
    // and the minute just begun when the outage ended is thinned too.
    expect(ledger.some((e) => Date.parse(e.to) > Date.parse(e.recordedAt))).toBe(true);
    expect(o.outbox.stats().usedBytes).toBeLessThanOrEqual(cap);

    const records = drain(o.outbox);
    // The wire: seqs contiguous from 1, thinned runs standing in for exactly what they removed.
    expect(gaps(records)).toEqual([]);
    expect(records[0].seq).toBe(1);
    expect(drainJson(o.outbox)).toEqual(records);
    expect(records.slice(0, inFlight.length)).toEqual(inFlight);
    const survivors = survivorsOf(records);
    const generatedCount = [...run.generated.values()].reduce((n, ats) => n + ats.length, 0);
    const leftCount = [...survivors.values()].reduce((n, ats) => n + ats.length, 0);
    const thinnedRows = records.reduce((n, r) => n + (r.kind === 'thinned' ? r.body.rows : 0), 0);
    expect(
      records.filter((r) => r.kind === 'thinned').every((r) => r.body.rows === endOf(r) - r.seq + 1),
    ).toBe(true);
    expect(thinnedRows).toBe(generatedCount - leftCount);
    // Events whole.
    const messages = records.filter((r) => r.kind === 'event').map((r) => r.body.message);
    expect(messages.filter((m) => m.startsWith('still autonomous'))).toHaveLength(eventsRecorded);
    expect(eventsRecorded).toBe(24);
    // The alarm came at 80% (within one tick of it), as an alarm record.
    expect(nearAtPercent).toBeGreaterThanOrEqual(80);
    expect(nearAtPercent).toBeLessThan(82);
    expect(alarmRaised).toBe(true);
    expect(records.some((r) => r.kind === 'alarm' && r.body.kind === 'outbox-near-cap')).toBe(true);
    // Every ledger entry exact, per point and interval.
    expect(
      checkLedger({
        generated: run.generated,
        inFlight: sampleKeys(inFlight),
        refused: run.refused,
        ledger,
        survivors,
        levels: THIN_LEVELS,
        refusedReason: REFUSED_REASON,
      }),
    ).toEqual([]);
    // Control never stopped: every tick's append resolved, none held for long.
    expect(run.slowestTickMs).toBeLessThan(5000);
    near.unsubscribe();
    detector.onModuleDestroy();
  }, 120_000);

  it('a sync client retrying through the outage fences only while a batch is in flight: released, the backlog is thinned, not refused', async () => {
    const cap = 40_000;
    await open(cap);
    const nearChanges: boolean[] = [];
    const near = o.outbox.nearCap$.subscribe((v) => nearChanges.push(v));
    const run = await outage({
      points: POINTS,
      tickMs: 100,
      ms: 2 * MIN,
      settle: () => o.outbox.idle(),
      everyTick: (t) => {
        if (t % 20 !== 0) return Promise.resolve();
        // What the uploader does on each try against an unreachable cloud: peek a whole batch (on a tiny cap,
        // the whole backlog), fail, release.
        o.outbox.peek({ maxRecords: 5000, maxBytes: 5e6 });
        o.outbox.release();
        return Promise.resolve();
      },
    });
    expect(run.refused.size).toBe(0);
    expect(o.outbox.stats().refusedSamples).toBe(0);
    const ledger = o.outbox.ledger(0, 1_000_000);
    expect(ledger.some((e) => e.reason === THIN_LEVELS[0].reason)).toBe(true);
    // The near-cap alarm: raised once, not cleared by thinning (it would flap all through the outage) ...
    expect(nearChanges).toEqual([false, true]);
    const records = drain(o.outbox);
    // ... only once the cloud has taken the backlog.
    await o.outbox.confirm(endOf(records[records.length - 1]));
    expect(nearChanges).toEqual([false, true, false]);
    near.unsubscribe();
    expect(gaps(records)).toEqual([]);
    expect(ledgerErrors(run, ledger, records)).toEqual([]);
  }, 60_000);

  it('a tick that does not fit is taken in by thinning at commit (its own samples included), not refused', async () => {
    // No background thinning (it would start only above the cap itself): every time the cap is
    // reached, the tick's own transaction must make the room, or refuse it.
    const cap = 40_000;
    await open(cap, { thinAbove: 1 });
    const run = await outage({ points: POINTS, tickMs: 100, ms: 2 * MIN, settle: () => o.outbox.idle() });

    expect(run.tookInByThinning).toBeGreaterThan(5);
    expect(run.refused.size).toBe(0);
    expect(o.outbox.stats()).toMatchObject({ refusedSamples: 0 });
    expect(o.outbox.stats().usedBytes).toBeLessThanOrEqual(cap);
    const records = drain(o.outbox);
    expect(gaps(records)).toEqual([]);
    const ledger = o.outbox.ledger(0, 1_000_000);
    expect(ledger.some((e) => Date.parse(e.to) > Date.parse(e.recordedAt))).toBe(true);
    expect(ledgerErrors(run, ledger, records)).toEqual([]);
  }, 60_000);

  it('refuses a tick of 150 001 distinct points that no thinning can fit, without overflowing the stack', async () => {
    await open(4096);
    const samples: OutboxSample[] = Array.from({ length: 150_001 }, (_, i) => ({
      point: `p${i}`,
      at: T0 + (i % 1000),
      value: i,
      quality: 'good',
    }));
    await o.outbox.appendSamples(samples);
    expect(o.outbox.stats()).toMatchObject({ refusedSamples: 150_001, backlog: 0 });
    // Gathered for the ledger until telemetry is taken again; ledgered here at shutdown.
    await o.outbox.flushAll();
    const ledger = o.outbox.ledger(0, 200_000);
    expect(ledger).toHaveLength(150_001);
    expect(ledger.every((e) => e.reason === REFUSED_REASON && e.samplesAfter === 0)).toBe(true);
  }, 120_000);
});
