/**
 * libs/sync NonceCache on PostgreSQL (used_nonces): one store for every
 * replica, so a replay through another replica is still a replay. A nonce is
 * new when the INSERT inserted; a row past its expiry may be reused (the
 * contract's "not yet past its own untilMs"). Expired rows are purged at most
 * once a minute per replica, which bounds the table to about one validity
 * window of traffic.
 *
 * `remember` records a nonce in a commit of its own (the signed guard, for
 * ping, desired and reported). `rememberIn` records it in the caller's
 * transaction instead (ingest: verify with deferNonce, then record the nonce
 * first thing in the batch's transaction), which saves a commit per batch: the
 * nonce is used exactly when the batch commits, left unused when it rolls
 * back, and two copies of one request racing each other serialise on the
 * (keyid, nonce) key: the second INSERT waits for the first transaction and
 * then finds the nonce taken (or free again, if that one rolled back).
 */
import type { DataSource } from 'typeorm';
import type { NonceCache } from '#libs/sync';
import type { Clock } from '../common/tokens.js';

const PURGE_EVERY_MS = 60_000;

/** What runs SQL: the DataSource (a commit of its own) or a query runner inside a transaction. */
export interface Sql {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** A verified request's nonce, left for its handler to record (VerifyOptions.deferNonce). */
export interface DeferredNonce {
  keyId: string;
  nonce: string;
  /** Epoch ms: remember it until then. */
  untilMs: number;
}

export class PgNonceCache implements NonceCache {
  private lastPurge = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  async remember(keyId: string, nonce: string, untilMs: number): Promise<boolean> {
    await this.purgeIfDue();
    return this.insert(this.db, { keyId, nonce, untilMs });
  }

  /** Records the nonce in `tx`'s transaction; false when it was already used. Call purgeIfDue() before the transaction. */
  rememberIn(tx: Sql, n: DeferredNonce): Promise<boolean> {
    return this.insert(tx, n);
  }

  /** Deletes expired nonces, at most once a minute per replica, on a connection of its own. */
  async purgeIfDue(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    await this.db.query(`DELETE FROM used_nonces WHERE expires_at < $1`, [new Date(now)]);
  }

  private async insert(sql: Sql, n: DeferredNonce): Promise<boolean> {
    const rows = (await sql.query(
      `INSERT INTO used_nonces (keyid, nonce, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (keyid, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE used_nonces.expires_at < $4
       RETURNING 1`,
      [n.keyId, n.nonce, new Date(n.untilMs), new Date(this.clock.now())],
    )) as unknown[];
    return rows.length === 1;
  }
}
