import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1764230400000 implements MigrationInterface {
  name = 'Init1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "point_sample" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "point_id" text NOT NULL,
      "ts" integer NOT NULL,
      "value" real,
      "quality" text NOT NULL CHECK ("quality" IN ('good', 'stale', 'comm-fail'))
    )`);
    await q.query(`CREATE INDEX "idx_point_sample_point_ts" ON "point_sample" ("point_id", "ts")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "idx_point_sample_point_ts"`);
    await q.query(`DROP TABLE "point_sample"`);
  }
}
