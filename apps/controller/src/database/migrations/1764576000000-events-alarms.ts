import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only event log and the alarm occurrences (issue 4 item 6).
 *
 * `event.seq` is AUTOINCREMENT, not a plain rowid: SQLite then never reuses a
 * sequence number, even after the newest rows are deleted, so it can serve as
 * the per-controller outbox sequence the cloud deduplicates on (issue 5).
 *
 * `alarm` holds one row per occurrence. The partial unique index allows at
 * most one uncleared occurrence per condition (kind, subject): a condition
 * raised again while it is still uncleared is the same occurrence.
 */
export class EventsAlarms1764576000000 implements MigrationInterface {
  name = 'EventsAlarms1764576000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "event" (
      "seq" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "at" integer NOT NULL,
      "type" text NOT NULL,
      "source" text NOT NULL,
      "subject" text,
      "message" text NOT NULL,
      "data_json" text
    )`);
    await q.query(`CREATE INDEX "idx_event_type_seq" ON "event" ("type", "seq")`);
    await q.query(`CREATE INDEX "idx_event_subject_seq" ON "event" ("subject", "seq")`);
    await q.query(`CREATE INDEX "idx_event_at" ON "event" ("at")`);
    await q.query(`CREATE TABLE "alarm" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "kind" text NOT NULL,
      "subject" text NOT NULL,
      "severity" text NOT NULL CHECK ("severity" IN ('critical', 'major', 'minor', 'warning')),
      "message" text NOT NULL,
      "data_json" text,
      "raised_at" integer NOT NULL,
      "cleared_at" integer,
      "acknowledged_at" integer,
      "acknowledged_by" text,
      "acknowledgement_comment" text,
      CHECK (("acknowledged_at" IS NULL) = ("acknowledged_by" IS NULL))
    )`);
    await q.query(
      `CREATE UNIQUE INDEX "idx_alarm_uncleared" ON "alarm" ("kind", "subject") WHERE "cleared_at" IS NULL`,
    );
    await q.query(`CREATE INDEX "idx_alarm_raised" ON "alarm" ("raised_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "alarm"`);
    await q.query(`DROP TABLE "event"`);
  }
}
