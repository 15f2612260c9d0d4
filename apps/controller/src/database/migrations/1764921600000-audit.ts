import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log (DESIGN.md point 9) and the snapshot blobs' outbox mark
 * (point 6: the cloud keeps a copy of every version).
 *
 * `audit` is append-only, and SQLite says so itself: triggers refuse every
 * UPDATE and DELETE, so no code path (nor a careless script on the file) can
 * rewrite history. `id` is AUTOINCREMENT: never reused, so `after=<id>` pages
 * forward without missing or repeating an entry.
 *
 * `snapshot_blob.outboxed` marks the blobs already sent along with a
 * 'snapshot' outbox record. Blobs can be stored without a version (the site
 * file's own configuration, kept as the base of the next import) and a later
 * version may share them; they then travel with that version's record. Blobs
 * stored before this migration are unmarked: the next version carries them.
 */
export class Audit1764921600000 implements MigrationInterface {
  name = 'Audit1764921600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "audit" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "at" integer NOT NULL,
      "actor" text NOT NULL,
      "method" text NOT NULL,
      "route" text NOT NULL,
      "path" text NOT NULL,
      "target" text NOT NULL,
      "status" integer NOT NULL,
      "title" text NOT NULL,
      "detail" text,
      "before_json" text,
      "after_json" text
    )`);
    await q.query(`CREATE INDEX "idx_audit_actor_id" ON "audit" ("actor", "id")`);
    await q.query(`CREATE INDEX "idx_audit_target_id" ON "audit" ("target", "id")`);
    await q.query(`CREATE INDEX "idx_audit_at" ON "audit" ("at")`);
    await q.query(`CREATE TRIGGER "audit_no_update" BEFORE UPDATE ON "audit"
      BEGIN SELECT RAISE(ABORT, 'audit is append-only: no UPDATE'); END`);
    await q.query(`CREATE TRIGGER "audit_no_delete" BEFORE DELETE ON "audit"
      BEGIN SELECT RAISE(ABORT, 'audit is append-only: no DELETE'); END`);
    await q.query(`ALTER TABLE "snapshot_blob" ADD COLUMN "outboxed" integer NOT NULL DEFAULT 0`);
    await q.query(
      `CREATE INDEX "idx_snapshot_blob_pending" ON "snapshot_blob" ("hash") WHERE "outboxed" = 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "idx_snapshot_blob_pending"`);
    await q.query(`ALTER TABLE "snapshot_blob" DROP COLUMN "outboxed"`);
    await q.query(`DROP TABLE "audit"`);
  }
}
