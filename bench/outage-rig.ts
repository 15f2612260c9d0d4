/**
 * What the outage proof needs around a real controller (e2e/outage.e2e-spec.ts
 * and `npm run bench:outage`): the BUILT controller as a child process that
 * can be kill -9'd and restarted on the same SQLite file and key dir; the
 * outbox read straight from that file while the process is dead (what the
 * controller had committed, i.e. acknowledged); and the audit of the cloud's
 * PostgreSQL copy (sequence continuity across every record table, nothing
 * twice).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { findRepoRoot } from '#libs/profiles';

const REPO_ROOT = findRepoRoot();
const CONTROLLER_MAIN = resolve(REPO_ROOT, 'dist/apps/controller/src/main.js');

export async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const { port } = s.address();
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface ControllerEnvOptions {
  httpPort: number;
  bacnetPort: number;
  siteFile: string;
  profilesDir: string;
  dbFile: string;
  logLevel: string;
  /** A cloud link (driver 'cloud'): the cloud's URL, the site's slug and the controller's key dir. */
  cloud?: { url: string; site: string; keyDir: string };
}

/** The BULWARK_* variables of a controller on loopback (its BACnet broadcast on its own port, so no other test hears it). */
export function controllerEnv(o: ControllerEnvOptions): Record<string, string> {
  return {
    BULWARK_HOST: '127.0.0.1',
    BULWARK_PORT: String(o.httpPort),
    BULWARK_SITE: o.siteFile,
    BULWARK_PROFILES: o.profilesDir,
    BULWARK_DB: o.dbFile,
    BULWARK_BACNET_INTERFACE: '127.0.0.1',
    BULWARK_BACNET_PORT: String(o.bacnetPort),
    BULWARK_BACNET_BROADCAST: `127.255.255.255:${o.bacnetPort}`,
    BULWARK_LOG_LEVEL: o.logLevel,
    ...(o.cloud
      ? {
          BULWARK_CLOUD_URL: o.cloud.url,
          BULWARK_CLOUD_SITE: o.cloud.site,
          BULWARK_CLOUD_KEY_DIR: o.cloud.keyDir,
        }
      : {}),
  };
}

/** The built controller as a child; `env` are its BULWARK_* variables. Keeps the tail of its output. */
export class ControllerChild {
  child: ChildProcess | undefined;
  output = '';
  kills = 0;

  constructor(
    readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts it and resolves once its API answers (or throws with its last output). */
  async start(timeoutMs = 45_000): Promise<number> {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CONTROLLER_MAIN], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`controller exited ${child.exitCode}:\n${this.output}`);
      try {
        if ((await fetch(`${this.url}/api/v1/health`)).ok) return Date.now() - t0;
      } catch {
        // not listening yet
      }
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`controller not serving after ${timeoutMs} ms:\n${this.output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill -9, resolved once the process is gone; returns the signal it died of. */
  async kill9(): Promise<NodeJS.Signals | null> {
    const child = this.child;
    if (!child) return null;
    const gone = new Promise<void>((r) =>
      child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
    );
    child.kill('SIGKILL');
    await gone;
    this.kills++;
    this.child = undefined;
    return child.signalCode;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
    this.child = undefined;
  }
}

export interface OutboxRowSnapshot {
  seq: number;
  through: number | null;
  kind: string;
  point: string | null;
  at: number;
}

export interface OutboxSnapshot {
  /** The highest seq the controller ever assigned (sqlite_sequence survives trims). */
  lastSeq: number;
  rows: Map<number, OutboxRowSnapshot>;
}

/**
 * The outbox as the controller's SQLite file holds it. Called while the
 * controller is dead (after kill -9): what is in the file is exactly what it
 * committed, i.e. every sample it acknowledged reading. Read-only; the WAL is
 * read, not checkpointed.
 */
export function readOutbox(file: string): OutboxSnapshot {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const seqRow = db.prepare(`SELECT "seq" FROM "sqlite_sequence" WHERE "name" = 'outbox'`).get() as
      { seq: number } | undefined;
    const rows = db
      .prepare(`SELECT "seq", "through", "kind", "point", "at" FROM "outbox" ORDER BY "seq"`)
      .all() as OutboxRowSnapshot[];
    return { lastSeq: seqRow?.seq ?? 0, rows: new Map(rows.map((r) => [r.seq, r])) };
  } finally {
    db.close();
  }
}

export type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface CloudAudit {
  /** The cloud's high-water mark for the controller. */
  hwm: number;
  /** Sequence numbers in 1..hwm held by no record table (incl. thinned ranges). */
  missing: number;
  /** Sequence numbers held by more than one record (across tables, or overlapping thinned ranges). */
  overlapping: number;
  /** Records above the high-water mark (there must be none: a batch commits with its mark). */
  aboveHwm: number;
  /** (point, at) pairs stored more than once, and the extra rows. */
  pointAtTwice: number;
  /** Up to five of them, to say what doubled. */
  pointAtExamples: Array<{ key: string; at: string; seqs: string[]; values: unknown[] }>;
  samples: number;
  events: number;
}

/** The highest seq the cloud has confirmed for the controller (its high-water mark). */
export async function cloudHighWaterMark(query: Query, controllerId: number): Promise<number> {
  const rows = await query<{ h: string }>(
    `SELECT high_water_mark AS h FROM controller_progress WHERE controller_id = $1`,
    [controllerId],
  );
  return Number(rows[0].h);
}

/** Every record the cloud holds for the controller, checked against its high-water mark. */
export async function auditCloud(query: Query, controllerId: number): Promise<CloudAudit> {
  // One statement, one snapshot: the mark and the records it is checked against, while batches go on arriving.
  const [c] = await query<{ hwm: string; covered: string; distinct_: string; above: string }>(
    `WITH mark AS (SELECT high_water_mark AS h FROM controller_progress WHERE controller_id = $1),
     recs AS (
       SELECT seq, seq AS through FROM samples WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM events WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM alarms WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM audit WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM snapshot_versions WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM loss_ledger WHERE controller_id = $1
       UNION ALL SELECT seq, through FROM thinned_ranges WHERE controller_id = $1),
     claims AS (SELECT generate_series(seq, through) AS s FROM recs)
     SELECT (SELECT h FROM mark) AS hwm,
            count(*) FILTER (WHERE s <= (SELECT h FROM mark)) AS covered,
            count(DISTINCT s) FILTER (WHERE s <= (SELECT h FROM mark)) AS distinct_,
            count(*) FILTER (WHERE s > (SELECT h FROM mark)) AS above
       FROM claims`,
    [controllerId],
  );
  const H = Number(c.hwm);
  const [d] = await query<{ pairs: string; extra: string }>(
    `SELECT count(*) AS pairs, coalesce(sum(n - 1), 0) AS extra FROM (
       SELECT count(*) AS n FROM samples WHERE controller_id = $1 GROUP BY point_id, at HAVING count(*) > 1) t`,
    [controllerId],
  );
  const examples = await query<{ key: string; at: string; seqs: string[]; values: unknown[] }>(
    `SELECT p.key, s.at::text AS at, array_agg(s.seq::text ORDER BY s.seq) AS seqs, array_agg(s.value ORDER BY s.seq) AS values
       FROM samples s JOIN points p ON p.id = s.point_id
      WHERE s.controller_id = $1 GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 2 LIMIT 5`,
    [controllerId],
  );
  const [n] = await query<{ samples: string; events: string }>(
    `SELECT (SELECT count(*) FROM samples WHERE controller_id = $1) AS samples,
            (SELECT count(*) FROM events WHERE controller_id = $1) AS events`,
    [controllerId],
  );
  return {
    hwm: H,
    missing: H - Number(c.distinct_),
    overlapping: Number(c.covered) - Number(c.distinct_),
    aboveHwm: Number(c.above),
    pointAtTwice: Number(d.extra),
    pointAtExamples: examples,
    samples: Number(n.samples),
    events: Number(n.events),
  };
}

export interface SampleComparison {
  /** Samples the controller had committed (in the snapshot) that the cloud does not hold under the same seq. */
  lost: number;
  /** Held under the seq, but with another point or reading time. */
  mismatched: number;
  /** Per point: committed count vs the cloud's count over the snapshot's seqs, where they differ. */
  countDiffs: Array<{ point: string; committed: number; cloud: number }>;
  compared: number;
}

/**
 * The committed samples (from outbox snapshots taken while the controller was
 * dead) against the cloud: each must be there once, same seq, point and
 * reading time, and per-point counts must agree.
 */
export async function compareSamples(
  query: Query,
  controllerId: number,
  committed: ReadonlyMap<number, OutboxRowSnapshot>,
): Promise<SampleComparison> {
  const mine = [...committed.values()].filter((r) => r.kind === 'sample');
  if (mine.length === 0) return { lost: 0, mismatched: 0, countDiffs: [], compared: 0 };
  const seqs = mine.map((r) => r.seq);
  const cloud = new Map<number, { point: string; at: number }>();
  for (let i = 0; i < seqs.length; i += 50_000) {
    const rows = await query<{ seq: string; key: string; at: string }>(
      `SELECT s.seq, p.key, (extract(epoch FROM s.at) * 1000)::bigint AS at
         FROM samples s JOIN points p ON p.id = s.point_id
        WHERE s.controller_id = $1 AND s.seq = ANY($2::bigint[])`,
      [controllerId, seqs.slice(i, i + 50_000)],
    );
    for (const r of rows) cloud.set(Number(r.seq), { point: r.key, at: Number(r.at) });
  }
  let lost = 0;
  let mismatched = 0;
  const mineByPoint = new Map<string, number>();
  const cloudByPoint = new Map<string, number>();
  for (const r of mine) {
    mineByPoint.set(r.point!, (mineByPoint.get(r.point!) ?? 0) + 1);
    const c = cloud.get(r.seq);
    if (!c) lost++;
    else {
      cloudByPoint.set(c.point, (cloudByPoint.get(c.point) ?? 0) + 1);
      if (c.point !== r.point || c.at !== r.at) mismatched++;
    }
  }
  const countDiffs = [...new Set([...mineByPoint.keys(), ...cloudByPoint.keys()])]
    .map((point) => ({ point, committed: mineByPoint.get(point) ?? 0, cloud: cloudByPoint.get(point) ?? 0 }))
    .filter((d) => d.committed !== d.cloud);
  return { lost, mismatched, countDiffs, compared: mine.length };
}

/**
 * Nothing acknowledged is lost across a kill: every row of the earlier
 * snapshot that the cloud had not confirmed is still in the later one,
 * unchanged. Returns the seqs that vanished (confirmed-and-trimmed ones, at or
 * below `confirmedBy`, may go).
 */
export function vanished(before: OutboxSnapshot, after: OutboxSnapshot, confirmedBy: number): number[] {
  const out: number[] = [];
  for (const [seq, r] of before.rows) {
    if ((r.through ?? seq) <= confirmedBy) continue;
    const a = after.rows.get(seq);
    if (!a || a.point !== r.point || a.at !== r.at || a.kind !== r.kind) out.push(seq);
  }
  return out;
}

/**
 * Per device, |interval between the first requests of consecutive read cycles
 * − `pollMs`| for the cycles that began within [from, to]: the scan loop's
 * cadence as the devices saw it, without the time their answers took. A
 * cycle's requests follow each other closely; the next cycle's first request
 * comes after a pause of more than half the poll interval. Sorted.
 */
export function requestCadence(
  requestsAt: readonly (readonly number[])[],
  from: number,
  to: number,
  pollMs: number,
): number[] {
  const out: number[] = [];
  for (const times of requestsAt) {
    let cycleStart: number | undefined;
    for (let i = 0; i < times.length; i++) {
      if (i > 0 && times[i] - times[i - 1] <= pollMs / 2) continue;
      if (cycleStart !== undefined && times[i] >= from && times[i] <= to)
        out.push(Math.abs(times[i] - cycleStart - pollMs));
      cycleStart = times[i];
    }
  }
  return out.sort((a, b) => a - b);
}
