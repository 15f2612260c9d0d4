/**
 * Ingest of one batch (issue 5 item 7, DESIGN.md point 6): one transaction
 * that locks the controller's progress row, so two replicas (or a retry racing
 * its original) serialise per controller and never both write. Idempotent on
 * (controller, seq): a batch at or below the high-water mark is answered with
 * the mark and writes nothing; an overlap writes only what is above it; a
 * batch starting past mark + 1 is a gap and refused. The answer is sent only
 * after COMMIT returned, so an acknowledged record is durable in PostgreSQL.
 * No state lives in the process: any replica can take any batch.
 *
 * The request's nonce is recorded first thing in the same transaction (one
 * commit per batch instead of two: pg-nonce-cache.ts), so it is used exactly
 * when the batch's transaction commits, a batch already held included (its
 * answer commits the nonce alone). A batch that rolls back (a sequence gap, a
 * bad value, PostgreSQL gone) leaves its nonce unused, and that is safe: the
 * request changed nothing, a replay of its exact bytes within the signature's
 * short validity can only ask for that same batch again, which the signer
 * asked for and which is idempotent on (controller, seq), so it cannot double
 * anything; while a nonce used by a batch that never landed would buy nothing
 * and cost the separate commit this saves.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { QueryRunner } from 'typeorm';
import type { PoolClient } from 'pg';
import { replayedNonce } from '#libs/sync';
import type { IngestAck, IngestBatch, OutboxRecord } from '#libs/sync';
import { Problem } from '../common/problem.js';
import type { KeyOwner } from '../enrolment/enrolment.service.js';
import { PgNonceCache } from '../sync-auth/pg-nonce-cache.js';
import type { DeferredNonce } from '../sync-auth/pg-nonce-cache.js';
import { lastSeqOf } from './batch-schema.js';
import { KnownPoints } from './known-points.js';
import { copySamples } from './sample-copy.js';

type Of<K extends OutboxRecord['kind']> = Extract<OutboxRecord, { kind: K }>;

@Injectable()
export class IngestService {
  private readonly known = new KnownPoints();

  constructor(
    private readonly db: DataSource,
    private readonly nonces: PgNonceCache,
  ) {}

  /** `nonce`: the request's, verified but not yet recorded (SignedRequestGuard, @NonceInTransaction). */
  async ingest(owner: KeyOwner, batch: IngestBatch, nonce: DeferredNonce): Promise<IngestAck> {
    if (batch.site !== owner.site) {
      throw new Problem(
        403,
        'wrong-site',
        `this controller is enrolled for site "${owner.site}", not "${batch.site}"`,
        { enrolledSite: owner.site },
      );
    }
    await this.nonces.purgeIfDue();
    const q = this.db.createQueryRunner();
    await q.connect();
    try {
      await q.startTransaction('READ COMMITTED');
      // First, so a copy of this request racing it waits here for this transaction, then is refused.
      if (!(await this.nonces.rememberIn(q, nonce))) {
        const replay = replayedNonce(nonce.keyId, nonce.nonce);
        throw new Problem(401, replay.reason, replay.message);
      }
      const hwm = await this.lockProgress(q, owner.controllerId);
      if (batch.toSeq <= hwm) {
        // Nothing to write, but the answer uses the nonce: commit it.
        await q.commitTransaction();
        return { highWaterMark: hwm };
      }
      if (batch.fromSeq > hwm + 1) {
        throw new Problem(
          409,
          'sequence-gap',
          `the cloud has everything up to ${hwm}; expected a batch from ${hwm + 1}, got one from ${batch.fromSeq}`,
          { highWaterMark: hwm, expected: hwm + 1, got: batch.fromSeq },
        );
      }
      const ids = await this.write(
        q,
        owner,
        batch.records.filter((r) => lastSeqOf(r) > hwm),
      );
      await q.query(
        `UPDATE controller_progress SET high_water_mark = $2, updated_at = now() WHERE controller_id = $1`,
        [owner.controllerId, batch.toSeq],
      );
      await q.commitTransaction();
      this.known.remember(owner.siteId, ids);
      return { highWaterMark: batch.toSeq };
    } catch (error) {
      if (q.isTransactionActive) await q.rollbackTransaction();
      throw dataProblem(error) ?? error;
    } finally {
      await q.release();
    }
  }

  private async lockProgress(q: QueryRunner, controllerId: number): Promise<number> {
    const select = `SELECT high_water_mark FROM controller_progress WHERE controller_id = $1 FOR UPDATE`;
    type Progress = { high_water_mark: string }[];
    let rows = (await q.query(select, [controllerId])) as Progress;
    if (rows.length === 0) {
      // Enrolment creates the row; this covers controllers enrolled by hand in SQL.
      await q.query(`INSERT INTO controller_progress (controller_id) VALUES ($1) ON CONFLICT DO NOTHING`, [
        controllerId,
      ]);
      rows = (await q.query(select, [controllerId])) as Progress;
    }
    return Number(rows[0].high_water_mark);
  }

  /** Writes the records; answers the catalogue ids of their points, to remember once committed. */
  private async write(
    q: QueryRunner,
    owner: KeyOwner,
    records: OutboxRecord[],
  ): Promise<Map<string, number>> {
    const by = <K extends OutboxRecord['kind']>(kind: K) =>
      records.filter((r): r is Of<K> => r.kind === kind);
    const c = owner.controllerId;
    const s = owner.siteId;
    const samples = by('sample');
    // The bulk of every batch, by COPY on this transaction's connection (sample-copy.ts).
    const ids = await this.pointIds(q, s, samples);
    await copySamples(connectionOf(q), c, s, samples, ids);
    await recordset(
      q,
      `INSERT INTO events (controller_id, seq, site_id, at, type, source, subject, message, data)
       SELECT $1, r.seq, $2, r.at, r.type, r.source, r.subject, r.message, r.data
         FROM jsonb_to_recordset($3::jsonb) AS r(seq bigint, at timestamptz, type text, source text, subject text, message text, data jsonb)`,
      [c, s],
      by('event').map((r) => ({ seq: r.seq, at: r.at, ...r.body })),
    );
    await recordset(
      q,
      `INSERT INTO alarms (controller_id, seq, site_id, at, alarm_id, state, body)
       SELECT $1, r.seq, $2, r.at, r.id, r.state, r.body
         FROM jsonb_to_recordset($3::jsonb) AS r(seq bigint, at timestamptz, id bigint, state text, body jsonb)`,
      [c, s],
      by('alarm').map((r) => ({ seq: r.seq, at: r.at, id: r.body.id, state: r.body.state, body: r.body })),
    );
    await recordset(
      q,
      `INSERT INTO audit (controller_id, seq, site_id, at, actor, action, target, before, after)
       SELECT $1, r.seq, $2, r.at, r.actor, r.action, r.target, r.before, r.after
         FROM jsonb_to_recordset($3::jsonb) AS r(seq bigint, at timestamptz, actor text, action text, target text, before jsonb, after jsonb)`,
      [c, s],
      by('audit').map((r) => ({ seq: r.seq, at: r.at, ...r.body })),
    );
    const snapshots = by('snapshot');
    await recordset(
      q,
      `INSERT INTO snapshot_versions (controller_id, seq, site_id, at, version)
       SELECT $1, r.seq, $2, r.at, r.version
         FROM jsonb_to_recordset($3::jsonb) AS r(seq bigint, at timestamptz, version jsonb)`,
      [c, s],
      snapshots.map((r) => ({ seq: r.seq, at: r.at, version: r.body.version })),
    );
    const blobs = Object.assign({}, ...snapshots.map((r) => r.body.blobs)) as Record<string, unknown>;
    if (Object.keys(blobs).length > 0) {
      // Content-addressed: a blob already on file is the same blob.
      await q.query(
        `INSERT INTO snapshot_blobs (site_id, hash, body) SELECT $1, key, value FROM jsonb_each($2::jsonb)
         ON CONFLICT (site_id, hash) DO NOTHING`,
        [s, JSON.stringify(blobs)],
      );
    }
    await recordset(
      q,
      `INSERT INTO loss_ledger (controller_id, seq, site_id, at, point, from_at, to_at, samples_before, samples_after, reason)
       SELECT $1, r.seq, $2, r.at, r.point, r."from", r."to", r."samplesBefore", r."samplesAfter", r.reason
         FROM jsonb_to_recordset($3::jsonb)
           AS r(seq bigint, at timestamptz, point text, "from" timestamptz, "to" timestamptz, "samplesBefore" integer, "samplesAfter" integer, reason text)`,
      [c, s],
      by('loss').map((r) => ({ seq: r.seq, at: r.at, ...r.body })),
    );
    await recordset(
      q,
      `INSERT INTO thinned_ranges (controller_id, seq, through, at, rows)
       SELECT $1, r.seq, r.through, r.at, r.rows
         FROM jsonb_to_recordset($2::jsonb) AS r(seq bigint, through bigint, at timestamptz, rows integer)`,
      [c],
      by('thinned').map((r) => ({ seq: r.seq, through: r.through, at: r.at, rows: r.body.rows })),
    );
    return ids;
  }

  /**
   * The point catalogue ids of a batch's samples. Ids this replica has seen
   * committed come from memory (known-points.ts: the steady state, a
   * controller sends the same points every scan); the rest are looked up; new
   * points are added in the batch transaction (a refused batch leaves
   * nothing), in key order, so two controllers of one site adding the same new
   * points wait for each other instead of deadlocking.
   */
  private async pointIds(
    q: QueryRunner,
    siteId: number,
    samples: Of<'sample'>[],
  ): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const unknown = new Set<string>();
    for (const r of samples) {
      const key = r.body.point;
      if (ids.has(key) || unknown.has(key)) continue;
      const id = this.known.get(siteId, key);
      if (id === undefined) unknown.add(key);
      else ids.set(key, id);
    }
    if (unknown.size === 0) return ids;
    const keys = [...unknown];
    const select = `SELECT id, key FROM points WHERE site_id = $1 AND key = ANY($2::text[])`;
    type Row = { id: number; key: string };
    for (const r of (await q.query(select, [siteId, keys])) as Row[]) ids.set(r.key, r.id);
    const missing = keys.filter((k) => !ids.has(k));
    if (missing.length === 0) return ids;
    await q.query(
      `INSERT INTO points (site_id, key) SELECT $1, k FROM unnest($2::text[]) AS k ORDER BY k
       ON CONFLICT (site_id, key) DO NOTHING`,
      [siteId, missing],
    );
    for (const r of (await q.query(select, [siteId, missing])) as Row[]) ids.set(r.key, r.id);
    return ids;
  }
}

/**
 * A value the schema lets through but PostgreSQL cannot store (a 30 February,
 * a year past 294276) is the sender's error, not the cloud's: 400 naming
 * PostgreSQL's complaint, the batch rolled back. SQLSTATE class 22 is
 * "data exception"; for the COPY its message says which line and column.
 */
function dataProblem(error: unknown): Problem | undefined {
  const e = error as { code?: unknown; message?: unknown; where?: unknown };
  if (typeof e?.code !== 'string' || !e.code.startsWith('22')) return undefined;
  const where = typeof e.where === 'string' ? ` (${e.where})` : '';
  return new Problem(400, 'invalid-batch', `invalid batch: ${String(e.message)}${where}`, {
    sqlState: e.code,
  });
}

/** The pg client under a connected TypeORM query runner, for COPY (TypeORM has no COPY API). */
function connectionOf(q: QueryRunner): PoolClient {
  return (q as QueryRunner & { databaseConnection: PoolClient }).databaseConnection;
}

async function recordset(q: QueryRunner, sql: string, params: unknown[], rows: object[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(sql, [...params, JSON.stringify(rows)]);
}
