/**
 * Opening a real controller SQLite file for the outbox tests, with the number
 * of SQLite transactions counted at the connection (not at the journal), so a
 * group-commit test counts what the disk sees.
 */
import { DataSource } from 'typeorm';
import type { OutboxRecord } from '#libs/sync';
import { dataSourceOptions } from '../database/data-source.js';
import { SqliteJournal } from '../events/sqlite-journal.js';
import type { SqliteConnection } from '../events/sqlite-journal.js';
import { OutboxService } from './outbox.service.js';
import type { LedgerRowDto, OutboxOptions } from './outbox.service.js';
import type { ThinLevel } from './outbox-thinning.js';

export interface Opened {
  db: DataSource;
  journal: SqliteJournal;
  outbox: OutboxService;
  /** SQLite transactions begun on the connection since open. */
  transactions(): number;
}

export async function openOutbox(
  file: string,
  clock: { now(): number },
  options: OutboxOptions,
): Promise<Opened> {
  const db = new DataSource(dataSourceOptions(file));
  await db.initialize();
  const conn = (db.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection;
  let count = 0;
  const original = conn.transaction.bind(conn);
  conn.transaction = <T>(fn: () => T) => {
    const tx = original(fn);
    return () => {
      count++;
      return tx();
    };
  };
  const journal = new SqliteJournal(db);
  return { db, journal, outbox: new OutboxService(journal, clock, options), transactions: () => count };
}

/** Every record of the outbox, oldest first, read in batches as the sync client would. */
export function drain(outbox: OutboxService): OutboxRecord[] {
  const all: OutboxRecord[] = [];
  for (;;) {
    const last = all[all.length - 1];
    const batch = outbox.peek({
      maxRecords: 10_000,
      maxBytes: 64 * 1024 * 1024,
      afterSeq: last ? endOf(last) : 0,
    });
    if (!batch.length) return all;
    all.push(...batch);
  }
}

/** The same, read through peekJson (the bodies spliced, not parsed), in batches of `maxRecords`. */
export function drainJson(outbox: OutboxService, maxRecords = 7): OutboxRecord[] {
  const all: OutboxRecord[] = [];
  for (;;) {
    const last = all[all.length - 1];
    const batch = outbox.peekJson({
      maxRecords,
      maxBytes: 64 * 1024 * 1024,
      afterSeq: last ? endOf(last) : 0,
    });
    if (!batch) return all;
    const records = JSON.parse(batch.recordsJson) as OutboxRecord[];
    if (
      records.length !== batch.count ||
      records[0].seq !== batch.fromSeq ||
      endOf(records.at(-1)!) !== batch.toSeq
    )
      throw new Error(
        `peekJson: count/fromSeq/toSeq ${batch.count}/${batch.fromSeq}/${batch.toSeq} disagree with its records`,
      );
    all.push(...records);
  }
}

export const endOf = (r: OutboxRecord): number => (r.kind === 'thinned' ? r.through : r.seq);

/** The sequence numbers of the records follow each other without gaps. */
export function gaps(records: readonly OutboxRecord[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < records.length; i++)
    if (records[i].seq !== endOf(records[i - 1]) + 1)
      out.push(`${endOf(records[i - 1])} -> ${records[i].seq}`);
  return out;
}

/** A sample as the tests name it. */
export const sampleKey = (point: string, at: number): string => `${point}@${at}`;

/** The samples of `records` (a batch in flight, say) by sampleKey. */
export function sampleKeys(records: readonly OutboxRecord[]): Set<string> {
  return new Set(
    records.flatMap((r) => (r.kind === 'sample' ? [sampleKey(r.body.point, Date.parse(r.at))] : [])),
  );
}

/** The sample times left in the outbox, per point, in sequence order. */
export function survivorsOf(records: readonly OutboxRecord[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of records)
    if (r.kind === 'sample') {
      const list = out.get(r.body.point) ?? [];
      out.set(r.body.point, list);
      list.push(Date.parse(r.at));
    }
  return out;
}

export interface LedgerCheck {
  /** Sample times generated, per point, in the order appended (each tick's samples stamped with its clock). */
  generated: ReadonlyMap<string, readonly number[]>;
  /** sampleKeys of samples peeked by the sync client and never thinned. */
  inFlight: ReadonlySet<string>;
  /** sampleKeys of samples refused. */
  refused: ReadonlySet<string>;
  ledger: readonly LedgerRowDto[];
  /** What the outbox holds now (survivorsOf). */
  survivors: ReadonlyMap<string, readonly number[]>;
  levels: readonly ThinLevel[];
  refusedReason: string;
}

/**
 * Checks the loss ledger against what was generated and what is left, from
 * outside: every sample is left, refused or thinned, and the ledger says so
 * exactly. Per point: refusal entries count the refused samples and span
 * them; thinning entries are whole buckets of their level within one window;
 * where entries overlap (a level thinning what a finer one kept) their
 * removals are checked together, per connected stretch of time; an entry no
 * other overlaps must have seen exactly the samples generated in its interval
 * up to its last pass (samplesBefore) and left exactly the first of each
 * bucket (samplesAfter). Answers every disagreement, readable.
 */
export function checkLedger(c: LedgerCheck): string[] {
  const errors: string[] = [];
  const iso = (ms: number): string => new Date(ms).toISOString();
  for (const [point, gen] of c.generated) {
    const refused = gen.filter((at) => c.refused.has(sampleKey(point, at)));
    const left = c.survivors.get(point) ?? [];
    const leftSet = new Set(left);
    const kept = gen.filter((at) => !c.refused.has(sampleKey(point, at)));
    if (left.some((at) => !kept.includes(at)))
      errors.push(`${point}: a survivor was never generated, or was refused`);
    const removed = kept.filter((at) => !leftSet.has(at));
    const mine = c.ledger.filter((e) => e.point === point);

    const refusals = mine.filter((e) => e.reason === c.refusedReason);
    const refusedLedgered = refusals.reduce((n, e) => n + e.samplesBefore, 0);
    if (refusedLedgered !== refused.length || refusals.some((e) => e.samplesAfter !== 0))
      errors.push(`${point}: ${refused.length} refused, ledger says ${refusedLedgered}`);
    for (const at of refused)
      if (!refusals.some((e) => Date.parse(e.from) <= at && at < Date.parse(e.to)))
        errors.push(`${point}: refused sample at ${iso(at)} is in no refusal entry`);

    const thin = mine
      .filter((e) => e.reason !== c.refusedReason)
      .map((e) => ({
        e,
        level: c.levels.findIndex((l) => l.reason === e.reason),
        from: Date.parse(e.from),
        to: Date.parse(e.to),
        t: Date.parse(e.recordedAt),
      }))
      .sort((a, b) => a.from - b.from || a.to - b.to);
    for (const x of thin) {
      const level = c.levels[x.level];
      if (!level) {
        errors.push(`#${x.e.id}: unknown reason "${x.e.reason}"`);
        continue;
      }
      const whole = x.from % level.bucketMs === 0 && x.to % level.bucketMs === 0;
      const oneWindow = Math.floor(x.from / level.windowMs) === Math.floor((x.to - 1) / level.windowMs);
      if (!whole || !oneWindow || !(x.e.samplesBefore > x.e.samplesAfter && x.e.samplesAfter >= 1))
        errors.push(
          `#${x.e.id} ${point} [${x.e.from}, ${x.e.to}) ${x.e.samplesBefore}→${x.e.samplesAfter}: malformed`,
        );
    }
    // Connected stretches of overlapping entries: their removals together are the samples missing there.
    const stretches: Array<{ from: number; to: number; members: typeof thin }> = [];
    for (const x of thin) {
      const last = stretches[stretches.length - 1];
      if (last && x.from < last.to) {
        last.to = Math.max(last.to, x.to);
        last.members.push(x);
      } else stretches.push({ from: x.from, to: x.to, members: [x] });
    }
    let accounted = 0;
    for (const s of stretches) {
      const said = s.members.reduce((n, x) => n + x.e.samplesBefore - x.e.samplesAfter, 0);
      const missing = removed.filter((at) => at >= s.from && at < s.to).length;
      accounted += missing;
      if (said !== missing)
        errors.push(
          `${point} [${iso(s.from)}, ${iso(s.to)}): ledger removed ${said}, outbox lacks ${missing}`,
        );
      if (s.members.length !== 1) continue;
      const [x] = s.members;
      const level = c.levels[x.level];
      if (!level) continue;
      const seen = kept.filter(
        (at) => at >= x.from && at < x.to && at <= x.t && !c.inFlight.has(sampleKey(point, at)),
      );
      const firsts = new Map<number, number>();
      for (const at of seen) {
        const b = Math.floor(at / level.bucketMs);
        if (!firsts.has(b)) firsts.set(b, at);
      }
      const leftSeen = seen.filter((at) => leftSet.has(at));
      if (
        x.e.samplesBefore !== seen.length ||
        x.e.samplesAfter !== firsts.size ||
        leftSeen.join() !== [...firsts.values()].join()
      )
        errors.push(
          `#${x.e.id} ${point} [${x.e.from}, ${x.e.to}): ledger ${x.e.samplesBefore}→${x.e.samplesAfter}, ` +
            `generated ${seen.length}, first of each bucket ${firsts.size}, left ${leftSeen.length}`,
        );
    }
    if (accounted !== removed.length)
      errors.push(`${point}: ${removed.length - accounted} samples missing outside every ledger entry`);
  }
  return errors;
}
