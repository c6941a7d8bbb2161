import {
  SqliteDialect,
  SqliteDriver,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  type QueryResult,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';

/**
 * Hands the one connection to its waiters in arrival order. Kysely's own SQLite mutex wakes every
 * waiter on each release and lets all but one queue again: with 50 turns in flight that is
 * quadratic promise churn on every query.
 */
export function createFifoLock() {
  let held = false;
  const waiters: Array<() => void> = [];
  return {
    /** Takes the lock only if it is free (then nobody waits either); never queues. */
    tryAcquire(): boolean {
      if (held) return false;
      held = true;
      return true;
    },
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
  };
}

type FifoLock = ReturnType<typeof createFifoLock>;

/**
 * Kysely's SQLite driver (its connection, transactions, close) with a first-come, first-served
 * lock around the one connection. The connection is taken from kysely once and never handed
 * back to kysely's mutex: this lock alone decides who uses it.
 */
class FifoSqliteDriver extends SqliteDriver {
  readonly #lock: FifoLock;
  #connection: DatabaseConnection | undefined;

  constructor(config: SqliteDialectConfig, lock: FifoLock) {
    super(config);
    this.#lock = lock;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.acquire();
    this.#connection ??= await super.acquireConnection();
    return this.#connection;
  }
  override async releaseConnection(): Promise<void> {
    this.#lock.release();
  }
}

/** The SQLite dialect Hearth uses: kysely's, with the FIFO driver above. */
export class FifoSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #lock: FifoLock;
  constructor(config: SqliteDialectConfig, lock: FifoLock = createFifoLock()) {
    super(config);
    this.#config = config;
    this.#lock = lock;
  }
  override createDriver(): Driver {
    return new FifoSqliteDriver(this.#config, this.#lock);
  }
}

/** What kysely's SQLite connection answers for one statement (the same shape, so nothing above can tell). */
function runStatement(database: SqliteDatabase, query: CompiledQuery): QueryResult<unknown> {
  const statement = database.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters) };
  const { changes, lastInsertRowid } = statement.run(query.parameters);
  return {
    numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
    insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
    rows: [],
  };
}

/**
 * Runs the statements of `db` (the root handle, no plugins) straight on the one connection when
 * nobody holds it: kysely's path to the connection (executor, connection provider, runtime driver,
 * driver, mutex) is five async layers and a dozen promises per statement, more than most of our
 * statements cost to run. Same lock, same statement cache, same result shape; the statement still
 * runs only while the lock is held, so it never lands inside someone else's open transaction. When
 * the lock is held (a transaction, a queue), after the handle is closed, and for transactions and
 * plugin-wrapped handles (other executors), kysely's own path runs, unchanged.
 */
export function runDirectlyWhenFree(db: Kysely<unknown>, database: SqliteDatabase, lock: FifoLock, isOpen: () => boolean): void {
  const executor = db.getExecutor();
  const viaKysely = executor.executeQuery.bind(executor);
  Object.defineProperty(executor, 'executeQuery', {
    value: <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
      if (executor.plugins.length > 0 || !isOpen() || !lock.tryAcquire()) return viaKysely<R>(query);
      try {
        return Promise.resolve(runStatement(database, query) as QueryResult<R>);
      } catch (err) {
        return Promise.reject(err as Error);
      } finally {
        lock.release();
      }
    },
  });
}
