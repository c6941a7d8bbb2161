import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runHearth } from '../support/cli.js';
import { corpusLines, needsCorpus } from '../support/corpora.js';
import { dangerousCommand, FORM_PROGRAMS, safeCommand } from './shell-forms.js';

/** Lines of ../shared/data/shell/NAME without blanks and comments; empty when the corpus is absent. */
const lines = (name: string) => (corpusLines(`shell/${name}`) ?? []).filter((l) => l.trim() !== '' && !l.startsWith('#'));

/** Runs `hearth shell check` over dangerous then safe lines, every program they use allowlisted, and checks each verdict line. */
async function expectVerdicts(dangerous: string[], safe: string[]): Promise<void> {
  const allowlist = FORM_PROGRAMS.join(',');
  const r = await runHearth(['shell', 'check', '--allowlist', allowlist], { stdin: [...dangerous, ...safe].join('\n') + '\n' });
  expect(r.code).toBe(0);
  const out = r.stdout.trim().split('\n');
  expect(out).toHaveLength(dangerous.length + safe.length);
  for (const [i, line] of dangerous.entries()) expect(out[i], line).toMatch(new RegExp(`^(ask|deny)\t`));
  for (const [i, line] of dangerous.entries()) expect(out[i]!.split('\t')[1]).toBe(line);
  for (const [i, line] of safe.entries()) expect(out[dangerous.length + i]).toBe(`allow\t${line}`);
}

describe('EXEC-1 hearth shell check over the shared data set', needsCorpus('shell/dangerous.txt', 'shell/safe.txt'), () => {
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
});

describe('EXEC-1 hearth shell check (no corpus needed)', () => {
  it('prints verdict<TAB>command for generated dangerous (ask or deny) and ordinary (allow) lines, with the tool policy', async () => {
    const dangerous = [...new Set(fc.sample(dangerousCommand({ multiline: false }), { numRuns: 150, seed: 17 }))];
    const safe = [...new Set(fc.sample(safeCommand, { numRuns: 60, seed: 17 }))];
    await expectVerdicts(dangerous, safe);
  }, 120_000);

  it('without an allowlist every command at least asks', async () => {
    const r = await runHearth(['shell', 'check'], { stdin: 'ls\nrm -rf /\n', env: { HEARTH_SHELL_ALLOWLIST: '' } });
    expect(r.stdout).toBe('ask\tls\ndeny\trm -rf /\n');
  }, 120_000);
});
