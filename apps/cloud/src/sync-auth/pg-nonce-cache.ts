/**
 * libs/sync NonceCache on PostgreSQL (used_nonces): one store for every
 * replica, so a replay through another replica is still a replay. A nonce is
 * new when the INSERT inserted; a row past its expiry may be reused (the
 * contract's "not yet past its own untilMs"). Expired rows are purged at most
 * once a minute per replica, which bounds the table to about one validity
 * window of traffic.
 */
import type { DataSource } from 'typeorm';
import type { NonceCache } from '#libs/sync';
import type { Clock } from '../common/tokens.js';

const PURGE_EVERY_MS = 60_000;

export class PgNonceCache implements NonceCache {
  private lastPurge = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  async remember(keyId: string, nonce: string, untilMs: number): Promise<boolean> {
    const now = this.clock.now();
    if (now - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now;
      await this.db.query(`DELETE FROM used_nonces WHERE expires_at < $1`, [new Date(now)]);
    }
    const rows: unknown[] = await this.db.query(
      `INSERT INTO used_nonces (keyid, nonce, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (keyid, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE used_nonces.expires_at < $4
       RETURNING 1`,
      [keyId, nonce, new Date(untilMs), new Date(now)],
    );
    return rows.length === 1;
  }
}
