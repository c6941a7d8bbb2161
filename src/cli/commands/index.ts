import type { Command } from '../io.js';
import { doctorCommand } from './doctor.js';
import { migrateCommand } from './migrate.js';
import { securityCommand } from './security.js';
import { startCommand } from './start.js';

/** Every `hearth` subcommand. Add new ones here. */
export const commands: readonly Command[] = [startCommand, doctorCommand, migrateCommand, securityCommand];
