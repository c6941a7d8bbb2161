import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPosture } from '../../src/security/posture/index.js';
import { runHearth } from '../support/cli.js';
import { tempDir } from '../support/databases.js';

function repoWith(files: Record<string, string>, ignore = ''): string {
  const cwd = tempDir();
  spawnSync('git', ['init', '-q'], { cwd });
  if (ignore) writeFileSync(join(cwd, '.gitignore'), ignore);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(cwd, name, '..'), { recursive: true });
    writeFileSync(join(cwd, name), content);
  }
  spawnSync('git', ['add', '-A', '-f'], { cwd });
  return cwd;
}

describe('hearth security audit (CFG-5)', () => {
  it('flags a tracked .env and tracked data as critical and exits 1', async () => {
    const cwd = repoWith({ '.env': 'HEARTH_LOG_LEVEL=info\n', 'data/hearth.db': 'x' });
    const res = await runHearth(['security', 'audit', '--no-deps'], { cwd });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/CRITICAL\s+git: \.env is tracked by git/);
    expect(res.stdout).toMatch(/CRITICAL\s+git: data\/hearth\.db \(data directory\) is tracked/);
  });

  it('flags open permissions and invalid production configuration', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'data'), { mode: 0o755 });
    chmodSync(join(cwd, 'data'), 0o755);
    writeFileSync(join(cwd, 'data', 'master.key'), 'k', { mode: 0o644 });
    chmodSync(join(cwd, 'data', 'master.key'), 0o644);
    const findings = auditPosture({ env: { HEARTH_ENV: 'production' }, cwd });
    const text = findings.map((f) => `${f.severity} ${f.check} ${f.message}`);
    expect(text).toContain('critical permissions data directory is 755');
    expect(text).toContain('high permissions master.key is 644');
    expect(text.some((t) => t.startsWith('critical config HEARTH_MASTER_KEY'))).toBe(true);
    expect(findings[0]?.severity).toBe('critical');
  });

  it('reports advisories and an unreachable advisory service honestly', () => {
    const cwd = tempDir();
    const bad = auditPosture({ env: {}, cwd, dependencyAudit: () => ({ high: 2, critical: 1 }) });
    expect(bad.filter((f) => f.check === 'dependencies').map((f) => f.severity)).toEqual(['critical', 'high']);
    const unknown = auditPosture({ env: {}, cwd, dependencyAudit: () => undefined });
    expect(unknown.find((f) => f.check === 'dependencies')?.severity).toBe('low');
  });

  it('passes a clean, ignored, private setup with no critical finding', async () => {
    const cwd = repoWith({ 'README.md': 'x' }, '.env\ndata/\n');
    writeFileSync(join(cwd, '.env'), 'HEARTH_LOG_LEVEL=info\n', { mode: 0o600 });
    const res = await runHearth(['security', 'audit', '--no-deps'], { cwd });
    expect(res.code).toBe(0);
    expect(res.stdout).not.toMatch(/CRITICAL|HIGH/);
  });
});
