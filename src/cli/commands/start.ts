import { configWarnings, type Config } from '../../config/index.js';
import { createHearth, type Hearth } from '../../app/index.js';
import { checkWorkers, isWorkerProcess, JobError, leaveCluster, resolveReplicaId, runWorkers } from '../../jobs/index.js';
import { createLogger, paint, resolveLogFormat } from '../../logging/index.js';
import { CliError, configFrom, println, type CliIo, type Command } from '../io.js';
import { issueSetupLink } from './setup-link.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'Start the Hearth server',
  usage: `Usage: hearth start

Starts Hearth with the configuration from the environment, .env and NAME_FILE secrets.
Listens on HEARTH_HOST:HEARTH_PORT (127.0.0.1:8787 by default). SIGTERM or SIGINT stops
accepting connections, lets in-flight requests finish (HEARTH_SHUTDOWN_TIMEOUT_MS) and
closes the database.

HEARTH_WORKERS=N (PostgreSQL only) runs N worker processes sharing the port; the first one
prints the summary and the setup link. A worker that dies is started again.

On a terminal the output is a few readable lines (address, mode, warnings, the setup link)
and one short line per request; otherwise, or with HEARTH_LOG_FORMAT=json, JSON lines.`,
  async run(_args, io) {
    const config = configFrom(io);
    if (config.HEARTH_WORKERS > 1 && !isWorkerProcess()) {
      try {
        checkWorkers(config.HEARTH_WORKERS, config.HEARTH_DATABASE_URL);
      } catch (err) {
        if (err instanceof JobError) throw new CliError(err.message);
        throw err;
      }
      process.umask(0o077);
      println(io.stdout, `Hearth starting ${config.HEARTH_WORKERS} worker processes on ${config.HEARTH_HOST}:${config.HEARTH_PORT}`);
      return runWorkers({
        workers: config.HEARTH_WORKERS,
        replica: resolveReplicaId(config.HEARTH_REPLICA_ID),
        log: (line) => println(io.stderr, `hearth start: ${line}`),
      });
    }
    if (!isWorkerProcess()) return serve(io, config);
    // A worker that could not start (or stopped) leaves, so the primary sees it exit (and restarts it).
    try {
      const code = await serve(io, config);
      leaveCluster(code);
      return code;
    } catch (err) {
      leaveCluster(1);
      throw err;
    }
  },
};

/** Runs one server process until SIGTERM or SIGINT. */
async function serve(io: CliIo, config: Config): Promise<number> {
  // Only the first worker (or the only process) prints the summary and issues a setup link.
  const quiet = isWorkerProcess() && io.env.HEARTH_WORKER_INDEX !== '1';
  const replica = resolveReplicaId(config.HEARTH_REPLICA_ID);
  // Everything Hearth creates (database, keys, notes, temp files) is private to its user (DATA-3).
  process.umask(0o077);
  const isTTY = (io.stdout as { isTTY?: boolean }).isTTY === true;
  const format = resolveLogFormat(config.HEARTH_LOG_FORMAT, isTTY);
  const color = format === 'pretty' && isTTY && !io.env.NO_COLOR;
  const logger = createLogger({
    level: config.HEARTH_LOG_LEVEL,
    format,
    color,
    replica,
    ...(format === 'pretty' ? { destination: io.stdout } : {}),
  });
  const warnings = configWarnings(config);
  // JSON: warnings are log records. Pretty: they are part of the start-up summary below.
  if (format === 'json') for (const warning of warnings) logger.warn(warning);
  const hearth = await createHearth({ config, logger, replica });
  const { app, address } = await listenOrClose(hearth, config);
  const scheme = config.HEARTH_TLS_CERT_FILE ? 'https' : 'http';
  const listening = address.replace(/^https?/, scheme);
  if (!quiet) println(io.stdout, `Hearth listening on ${listening}`);
  // AUTH-1: no default account. While no owner exists, print a one-time link (token in the fragment, never sent to a server log).
  const setup = quiet ? undefined : await issueSetupLink(hearth, config, { listening, via: 'start' });
  if (quiet) logger.info({ listening }, 'worker listening');
  else if (format === 'pretty') {
    const database = hearth.storage.dialect === 'sqlite' ? `SQLite in ${config.dataDir}` : 'PostgreSQL';
    println(io.stdout, `  mode     ${config.HEARTH_ENV}, ${database}, log level ${config.HEARTH_LOG_LEVEL}`);
    for (const warning of warnings) println(io.stdout, `  ${paint('warning', 33, color)}  ${warning}`);
    if (setup) {
      println(io.stdout, `  ${paint('setup', 1, color)}    ${setup.message}`);
      println(io.stdout, '           Lost or expired? Run `npx hearth setup-link` for a new one.');
    }
    println(io.stdout, '  logs     one line per request below (HEARTH_LOG_FORMAT=json for JSON lines)');
  } else if (setup) println(io.stdout, setup.message);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.warn('in-flight requests did not finish in time; closing anyway');
        app.server.closeAllConnections();
      }, config.HEARTH_SHUTDOWN_TIMEOUT_MS);
      deadline.unref();
      app
        .close()
        .catch((err: unknown) => logger.error({ err }, 'error while closing the server'))
        .then(() => hearth.close())
        .catch((err: unknown) => logger.error({ err }, 'error while closing storage'))
        .finally(() => {
          clearTimeout(deadline);
          resolve();
        });
    };
    // A worker hears a signal twice (the terminal's or systemd's, and the primary's): the second must not kill it mid-drain.
    const on = isWorkerProcess() ? process.on.bind(process) : process.once.bind(process);
    on('SIGTERM', () => stop('SIGTERM'));
    on('SIGINT', () => stop('SIGINT'));
  });
  logger.flush();
  return 0;
}

/**
 * Builds the server and listens; on failure (port in use, an address that is not local) closes
 * everything opened so the process exits non-zero and a supervisor can restart it.
 */
async function listenOrClose(hearth: Hearth, config: Config) {
  let app: Awaited<ReturnType<Hearth['createServer']>> | undefined;
  try {
    app = await hearth.createServer();
    const address = await app.listen({ host: config.HEARTH_HOST, port: config.HEARTH_PORT });
    return { app, address };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await hearth.close().catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(`could not start: ${message.split('\n')[0]}`);
  }
}
