import { coreMigrations, type Migration } from '../storage/index.js';
import { identityMigrations } from '../identity/index.js';
import { auditMigrations } from '../security/audit/index.js';
import { vaultMigrations } from '../security/vault/index.js';
import { webhookMigrations } from '../security/webhooks/index.js';
import { channelMigrations } from '../channels/core/index.js';
import { memoryMigrations } from '../memory/index.js';
import { companionMigrations } from '../companions/index.js';
import { providerMigrations } from '../providers/index.js';
import { mcpMigrations, shellMigrations } from '../tools/index.js';

/** Every concern's migrations, in application order (names sort: 0001 core, 0100 identity, …). */
export const migrations: readonly Migration[] = [...coreMigrations, ...identityMigrations, ...vaultMigrations, ...auditMigrations, ...webhookMigrations, ...channelMigrations, ...memoryMigrations, ...companionMigrations, ...providerMigrations, ...shellMigrations, ...mcpMigrations].sort((a, b) => a.name.localeCompare(b.name));
