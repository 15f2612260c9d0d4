import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per commanded point: its priority array (libs/priority toJSON, with
 * leases and expiries) and the output gate's state (min on/off clock, ramp),
 * so arbitration and minimum times survive a restart.
 */
export class Commands1764403200000 implements MigrationInterface {
  name = 'Commands1764403200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "point_command_state" (
      "point_id" text PRIMARY KEY NOT NULL,
      "array_json" text NOT NULL,
      "output_json" text NOT NULL,
      "updated_at" integer NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "point_command_state"`);
  }
}
