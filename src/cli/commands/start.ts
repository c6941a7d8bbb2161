import { configWarnings, type Config } from '../../config/index.js';
import { createHearth, type Hearth } from '../../app/index.js';
import { createLogger, paint, resolveLogFormat } from '../../logging/index.js';
import { CliError, configFrom, println, type Command } from '../io.js';
import { issueSetupLink } from './setup-link.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'Start the Hearth server',
  usage: `Usage: hearth start

Starts Hearth with the configuration from the environment, .env and NAME_FILE secrets.
Listens on HEARTH_HOST:HEARTH_PORT (127.0.0.1:8787 by default). SIGTERM or SIGINT stops
accepting connections, lets in-flight requests finish (HEARTH_SHUTDOWN_TIMEOUT_MS) and
closes the database.

On a terminal the output is a few readable lines (address, mode, warnings, the setup link)
and one short line per request; otherwise, or with HEARTH_LOG_FORMAT=json, JSON lines.`,
  async run(_args, io) {
    const config = configFrom(io);
    // Everything Hearth creates (database, keys, notes, temp files) is private to its user (DATA-3).
    process.umask(0o077);
    const isTTY = (io.stdout as { isTTY?: boolean }).isTTY === true;
    const format = resolveLogFormat(config.HEARTH_LOG_FORMAT, isTTY);
    const color = format === 'pretty' && isTTY && !io.env.NO_COLOR;
    const logger = createLogger({
      level: config.HEARTH_LOG_LEVEL,
      format,
      color,
      ...(format === 'pretty' ? { destination: io.stdout } : {}),
    });
    const warnings = configWarnings(config);
    // JSON: warnings are log records. Pretty: they are part of the start-up summary below.
    if (format === 'json') for (const warning of warnings) logger.warn(warning);
    const hearth = await createHearth({ config, logger });
    const { app, address } = await listenOrClose(hearth, config);
    const scheme = config.HEARTH_TLS_CERT_FILE ? 'https' : 'http';
    const listening = address.replace(/^https?/, scheme);
    println(io.stdout, `Hearth listening on ${listening}`);
    // AUTH-1: no default account. While no owner exists, print a one-time link (token in the fragment, never sent to a server log).
    const setup = await issueSetupLink(hearth, config, { listening, via: 'start' });
    if (format === 'pretty') {
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
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    logger.flush();
    return 0;
  },
};

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
