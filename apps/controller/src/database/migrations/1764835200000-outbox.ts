import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The durable outbox and the local loss ledger (issue 5 item 4, DESIGN.md
 * point 6).
 *
 * `outbox.seq` is AUTOINCREMENT: SQLite never hands out a sequence number
 * twice, even after the newest rows were trimmed and the controller restarted
 * (sqlite_sequence keeps the highest). A `thinned` row takes the seq of the
 * first row it replaced (explicit insert below the counter, which AUTOINCREMENT
 * allows) and `through` the last, so sequence continuity needs no renumbering.
 * `bytes` is the row's accounted size, summed for the cap. `point` is set for
 * samples only: thinning groups a window's samples by point.
 *
 * `loss_ledger` keeps every thinning and refusal locally for
 * GET /api/v1/outbox/ledger after its outbox record (`seq`) has been sent and
 * trimmed.
 */
export class Outbox1764835200000 implements MigrationInterface {
  name = 'Outbox1764835200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "outbox" (
      "seq" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "through" integer,
      "kind" text NOT NULL CHECK ("kind" IN ('sample', 'event', 'alarm', 'audit', 'snapshot', 'loss', 'thinned')),
      "at" integer NOT NULL,
      "point" text,
      "body" text NOT NULL,
      "bytes" integer NOT NULL,
      CHECK (("through" IS NULL) = ("kind" <> 'thinned'))
    )`);
    await q.query(`CREATE INDEX "idx_outbox_sample_at" ON "outbox" ("at", "point") WHERE "kind" = 'sample'`);
    // Running totals kept in the same transaction as every change: the cap and the health
    // endpoint read them in O(1), and they cannot drift from the rows across a crash.
    // `appended` only grows (bytes ever appended): the append rate is its slope.
    await q.query(`CREATE TABLE "outbox_meta" (
      "id" integer PRIMARY KEY NOT NULL CHECK ("id" = 1),
      "records" integer NOT NULL,
      "bytes" integer NOT NULL,
      "appended" integer NOT NULL
    )`);
    await q.query(`INSERT INTO "outbox_meta" ("id", "records", "bytes", "appended") VALUES (1, 0, 0, 0)`);
    await q.query(`CREATE TABLE "loss_ledger" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "seq" integer NOT NULL,
      "point" text NOT NULL,
      "from_at" integer NOT NULL,
      "to_at" integer NOT NULL,
      "samples_before" integer NOT NULL,
      "samples_after" integer NOT NULL,
      "reason" text NOT NULL,
      "recorded_at" integer NOT NULL
    )`);
    await q.query(`CREATE INDEX "idx_loss_ledger_point" ON "loss_ledger" ("point", "from_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "loss_ledger"`);
    await q.query(`DROP TABLE "outbox_meta"`);
    await q.query(`DROP TABLE "outbox"`);
  }
}
