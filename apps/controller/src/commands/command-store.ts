/**
 * Where priority arrays and output states live between restarts. A small port
 * (CONVENTIONS.md habit 6) so the service is tested with an in-memory store and
 * the SQLite one is tested on a real file. Rows are read back through
 * libs/priority's validating readers: a corrupt row is named, never half-read.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { fromJSON, outputStateFromJSON, toJSON } from '#libs/priority';
import type { OutputState, PriorityArray } from '#libs/priority';
import { PointCommandState } from './point-command-state.entity.js';

export interface StoredCommandState {
  array: PriorityArray;
  output: OutputState;
}

export interface CommandStore {
  loadAll(): Promise<StoredCommandState[]>;
  save(state: StoredCommandState, now: number): Promise<void>;
}

export const COMMAND_STORE = Symbol('COMMAND_STORE');

@Injectable()
export class SqliteCommandStore implements CommandStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async loadAll(): Promise<StoredCommandState[]> {
    const rows = await this.db.getRepository(PointCommandState).find({ order: { pointId: 'ASC' } });
    return rows.map((row) => ({
      array: fromJSON(row.arrayJson),
      output: outputStateFromJSON(JSON.parse(row.outputJson) as unknown),
    }));
  }

  async save(state: StoredCommandState, now: number): Promise<void> {
    await this.db.getRepository(PointCommandState).save({
      pointId: state.array.pointId,
      arrayJson: JSON.stringify(toJSON(state.array)),
      outputJson: JSON.stringify(state.output),
      updatedAt: now,
    });
  }
}

/** In-memory store for unit tests: keeps the serialized form, so a round trip is exercised. */
export class InMemoryCommandStore implements CommandStore {
  readonly rows = new Map<string, { array: string; output: string }>();

  loadAll(): Promise<StoredCommandState[]> {
    return Promise.resolve(
      [...this.rows.values()].map((r) => ({
        array: fromJSON(r.array),
        output: outputStateFromJSON(JSON.parse(r.output) as unknown),
      })),
    );
  }

  save(state: StoredCommandState): Promise<void> {
    this.rows.set(state.array.pointId, {
      array: JSON.stringify(toJSON(state.array)),
      output: JSON.stringify(state.output),
    });
    return Promise.resolve();
  }
}
