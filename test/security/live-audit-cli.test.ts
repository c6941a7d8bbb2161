import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHearthImitation, type HearthImitation } from '../fakes/hearth-imitation.js';
import { HEARTH_BIN, runHearth } from '../support/cli.js';
import { tempDir } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { userWithKey } from '../identity/helpers.js';

let t: TestHearth | undefined;
let fake: HearthImitation | undefined;
afterEach(async () => {
  await t?.close();
  await fake?.close();
  t = undefined;
  fake = undefined;
});

async function defaultInstance(): Promise<string> {
  t = await startTestHearth();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

interface SarifLog {
  version: string;
  runs: Array<{
    tool: {
      driver: { name: string; rules: Array<{ id: string; defaultConfiguration: { level: string }; properties: Record<string, unknown> }> };
    };
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }>;
      webRequest?: { method: string; target: string; headers: Record<string, string> };
      webResponse?: { statusCode: number };
    }>;
  }>;
}

describe('#23 the hearth security audit --live command (CFG-5)', () => {
  it('#23.14 --json against a default instance: exit 0, nothing high, and the run’s figures', async () => {
    const url = await defaultInstance();
    const res = await runHearth(['security', 'audit', '--live', url, '--json', '--no-local'], { cwd: tempDir() });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as {
      summary: Record<string, number>;
      requests: number;
      durationMs: number;
      hostFindings: unknown[];
    };
    expect(report.summary).toMatchObject({ critical: 0, high: 0, medium: 0 });
    expect(report.hostFindings).toEqual([]);
    expect(report.requests).toBeGreaterThan(50);
  });

  it('#23.15 --sarif against an admin route answering without credentials: SARIF 2.1.0 with the request, exit 1', async () => {
    fake = await startHearthImitation({ flaws: ['admin-open'] });
    const res = await runHearth(['security', 'audit', '--live', fake.url, '--sarif'], { cwd: tempDir() });
    expect(res.code).toBe(1);
    const log = JSON.parse(res.stdout) as SarifLog;
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0]!;
    expect(run.tool.driver.name).toBe('hearth-security-audit');
    const hit = run.results.find((r) => r.ruleId === 'routes.answers-without-credentials')!;
    expect(hit.level).toBe('error');
    expect(run.tool.driver.rules[hit.ruleIndex]?.id).toBe(hit.ruleId);
    expect(run.tool.driver.rules[hit.ruleIndex]?.properties['security-severity']).toBe('9.5');
    expect(hit.webRequest).toMatchObject({ method: 'GET', target: '/api/users' });
    expect(hit.webResponse?.statusCode).toBe(200);
    expect(hit.locations[0]?.physicalLocation.artifactLocation.uri).toBe(`${fake.url}/api/users`);
    for (const r of run.results) expect(['error', 'warning', 'note']).toContain(r.level);
  });

  it('#23.16 the terminal report beside the instance adds the on-host checks, and a given key is never printed', async () => {
    const url = await defaultInstance();
    const { key } = await userWithKey(t!, 'auditor', 'member', ['read']);
    const cwd = tempDir();
    writeFileSync(join(cwd, 'key'), `${key}\n`, { mode: 0o600 });
    const res = await runHearth(['security', 'audit', '--live', url, '--api-key', 'key', '--no-deps'], {
      cwd,
      env: { HEARTH_DATA_DIR: join(cwd, 'data') },
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Hearth security audit of http:\/\/127\.0\.0\.1:\d+\/ \(safe\)/);
    expect(res.stdout).toContain('Over HTTP');
    expect(res.stdout).toMatch(/On its host\n\nMEDIUM\s+host\.mode/);
    // A check without a fix prints none (no dangling `fix:`).
    expect(res.stdout).toContain('host.observability');
    expect(res.stdout).not.toMatch(/fix: *\n/);
    expect(res.stdout).not.toContain(key);
    expect(res.stdout).not.toContain(key.slice(4, 20));
    // The member key was tried on the admin routes and refused there (403, which anonymous callers never get).
    expect(t!.logs.lines.some((l) => l.includes('"statusCode":403'))).toBe(true);
  });

  it('#23.36 exit status: 1 on a high finding alone (CORS *), 0 when the worst is medium', async () => {
    const run = async (env: Record<string, string>) => {
      const h = await startTestHearth({ env });
      try {
        await h.app.listen({ host: '127.0.0.1', port: 0 });
        const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
        const res = await runHearth(['security', 'audit', '--live', url, '--json', '--no-local'], { cwd: tempDir() });
        return { code: res.code, summary: (JSON.parse(res.stdout) as { summary: Record<string, number> }).summary };
      } finally {
        await h.close();
      }
    };
    const high = await run({ HEARTH_ALLOWED_ORIGINS: '*' });
    expect(high.summary).toMatchObject({ critical: 0, high: 1 });
    expect(high.code).toBe(1);
    // Plain HTTP from a claimed proxy, on loopback: medium (transport.forwarded-headers-trusted).
    const medium = await run({
      HEARTH_ENV: 'production',
      HEARTH_MASTER_KEY: randomBytes(32).toString('hex'),
      HEARTH_TRUSTED_PROXIES: '127.0.0.1',
    });
    expect(medium.summary).toMatchObject({ critical: 0, high: 0, medium: 1 });
    expect(medium.code).toBe(0);
  });

  it('#23.40 --aggressive on a terminal asks first: anything but yes makes nothing; yes runs it and cleans up', async () => {
    const url = await defaultInstance();
    const { key } = await userWithKey(t!, 'boss', 'owner', ['read', 'write', 'chat', 'admin']);
    const cwd = tempDir();
    writeFileSync(join(cwd, 'key'), `${key}\n`, { mode: 0o600 });
    // `script` gives the command a real pseudo-terminal; the answer is typed once the question shows.
    const onTerminal = (answer: string) =>
      new Promise<{ code: number | null; output: string }>((done, fail) => {
        const command = `${process.execPath} ${HEARTH_BIN} security audit --live ${url} --aggressive --api-key key --no-local`;
        const child = spawn('script', ['-qec', command, '/dev/null'], {
          cwd,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
        });
        let output = '';
        let typed = false;
        child.stdout.on('data', (c: Buffer) => {
          output += c.toString();
          if (!typed && output.includes('Type yes to go on')) {
            typed = true;
            child.stdin.write(`${answer}\n`);
          }
        });
        child.on('error', fail);
        child.on('close', (code) => done({ code, output }));
      });
    const refused = await onTerminal('y');
    expect(refused.output).toContain('creates and deletes a throwaway familiar');
    expect(refused.code).toBe(2);
    expect(t!.logs.lines.some((l) => l.includes('"method":"POST","url":"/api/familiars"'))).toBe(false);
    const confirmed = await onTerminal('yes');
    expect(confirmed.output).toMatch(/Hearth security audit of \S+ \(aggressive\)/);
    expect(confirmed.code).toBe(0);
    expect(t!.logs.lines.some((l) => l.includes('"method":"POST","url":"/api/familiars"'))).toBe(true);
    expect(await t!.hearth.familiars.list()).toEqual([]);
    expect(confirmed.output).not.toContain(key);
  });

  it('#23.17 --aggressive must be confirmed and needs an API key; bad arguments are usage errors', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'key'), 'hth_x\n');
    const unconfirmed = await runHearth(['security', 'audit', '--live', 'http://127.0.0.1:9', '--aggressive', '--api-key', 'key'], { cwd });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('confirm with --yes');
    const keyless = await runHearth(['security', 'audit', '--live', 'http://127.0.0.1:9', '--aggressive', '--yes'], { cwd });
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain('--api-key');
    const both = await runHearth(['security', 'audit', '--live', 'http://127.0.0.1:9', '--json', '--sarif'], { cwd });
    expect(both.code).toBe(2);
    const badUrl = await runHearth(['security', 'audit', '--live', 'ftp://example.org'], { cwd });
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain('http:// or https://');
    const down = await runHearth(['security', 'audit', '--live', 'http://127.0.0.1:9', '--no-local'], { cwd });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/audit of http:\/\/127\.0\.0\.1:9 failed/);
  });
});
