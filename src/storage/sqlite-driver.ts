import { CompiledQuery, SqliteDialect, SelectQueryNode, type DatabaseConnection, type Driver, type QueryResult, type SqliteDatabase } from 'kysely';

/**
 * Hands the one connection to its waiters in arrival order. Kysely's own SQLite mutex wakes every
 * waiter on each release and lets all but one queue again: with 50 turns in flight that is
 * quadratic promise churn on every query.
 */
export function createFifoLock() {
  let held = false;
  const waiters: Array<() => void> = [];
  return {
    acquire(): Promise<void> | undefined {
      if (!held) {
        held = true;
        return undefined;
      }
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    /** Passes the lock straight to the next waiter, if any. */
    release(): void {
      const next = waiters.shift();
      if (next) next();
      else held = false;
    },
    get waiting(): number {
      return waiters.length;
    },
  };
}

function sqliteConnection(db: SqliteDatabase): DatabaseConnection {
  return {
    async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
      const statement = db.prepare(compiled.sql);
      if (statement.reader) return { rows: statement.all(compiled.parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(compiled.parameters);
      return {
        numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
        insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
        rows: [],
      };
    },
    async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
      if (!SelectQueryNode.is(compiled.query)) throw new Error('SQLite streams only select queries');
      for (const row of db.prepare(compiled.sql).iterate(compiled.parameters)) yield { rows: [row as R] };
    },
  };
}

/** Kysely's SQLite driver with a first-come, first-served lock around the one connection. */
class FifoSqliteDriver implements Driver {
  readonly #db: SqliteDatabase;
  readonly #connection: DatabaseConnection;
  readonly #lock = createFifoLock();

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#connection = sqliteConnection(db);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.acquire();
    return this.#connection;
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(): Promise<void> {
    this.#lock.release();
  }
  async destroy(): Promise<void> {
    this.#db.close();
  }
}

/** The SQLite dialect Hearth uses: kysely's, with the FIFO driver above. */
export class FifoSqliteDialect extends SqliteDialect {
  readonly #db: SqliteDatabase;
  constructor(db: SqliteDatabase) {
    super({ database: db });
    this.#db = db;
  }
  override createDriver(): Driver {
    return new FifoSqliteDriver(this.#db);
  }
}
