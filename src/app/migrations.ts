import { coreMigrations, type Migration } from '../storage/index.js';

/** Every concern's migrations, in application order (names sort: 0001 core, 0100 identity, …). */
export const migrations: readonly Migration[] = [...coreMigrations].sort((a, b) => a.name.localeCompare(b.name));
