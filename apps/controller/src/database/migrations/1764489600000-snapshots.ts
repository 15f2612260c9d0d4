import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The configuration's snapshot store (libs/snapshots, DESIGN.md point 8):
 * content-addressed blobs, version records in insertion order, the head as a
 * single row, and the record of each site-file import (the hash of the
 * configuration the file gave, so a restart knows whether the file changed).
 * Written only through SqliteSnapshotStore, one transaction per commit.
 */
export class Snapshots1764489600000 implements MigrationInterface {
  name = 'Snapshots1764489600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "snapshot_blob" (
      "hash" text PRIMARY KEY NOT NULL,
      "json" text NOT NULL
    )`);
    await q.query(`CREATE TABLE "snapshot_version" (
      "seq" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "id" text NOT NULL UNIQUE,
      "json" text NOT NULL
    )`);
    await q.query(`CREATE TABLE "snapshot_head" (
      "singleton" integer PRIMARY KEY NOT NULL CHECK ("singleton" = 1),
      "version_id" text NOT NULL REFERENCES "snapshot_version" ("id")
    )`);
    await q.query(`CREATE TABLE "snapshot_import" (
      "seq" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "source_hash" text NOT NULL,
      "file" text NOT NULL,
      "version_id" text NOT NULL REFERENCES "snapshot_version" ("id"),
      "imported_at" text NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "snapshot_import"`);
    await q.query(`DROP TABLE "snapshot_head"`);
    await q.query(`DROP TABLE "snapshot_version"`);
    await q.query(`DROP TABLE "snapshot_blob"`);
  }
}
