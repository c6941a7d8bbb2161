import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, configWarnings, loadConfig } from '../../config/index.js';
import { migrationsOf, storageOptions } from '../../app/index.js';
import { migrationStatus, openStorage } from '../../storage/index.js';
import { commandLogger, println, type Command } from '../io.js';

type Level = 'ok' | 'warn' | 'fail';
interface Finding {
  level: Level;
  what: string;
  fix?: string;
}

function modeOf(path: string): number | undefined {
  return existsSync(path) ? statSync(path).mode & 0o777 : undefined;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check the environment, data directory and database, and say how to fix problems',
  usage: `Usage: hearth doctor

Checks the configuration, the data directory's permissions, the database connection and
pending migrations. Prints one line per finding (ok, warn, fail) with how to fix it.
Exits 1 when anything fails.`,
  async run(_args, io) {
    const findings: Finding[] = [];
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    findings.push(
      major > 20 || (major === 20 && minor >= 19)
        ? { level: 'ok', what: `Node.js ${process.versions.node}` }
        : { level: 'fail', what: `Node.js ${process.versions.node} is too old`, fix: 'install Node.js 20.19 or newer' },
    );
    let config;
    try {
      config = loadConfig(io.env, { cwd: io.cwd });
      findings.push({ level: 'ok', what: `configuration valid (${config.HEARTH_ENV})` });
      for (const w of configWarnings(config)) findings.push({ level: 'warn', what: w });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues)
        findings.push({ level: 'fail', what: `${issue.name}: ${issue.message}`, fix: 'see .env.example and the README' });
    }
    if (config) {
      const dirMode = modeOf(config.dataDir);
      if (dirMode === undefined)
        findings.push({
          level: 'warn',
          what: `data directory ${config.dataDir} does not exist yet`,
          fix: 'hearth start creates it (0700)',
        });
      else if (dirMode & 0o077)
        findings.push({
          level: 'fail',
          what: `data directory is ${dirMode.toString(8)}, readable by others`,
          fix: `chmod 700 ${config.dataDir}`,
        });
      else findings.push({ level: 'ok', what: 'data directory permissions 0700' });
      if (dirMode !== undefined) {
        for (const name of ['hearth.db', 'hearth.db-wal', 'master.key']) {
          const m = modeOf(join(config.dataDir, name));
          if (m !== undefined && m & 0o077)
            findings.push({ level: 'fail', what: `${name} is ${m.toString(8)}`, fix: `chmod 600 ${join(config.dataDir, name)}` });
        }
      }
      if (dirMode !== undefined || config.HEARTH_DATABASE_URL) {
        try {
          const storage = await openStorage(storageOptions(config, commandLogger(io, config)));
          try {
            const status = await migrationStatus(storage, migrationsOf());
            const pending = status.filter((s) => !s.appliedAt).length;
            findings.push({ level: 'ok', what: `database reachable (${storage.dialect})` });
            findings.push(
              pending === 0
                ? { level: 'ok', what: 'migrations up to date' }
                : { level: 'warn', what: `${pending} migration(s) pending`, fix: 'hearth migrate up (or just start Hearth)' },
            );
          } finally {
            await storage.close();
          }
        } catch {
          findings.push({ level: 'fail', what: 'database unreachable', fix: 'check HEARTH_DATABASE_URL and that the server is running' });
        }
      }
    }
    for (const f of findings) println(io.stdout, `${f.level.padEnd(4)}  ${f.what}${f.fix ? ` — fix: ${f.fix}` : ''}`);
    return findings.some((f) => f.level === 'fail') ? 1 : 0;
  },
};
