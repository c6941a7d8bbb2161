import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runHearth } from '../support/cli.js';

const lines = (name: string) =>
  readFileSync(new URL(`../../../shared/data/shell/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));

describe('EXEC-1 hearth shell check', () => {
  it('prints verdict<TAB>command for each stdin line, with the tool policy', async () => {
    const dangerous = lines('dangerous.txt');
    const safe = lines('safe.txt');
    const allowlist = [...new Set([...safe, ...dangerous].map((l) => l.split(' ')[0]!.replace(/"/g, '').split('/').pop()!))].join(',');
    const r = await runHearth(['shell', 'check', '--allowlist', allowlist], { stdin: [...dangerous, ...safe].join('\n') + '\n' });
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out).toHaveLength(dangerous.length + safe.length);
    for (const [i, line] of dangerous.entries()) expect(out[i], line).toMatch(new RegExp(`^(ask|deny)\t`));
    for (const [i, line] of dangerous.entries()) expect(out[i]!.split('\t')[1]).toBe(line);
    for (const [i, line] of safe.entries()) expect(out[dangerous.length + i]).toBe(`allow\t${line}`);
  }, 120_000);

  it('without an allowlist every command at least asks', async () => {
    const r = await runHearth(['shell', 'check'], { stdin: 'ls\nrm -rf /\n', env: { HEARTH_SHELL_ALLOWLIST: '' } });
    expect(r.stdout).toBe('ask\tls\ndeny\trm -rf /\n');
  }, 120_000);
});
