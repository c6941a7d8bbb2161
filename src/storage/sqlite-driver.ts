import { SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';

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
  };
}

/**
 * Kysely's SQLite driver (its connection, transactions, close) with a first-come, first-served
 * lock around the one connection. The connection is taken from kysely once and never handed
 * back to kysely's mutex: this lock alone decides who uses it.
 */
class FifoSqliteDriver extends SqliteDriver {
  readonly #lock = createFifoLock();
  #connection: DatabaseConnection | undefined;

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
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new FifoSqliteDriver(this.#config);
  }
}
