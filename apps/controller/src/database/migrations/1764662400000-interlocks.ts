import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The interlock engine's saved state (libs/rules RuleEngineState as JSON):
 * hysteresis, delay-on timers and which rule holds which slot, so a restart
 * neither resets a running delay nor forgets a held slot. One row per engine.
 */
export class Interlocks1764662400000 implements MigrationInterface {
  name = 'Interlocks1764662400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "interlock_state" (
      "id" text PRIMARY KEY NOT NULL,
      "state_json" text NOT NULL,
      "updated_at" integer NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "interlock_state"`);
  }
}
