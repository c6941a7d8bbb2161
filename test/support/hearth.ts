import { rmSync } from 'node:fs';
import { createHearth, type Hearth } from '../../src/app/index.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/logging/index.js';
import type { HearthApp, HearthPlugin } from '../../src/core/index.js';
import { LogCapture } from './log-capture.js';
import { dropSchema, PG_URL, tempDir, uniqueSchema, type DatabaseKind } from './databases.js';

export interface TestHearth {
  readonly hearth: Hearth;
  readonly app: HearthApp;
  readonly config: Config;
  readonly logs: LogCapture;
  readonly logger: Logger;
  readonly dataDir: string;
  close(): Promise<void>;
}

export interface TestHearthOptions {
  readonly db?: DatabaseKind;
  /** Extra environment variables (HEARTH_*). */
  readonly env?: Record<string, string>;
  /** Reuse a data directory / schema (e.g. two replicas over one database). */
  readonly dataDir?: string;
  readonly pgSchema?: string;
  readonly now?: () => number;
  /** The plugin list (default: Hearth's own). */
  readonly plugins?: readonly HearthPlugin[];
}

/** A complete Hearth over a fresh database, its HTTP app ready for `inject` or `listen`. */
export async function startTestHearth(options: TestHearthOptions = {}): Promise<TestHearth> {
  const kind = options.db ?? 'sqlite';
  const dataDir = options.dataDir ?? tempDir();
  const ownSchema = kind === 'postgres' && !options.pgSchema ? uniqueSchema() : undefined;
  const pgSchema = options.pgSchema ?? ownSchema;
  const env: Record<string, string> = {
    HEARTH_DATA_DIR: dataDir,
    HEARTH_LOG_LEVEL: 'debug',
    ...(kind === 'postgres' ? { HEARTH_DATABASE_URL: PG_URL } : {}),
    ...options.env,
  };
  const config = loadConfig(env, { dotenv: false, cwd: dataDir });
  const logs = new LogCapture();
  const logger = createLogger({ level: config.HEARTH_LOG_LEVEL, destination: logs });
  const hearth = await createHearth({
    config,
    logger,
    pgSchema,
    ...(options.now ? { now: options.now } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
  const app = await hearth.createServer();
  return {
    hearth,
    app,
    config,
    logs,
    logger,
    dataDir,
    async close() {
      await app.close();
      await hearth.close();
      if (ownSchema) await dropSchema(ownSchema);
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { LogCapture };
