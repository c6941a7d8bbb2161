import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHearthImitation, type HearthImitation } from '../fakes/hearth-imitation.js';
import { runHearth } from '../support/cli.js';
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
    expect(res.stdout).not.toContain(key);
    expect(res.stdout).not.toContain(key.slice(4, 20));
    // The member key was tried on the admin routes and refused there (403, which anonymous callers never get).
    expect(t!.logs.lines.some((l) => l.includes('"statusCode":403'))).toBe(true);
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
