import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { resolveMasterKey } from '../security/vault/index.js';
import { databaseKey, type OpenOptions } from '../storage/index.js';

/**
 * How every process opens the database (the server, `hearth migrate`, `doctor`, restore): the
 * configured engine and, with HEARTH_DATABASE_ENCRYPTION=on, the SQLite page key derived from the
 * master key, and the previous one during a rotation (DATA-2).
 */
export function storageOptions(config: Config, logger: Logger, extra: Partial<OpenOptions> = {}): OpenOptions {
  const encrypted = config.HEARTH_DATABASE_ENCRYPTION === 'on' && !config.HEARTH_DATABASE_URL;
  return {
    dataDir: config.dataDir,
    databaseUrl: config.HEARTH_DATABASE_URL,
    ...(encrypted
      ? {
          encryptionKey: databaseKey(resolveMasterKey({ config, logger })),
          previousEncryptionKey: config.previousMasterKey ? databaseKey(config.previousMasterKey) : undefined,
        }
      : {}),
    ...extra,
  };
}
