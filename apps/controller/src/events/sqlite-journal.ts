/**
 * Synchronous, serialised writes to the controller's SQLite file, for the
 * append-only stores (events, alarms, audit and the outbox).
 *
 * Why not TypeORM's `transaction()`: the better-sqlite3 driver shares one
 * connection and one query runner, so two async transactions that overlap
 * nest as savepoints of each other — the first to "commit" only releases a
 * savepoint, and a kill -9 before the outer COMMIT loses what was reported
 * durable. A better-sqlite3 transaction is synchronous instead: nothing else
 * runs on the event loop between its BEGIN and COMMIT. It is only started
 * while no TypeORM transaction is open on the shared connection (else its
 * statements would join that transaction and share its fate); it waits a
 * turn of the event loop until then. So when `write` resolves, the rows are
 * committed on their own, and everything written in one `write` commits or
 * fails together (the outbox's "same transaction as the state change").
 */
import type { DataSource } from 'typeorm';

/** The part of better-sqlite3's Database this uses. */
export interface SqliteStatement {
  run(...params: unknown[]): { lastInsertRowid: number | bigint; changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
export interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  transaction<T>(fn: () => T): () => T;
}

interface SharedDriver {
  databaseConnection?: SqliteConnection;
  queryRunner?: { isTransactionActive: boolean };
}

const statements = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

/**
 * The connection's compiled statement for `sql`, compiled on first use only:
 * better-sqlite3 compiles anew on every prepare(), which doubled the cost of
 * one outbox append (21 µs against 10 µs, 20 000 appends to an in-memory
 * database).
 * Keyed by connection, so a reopened database compiles afresh.
 */
export function prepared(conn: SqliteConnection, sql: string): SqliteStatement {
  let bySql = statements.get(conn);
  if (!bySql) statements.set(conn, (bySql = new Map<string, SqliteStatement>()));
  let statement = bySql.get(sql);
  if (!statement) bySql.set(sql, (statement = conn.prepare(sql)));
  return statement;
}

/** `[column, operator, value]`: a condition of a list query, left out while `value` is undefined. */
export type Filter = readonly [column: string, op: '=' | '<' | '<=' | '>' | '>=', value: unknown];

/** Adds the given filters' conditions and parameters to `where` and `params` (the list endpoints' queries). */
export function addFilters(where: string[], params: unknown[], filters: readonly Filter[]): void {
  for (const [column, op, value] of filters)
    if (value !== undefined) {
      where.push(`"${column}" ${op} ?`);
      params.push(value);
    }
}

/** Give up waiting for other code's transaction after this long (it is a bug if one stays open). */
const MAX_WAIT_MS = 10_000;

export class SqliteJournal {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: DataSource) {}

  /** Runs `fn` inside one SQLite transaction of its own; resolves after COMMIT, in call order. */
  write<T>(fn: (conn: SqliteConnection) => T): Promise<T> {
    const run = this.chain.then(async () => {
      await this.turnWhenIdle();
      const conn = this.connection();
      return conn.transaction(() => fn(conn))();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Reads without a transaction of its own (a snapshot of what is committed, plus any open write). */
  read<T>(fn: (conn: SqliteConnection) => T): T {
    return fn(this.connection());
  }

  private connection(): SqliteConnection {
    const conn = (this.db.driver as unknown as SharedDriver).databaseConnection;
    if (!conn) throw new Error('SQLite connection is not open');
    return conn;
  }

  private async turnWhenIdle(): Promise<void> {
    const driver = this.db.driver as unknown as SharedDriver;
    const until = Date.now() + MAX_WAIT_MS;
    while (driver.queryRunner?.isTransactionActive === true) {
      if (Date.now() > until) throw new Error(`an SQLite transaction stayed open for ${MAX_WAIT_MS} ms`);
      await new Promise<void>((r) => setImmediate(r));
    }
  }
}
