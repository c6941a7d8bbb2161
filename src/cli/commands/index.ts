import type { Command } from '../io.js';
import { doctorCommand } from './doctor.js';
import { migrateCommand } from './migrate.js';
import { securityCommand } from './security.js';
import { startCommand } from './start.js';
import { usersCommand } from './users.js';
import { createKeysCommand } from './keys.js';
import { auditCommand } from './audit.js';
import { backupCommand, restoreCommand } from './backup.js';
import { keysRotate } from './keys-rotate.js';
import { webhooksCommand } from './webhooks.js';
import { shellCommand } from './shell.js';
import { pairingsCommand } from './pairings.js';

/** Every `hearth` subcommand. Add new ones here. */
export const commands: readonly Command[] = [
  startCommand,
  doctorCommand,
  migrateCommand,
  securityCommand,
  usersCommand,
  createKeysCommand({ rotate: keysRotate }),
  auditCommand,
  webhooksCommand,
  backupCommand,
  restoreCommand,
  shellCommand,
  pairingsCommand,
];
