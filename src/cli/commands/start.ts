import { configWarnings } from '../../config/index.js';
import { createHearth } from '../../app/index.js';
import { createLogger } from '../../logging/index.js';
import { configFrom, println, type Command } from '../io.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'Start the Hearth server',
  usage: `Usage: hearth start

Starts Hearth with the configuration from the environment, .env and NAME_FILE secrets.
Listens on HEARTH_HOST:HEARTH_PORT (127.0.0.1:8787 by default). SIGTERM or SIGINT stops
accepting connections, lets in-flight requests finish (HEARTH_SHUTDOWN_TIMEOUT_MS) and
closes the database.`,
  async run(_args, io) {
    const config = configFrom(io);
    // Everything Hearth creates (database, keys, notes, temp files) is private to its user (DATA-3).
    process.umask(0o077);
    const logger = createLogger({ level: config.HEARTH_LOG_LEVEL });
    for (const warning of configWarnings(config)) logger.warn(warning);
    const hearth = await createHearth({ config, logger });
    const app = await hearth.createServer();
    const address = await app.listen({ host: config.HEARTH_HOST, port: config.HEARTH_PORT });
    const scheme = config.HEARTH_TLS_CERT_FILE ? 'https' : 'http';
    println(io.stdout, `Hearth listening on ${address.replace(/^https?/, scheme)}`);
    // AUTH-1: no default account. While no owner exists, print a one-time link (token in the fragment, never sent to a server log).
    const setup = await hearth.identity.issueSetupToken();
    if (setup) {
      const base = config.HEARTH_PUBLIC_URL ?? address.replace(/^https?/, scheme);
      println(io.stdout, `No owner yet. Create one within 1 hour: ${base.replace(/\/$/, '')}/setup#token=${setup.token}`);
    }

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
