/**
 * Where the interlock engine's state lives between restarts (a small port, as
 * commands/command-store.ts, so the service is tested with the in-memory store).
 * `load` hands back the stored JSON unparsed: libs/rules parseRuleEngineState
 * checks it and names a corrupt field.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RuleEngineState } from '#libs/rules';
import { InterlockStateRow } from './interlock-state.entity.js';

export interface InterlockStateStore {
  /** The saved state, or undefined when none was ever saved. */
  load(): Promise<unknown>;
  save(state: RuleEngineState, now: number): Promise<void>;
}

export const INTERLOCK_STATE_STORE = Symbol('INTERLOCK_STATE_STORE');

const ROW_ID = 'engine';

@Injectable()
export class SqliteInterlockStateStore implements InterlockStateStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async load(): Promise<unknown> {
    const row = await this.db.getRepository(InterlockStateRow).findOneBy({ id: ROW_ID });
    return row === null ? undefined : (JSON.parse(row.stateJson) as unknown);
  }

  async save(state: RuleEngineState, now: number): Promise<void> {
    await this.db
      .getRepository(InterlockStateRow)
      .save({ id: ROW_ID, stateJson: JSON.stringify(state), updatedAt: now });
  }
}

/** In-memory store for unit tests: keeps the serialized form, so a round trip is exercised. */
export class InMemoryInterlockStateStore implements InterlockStateStore {
  json: string | undefined;
  saves = 0;

  load(): Promise<unknown> {
    return Promise.resolve(this.json === undefined ? undefined : (JSON.parse(this.json) as unknown));
  }

  save(state: RuleEngineState): Promise<void> {
    this.json = JSON.stringify(state);
    this.saves++;
    return Promise.resolve();
  }
}
