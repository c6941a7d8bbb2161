import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { isLoopbackHost } from '../../core/index.js';

type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export interface Finding {
  readonly severity: Severity;
  readonly check: string;
  readonly message: string;
  readonly fix?: string;
}

export interface PostureInputs {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Runs `npm audit`; injectable because the advisory service may be unreachable. */
  readonly dependencyAudit?: () => { high: number; critical: number } | undefined;
}

function git(cwd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim() };
}

function configFindings(inputs: PostureInputs, out: Finding[]): Config | undefined {
  try {
    const c = loadConfig(inputs.env, { cwd: inputs.cwd });
    if (!c.isProduction)
      out.push({ severity: 'medium', check: 'mode', message: 'HEARTH_ENV is development', fix: 'set HEARTH_ENV=production for real use' });
    if (!c.isProduction && !isLoopbackHost(c.HEARTH_HOST))
      out.push({
        severity: 'high',
        check: 'exposure',
        message: 'development mode listening beyond loopback',
        fix: 'bind 127.0.0.1 or run in production mode with TLS',
      });
    if (c.HEARTH_ALLOWED_ORIGINS.includes('*'))
      out.push({ severity: 'high', check: 'cors', message: 'CORS allows any origin', fix: 'list origins in HEARTH_ALLOWED_ORIGINS' });
    if (!c.masterKey) {
      const keyFile = existsSync(join(c.dataDir, 'master.key'));
      out.push({
        severity: 'medium',
        check: 'master-key',
        message: keyFile
          ? 'master key is a file beside the database: a copied data directory is not protected'
          : 'HEARTH_MASTER_KEY is not set',
        fix: 'set HEARTH_MASTER_KEY (openssl rand -hex 32) from a secret store',
      });
    }
    if (!c.HEARTH_SERVICE_KEY)
      out.push({
        severity: 'info',
        check: 'observability',
        message: 'HEARTH_SERVICE_KEY unset: /metrics and /api/observability answer 503',
      });
    return c;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues)
      out.push({ severity: 'critical', check: 'config', message: `${issue.name}: ${issue.message}`, fix: 'see .env.example' });
    return undefined;
  }
}

/** Files under the data directory (bounded walk) readable or writable by group or others. */
function permissionFindings(dataDir: string, out: Finding[]): void {
  if (!existsSync(dataDir)) return;
  const dirMode = statSync(dataDir).mode & 0o777;
  if (dirMode & 0o077)
    out.push({
      severity: 'critical',
      check: 'permissions',
      message: `data directory is ${dirMode.toString(8)}`,
      fix: `chmod 700 ${dataDir}`,
    });
  const stack = [dataDir];
  let seen = 0;
  while (stack.length > 0 && seen < 10_000) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      seen++;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      if (!entry.isFile() && !entry.isDirectory()) continue;
      const mode = statSync(path).mode & 0o777;
      if (mode & 0o077)
        out.push({
          severity: 'high',
          check: 'permissions',
          message: `${relative(dataDir, path)} is ${mode.toString(8)}`,
          fix: `chmod ${entry.isDirectory() ? 700 : 600} ${path}`,
        });
    }
  }
}

function gitFindings(cwd: string, dataDir: string | undefined, out: Finding[]): void {
  if (!git(cwd, ['rev-parse', '--is-inside-work-tree']).ok) return;
  const tracked = git(cwd, ['ls-files']).out.split('\n').filter(Boolean);
  const dataRel = dataDir ? relative(cwd, dataDir) : 'data';
  for (const file of tracked) {
    if (/(^|\/)\.env$/.test(file) || /(^|\/)\.env\.(?!example$)/.test(file))
      out.push({
        severity: 'critical',
        check: 'git',
        message: `${file} is tracked by git`,
        fix: `git rm --cached ${file} and rotate every secret in it`,
      });
    if (!dataRel.startsWith('..') && (file === dataRel || file.startsWith(`${dataRel}/`)))
      out.push({
        severity: 'critical',
        check: 'git',
        message: `${file} (data directory) is tracked by git`,
        fix: `git rm --cached -r ${dataRel}`,
      });
  }
  for (const path of ['.env', dataRel]) {
    if (path.startsWith('..') || !existsSync(join(cwd, path))) continue;
    if (!git(cwd, ['check-ignore', '-q', path]).ok)
      out.push({ severity: 'high', check: 'git', message: `${path} is not ignored by git`, fix: `add ${path} to .gitignore` });
  }
  const envPath = join(cwd, '.env');
  if (existsSync(envPath) && statSync(envPath).mode & 0o077)
    out.push({
      severity: 'high',
      check: 'permissions',
      message: `.env is ${(statSync(envPath).mode & 0o777).toString(8)}`,
      fix: 'chmod 600 .env',
    });
}

/** CFG-5: inspects configuration, permissions, git status of data and .env, and advisories. */
export function auditPosture(inputs: PostureInputs): Finding[] {
  const out: Finding[] = [];
  const config = configFindings(inputs, out);
  const dataDir = config?.dataDir ?? join(inputs.cwd, 'data');
  permissionFindings(dataDir, out);
  gitFindings(inputs.cwd, dataDir, out);
  const advisories = inputs.dependencyAudit?.();
  if (inputs.dependencyAudit && !advisories)
    out.push({
      severity: 'low',
      check: 'dependencies',
      message: 'advisory database unreachable; dependencies not checked',
      fix: 'run npm audit --omit=dev where the registry is reachable',
    });
  if (advisories?.critical)
    out.push({ severity: 'critical', check: 'dependencies', message: `${advisories.critical} critical advisories`, fix: 'npm audit fix' });
  if (advisories?.high)
    out.push({ severity: 'high', check: 'dependencies', message: `${advisories.high} high advisories`, fix: 'npm audit fix' });
  return out.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
}

/** `npm audit --omit=dev` counts, or undefined when the advisory service cannot be reached. */
export function npmAudit(cwd: string): { high: number; critical: number } | undefined {
  const r = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd, encoding: 'utf8', timeout: 60_000 });
  try {
    const counts = (JSON.parse(r.stdout || '{}') as { metadata?: { vulnerabilities?: { high?: number; critical?: number } } }).metadata
      ?.vulnerabilities;
    return counts ? { high: counts.high ?? 0, critical: counts.critical ?? 0 } : undefined;
  } catch {
    return undefined;
  }
}
