import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { decodeKey, type Config, type ConfigIssue } from '../../config/index.js';
import { createFileExclusive } from '../../files/index.js';
import type { Logger } from '../../logging/index.js';

const MASTER_KEY_FILE = 'master.key';

/**
 * The master key: HEARTH_MASTER_KEY when set. In development without it, `<dataDir>/master.key`
 * (created 0600, exclusively) with a loud warning: a key beside the database does not protect a
 * copied data directory. Production never reaches the file (config refuses to load).
 */
export function resolveMasterKey(options: {
  config: Pick<Config, 'masterKey' | 'dataDir' | 'isProduction'>;
  logger: Logger;
  /** false: only read an existing key file (restore must not invent a key). */
  create?: boolean;
}): Buffer {
  const { config, logger } = options;
  if (config.masterKey) return config.masterKey;
  if (config.isProduction) throw new Error('HEARTH_MASTER_KEY is required in production');
  const file = join(config.dataDir, MASTER_KEY_FILE);
  if (!existsSync(file)) {
    if (options.create === false) throw new Error(`no master key: set HEARTH_MASTER_KEY (or place the key file at ${file})`);
    const created = createFileExclusive(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    if (created) logger.warn({ file }, 'created a development master key file; set HEARTH_MASTER_KEY for real use');
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    chmodSync(file, 0o600);
    logger.warn({ file }, 'master key file permissions were too open; tightened to 0600');
  }
  const issues: ConfigIssue[] = [];
  const key = decodeKey(MASTER_KEY_FILE, readFileSync(file, 'utf8').trim(), issues);
  if (!key) throw new Error(`${file} does not hold a valid key: ${issues[0]?.message ?? 'unreadable'}`);
  logger.warn(
    { file },
    'HEARTH_MASTER_KEY is not set: using the key file in the data directory; a key beside the database does not protect a copied data directory',
  );
  return key;
}
