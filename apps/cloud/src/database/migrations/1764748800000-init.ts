import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The cloud's schema on PostgreSQL (issue 5 items 1, 2 and 7; DESIGN.md points 6–7).
 *
 * Fleet: organizations → sites → controllers → controller_keys (fingerprint is the
 * RFC 9421 keyid; a revoked key stays so a refusal says "revoked", not "unknown").
 *
 * Outbox mirror: every table that receives outbox records has PRIMARY KEY
 * (controller_id, seq), so the database itself refuses a doubled record even
 * if the high-water-mark check in ingest were ever wrong.
 *
 * samples is NOT partitioned: PostgreSQL requires a partitioned table's
 * primary key to include the partition column, so partitioning by `at` would
 * weaken the key to (controller_id, seq, at) and lose the database-enforced
 * "each (controller, seq) once". Time queries use a BRIN index on `at` (tiny,
 * and samples arrive roughly in time order) and a btree on (point_id, at) for
 * one point's history (a point id belongs to one site). Partitioning (or
 * TimescaleDB) is the next step when one table outgrows a machine; the
 * uniqueness then moves to a per-partition key plus the high-water mark.
 *
 * used_nonces is the shared replay cache, so replicas stay stateless.
 */
export class CloudInit1764748800000 implements MigrationInterface {
  name = 'CloudInit1764748800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE organizations (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      slug text NOT NULL UNIQUE,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE sites (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      organization_id integer NOT NULL REFERENCES organizations (id),
      slug text NOT NULL UNIQUE,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE controllers (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      site_id integer NOT NULL REFERENCES sites (id),
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (site_id, name)
    )`);
    await q.query(`CREATE TABLE controller_keys (
      fingerprint text PRIMARY KEY,
      controller_id integer NOT NULL REFERENCES controllers (id),
      public_key text NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'revoked')),
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
    )`);
    await q.query(`CREATE INDEX idx_controller_keys_controller ON controller_keys (controller_id)`);
    await q.query(`CREATE TABLE controller_progress (
      controller_id integer PRIMARY KEY REFERENCES controllers (id),
      high_water_mark bigint NOT NULL DEFAULT 0 CHECK (high_water_mark >= 0),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE used_nonces (
      keyid text NOT NULL,
      nonce text NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (keyid, nonce)
    )`);
    await q.query(`CREATE INDEX idx_used_nonces_expires ON used_nonces (expires_at)`);
    await q.query(`CREATE TABLE points (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      site_id integer NOT NULL REFERENCES sites (id),
      key text NOT NULL,
      first_seen_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (site_id, key)
    )`);
    await q.query(`CREATE TABLE samples (
      controller_id integer NOT NULL,
      seq bigint NOT NULL,
      site_id integer NOT NULL,
      point_id integer NOT NULL,
      at timestamptz NOT NULL,
      value double precision,
      quality text NOT NULL,
      PRIMARY KEY (controller_id, seq)
    )`);
    await q.query(`CREATE INDEX idx_samples_at_brin ON samples USING brin (at)`);
    await q.query(`CREATE INDEX idx_samples_point_at ON samples (point_id, at)`);
    await q.query(`CREATE TABLE events (
      controller_id integer NOT NULL,
      seq bigint NOT NULL,
      site_id integer NOT NULL,
      at timestamptz NOT NULL,
      type text NOT NULL,
      source text NOT NULL,
      subject text,
      message text NOT NULL,
      data jsonb,
      PRIMARY KEY (controller_id, seq)
    )`);
    await q.query(`CREATE INDEX idx_events_site_at ON events (site_id, at)`);
    await q.query(`CREATE TABLE alarms (
      controller_id integer NOT NULL,
      seq bigint NOT NULL,
      site_id integer NOT NULL,
      at timestamptz NOT NULL,
      alarm_id bigint NOT NULL,
      state text NOT NULL,
      body jsonb NOT NULL,
      PRIMARY KEY (controller_id, seq)
    )`);
    await q.query(`CREATE INDEX idx_alarms_site_at ON alarms (site_id, at)`);
    await q.query(`CREATE TABLE audit (
      controller_id integer NOT NULL,
      seq bigint NOT NULL,
      site_id integer NOT NULL,
      at timestamptz NOT NULL,
      actor text NOT NULL,
      action text NOT NULL,
      target text NOT NULL,
      before jsonb,
      after jsonb,
      PRIMARY KEY (controller_id, seq)
    )`);
    await q.query(`CREATE INDEX idx_audit_site_at ON audit (site_id, at)`);
    await q.query(`CREATE TABLE snapshot_versions (
      controller_id integer NOT NULL,
      seq bigint NOT NULL,
      site_id integer NOT NULL,
      at timestamptz NOT NULL,
      version jsonb NOT NULL,
      PRIMARY KEY (controller_id, seq)
    )`);
    await q.query(`CREATE TABLE snapshot_blobs (
      site_id integer NOT NULL,
      hash text NOT NULL,
      body jsonb NOT NULL,
      PRIMARY KEY (site_id, hash)
    )`);
    await q.query(`CREATE TABLE loss_ledger (
      controller_id integer NOT NULL,
      seq bigint NOT NULL,
      site_id integer NOT NULL,
      at timestamptz NOT NULL,
      point text NOT NULL,
      from_at timestamptz NOT NULL,
      to_at timestamptz NOT NULL,
      samples_before integer NOT NULL,
      samples_after integer NOT NULL,
      reason text NOT NULL,
      PRIMARY KEY (controller_id, seq)
    )`);
    await q.query(`CREATE TABLE thinned_ranges (
      controller_id integer NOT NULL,
      seq bigint NOT NULL,
      through bigint NOT NULL CHECK (through >= seq),
      at timestamptz NOT NULL,
      rows integer NOT NULL,
      PRIMARY KEY (controller_id, seq)
    )`);
    await q.query(`CREATE TABLE desired_state (
      controller_id integer PRIMARY KEY REFERENCES controllers (id),
      version bigint NOT NULL,
      body jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE reported_state (
      controller_id integer PRIMARY KEY REFERENCES controllers (id),
      body jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'reported_state',
      'desired_state',
      'thinned_ranges',
      'loss_ledger',
      'snapshot_blobs',
      'snapshot_versions',
      'audit',
      'alarms',
      'events',
      'samples',
      'points',
      'used_nonces',
      'controller_progress',
      'controller_keys',
      'controllers',
      'sites',
      'organizations',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
