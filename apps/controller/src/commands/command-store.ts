/**
 * Where priority arrays and output states live between restarts. A small port
 * (CONVENTIONS.md habit 6) so the service is tested with an in-memory store and
 * the SQLite one is tested on a real file. Rows are read back through
 * libs/priority's validating readers: a corrupt row is named, never half-read.
 *
 * One `commit` is one change of one point, whole: its array and output state,
 * the events that record it (each with its outbox record) and, when an audited
 * request made it, the request's audit entry (with its outbox record) — in one
 * SQLite transaction (DESIGN.md point 6, CONVENTIONS.md habit 7). So a kill -9
 * can never leave an expiry's event without the array that no longer holds the
 * slot (the restart would expire and record it again), nor a change without
 * its audit entry, nor an entry for a change that did not happen.
 */
import { Injectable } from '@nestjs/common';
import { fromJSON, outputStateFromJSON, toJSON } from '#libs/priority';
import type { OutputState, PriorityArray } from '#libs/priority';
import { appendAudit } from '../audit/audit-store.js';
import type { NewAuditEntry } from '../audit/audit-store.js';
import { appendEvent } from '../events/event-store.js';
import { MemoryEventSink } from '../events/event-sink.js';
import type { NewEvent } from '../events/event-sink.js';
import { prepared, SqliteJournal } from '../events/sqlite-journal.js';

export interface StoredCommandState {
  array: PriorityArray;
  output: OutputState;
}

/** The audit entry of the request making a change, written with it (audit/pending-audit.ts). */
export interface ChangeAudit {
  /** The entry, `after` being what the request answers; undefined once written or once the request is over. */
  entry(after: unknown): NewAuditEntry | undefined;
  /** The transaction holding the entry has committed. */
  written(): void;
}

export interface CommandChange {
  state: StoredCommandState;
  /** What records the change: a command, a relinquish, the slots that ran out. */
  events: readonly NewEvent[];
  /** Present when an audited request makes the change. */
  audit?: { record: ChangeAudit; after: unknown };
}

export interface CommandStore {
  loadAll(): Promise<StoredCommandState[]>;
  /** Resolves once the whole change is committed; on a failure nothing of it is. */
  commit(change: CommandChange, now: number): Promise<void>;
}

export const COMMAND_STORE = Symbol('COMMAND_STORE');

interface Row {
  array_json: string;
  output_json: string;
}

const fromRow = (arrayJson: string, outputJson: string): StoredCommandState => ({
  array: fromJSON(arrayJson),
  output: outputStateFromJSON(JSON.parse(outputJson) as unknown),
});

/** Through the shared SqliteJournal, so the change joins the events and the audit entry in one transaction. */
@Injectable()
export class SqliteCommandStore implements CommandStore {
  constructor(private readonly journal: SqliteJournal) {}

  loadAll(): Promise<StoredCommandState[]> {
    const rows = this.journal.read((conn) =>
      prepared(
        conn,
        `SELECT "array_json", "output_json" FROM "point_command_state" ORDER BY "point_id"`,
      ).all(),
    ) as Row[];
    return Promise.resolve(rows.map((r) => fromRow(r.array_json, r.output_json)));
  }

  async commit(change: CommandChange, now: number): Promise<void> {
    const { state, events, audit } = change;
    const arrayJson = JSON.stringify(toJSON(state.array));
    const outputJson = JSON.stringify(state.output);
    const wrote = await this.journal.write((conn) => {
      prepared(
        conn,
        `INSERT INTO "point_command_state" ("point_id", "array_json", "output_json", "updated_at") VALUES (?, ?, ?, ?)
           ON CONFLICT ("point_id") DO UPDATE SET "array_json" = excluded."array_json",
             "output_json" = excluded."output_json", "updated_at" = excluded."updated_at"`,
      ).run(state.array.pointId, arrayJson, outputJson, now);
      for (const event of events) appendEvent(conn, event, now);
      const entry = audit?.record.entry(audit.after);
      if (entry) appendAudit(conn, entry);
      return entry !== undefined;
    });
    if (wrote) audit?.record.written();
  }
}

/**
 * In-memory store for unit tests: keeps the serialized form, so a round trip is
 * exercised; the events go to `events`, the audit entries to `audits`. `failNext`
 * makes the next commit fail whole, as a transaction that could not commit.
 */
export class InMemoryCommandStore implements CommandStore {
  readonly rows = new Map<string, { array: string; output: string }>();
  readonly audits: NewAuditEntry[] = [];
  failNext?: Error;

  constructor(readonly events: MemoryEventSink = new MemoryEventSink()) {}

  loadAll(): Promise<StoredCommandState[]> {
    return Promise.resolve([...this.rows.values()].map((r) => fromRow(r.array, r.output)));
  }

  async commit(change: CommandChange, now: number): Promise<void> {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    const { state, events, audit } = change;
    this.rows.set(state.array.pointId, {
      array: JSON.stringify(toJSON(state.array)),
      output: JSON.stringify(state.output),
    });
    for (const event of events) await this.events.record({ ...event, at: event.at ?? now });
    const entry = audit?.record.entry(audit.after);
    if (entry) {
      this.audits.push(entry);
      audit?.record.written();
    }
  }
}
