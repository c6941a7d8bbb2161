// Child process for the audit replica test: one replica appending to a shared audit chain. It opens
// the schema (already migrated), prints "ready", waits for "go" on stdin (so two children start
// together), records `count` entries as `<name>.<i>` in waves of 25 concurrent appends, prints "done".
import { createAuditLog } from '../../src/security/audit/index.js';
import { openStorage } from '../../src/storage/index.js';
import { tempDir } from './databases.js';

const [databaseUrl, pgSchema, keyHex, name, countText] = process.argv.slice(2);
const storage = await openStorage({ dataDir: tempDir('hearth-audit-child-'), databaseUrl, pgSchema });
const audit = createAuditLog({ storage, key: Buffer.from(keyHex!, 'hex') });
const count = Number(countText);
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
for (let i = 0; i < count; i += 25)
  await Promise.all(
    Array.from({ length: Math.min(25, count - i) }, (_, j) =>
      audit.record({
        // every other entry is about a person, so sealed entries (and their subject rows) interleave too
        actor: (i + j) % 2 ? { type: 'user', id: `${name}-person` } : { type: 'system' },
        action: `${name}.${i + j}`,
        outcome: 'success',
        details: { n: i + j },
      }),
    ),
  );
await storage.close();
process.stdout.write('done\n');
