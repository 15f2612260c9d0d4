import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The interlock engine's saved state (migration 1764662400000). */
@Entity({ name: 'interlock_state' })
export class InterlockStateRow {
  /** One engine per controller today: 'engine'. */
  @PrimaryColumn({ name: 'id', type: 'text' })
  id!: string;

  /** libs/rules RuleEngineState. */
  @Column({ name: 'state_json', type: 'text' })
  stateJson!: string;

  /** Milliseconds since the epoch, UTC. */
  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;
}
