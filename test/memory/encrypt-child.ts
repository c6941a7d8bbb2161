// Child process for the conversion crash test: seals a PostgreSQL schema's plain memory rows in
// small batches and prints "batch N" after each committed one, until it is killed (SIGKILL).
import { createMemoryRepository } from '../../src/memory/index.js';
import { memoryEncryption } from '../../src/memory/encryption.js';
import { encryptStoredMemories } from '../../src/memory/encryption-convert.js';
import { createVault, DATA_KEYS_COLUMN } from '../../src/security/vault/index.js';
import { openStorage } from '../../src/storage/index.js';

const [url, schema, keyHex] = process.argv.slice(2);
const storage = await openStorage({ dataDir: '/nonexistent', databaseUrl: url, pgSchema: schema });
const vault = createVault({ masterKey: Buffer.from(keyHex!, 'hex') });
vault.registerSealedColumn(DATA_KEYS_COLUMN);
const encryption = memoryEncryption({ storage, vault });
const repo = createMemoryRepository({ storage, encryption });
let n = 0;
await encryptStoredMemories({
  storage,
  encryption,
  index: repo.searchIndex,
  batchSize: 25,
  onBatch: () => {
    process.stdout.write(`batch ${++n}\n`);
  },
});
process.stdout.write('done\n');
await storage.close();
