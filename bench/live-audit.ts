// How long `hearth security audit --live URL` takes against a default instance (target < 30 s).
// `npm run bench -- live-audit [--runs 3] [--json]`: each run starts a fresh default instance
// (`node bin/hearth.js start`, fresh HEARTH_DATA_DIR, so its rate limits start full), waits for
// /api/health, then times `node bin/hearth.js security audit --live URL --json --no-local` from
// spawn to exit (`cliMs`) and reads the run's own `durationMs` and request count from its report.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const BIN = join(process.cwd(), 'bin', 'hearth.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function once(port: number): Promise<{ cliMs: number; auditMs: number; requests: number; highOrWorse: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-audit-'));
  const server = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, HEARTH_DATA_DIR: dataDir, HEARTH_PORT: String(port), HEARTH_LOG_LEVEL: 'warn', HEARTH_ENV: 'development' },
    stdio: 'ignore',
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    const started = performance.now();
    for (;;) {
      const ok = await fetch(`${url}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (performance.now() - started > 120_000) throw new Error('hearth did not become healthy in 120 s');
      await sleep(50);
    }
    const t0 = performance.now();
    const res = spawnSync(process.execPath, [BIN, 'security', 'audit', '--live', url, '--json', '--no-local'], { encoding: 'utf8' });
    const cliMs = performance.now() - t0;
    if (res.status !== 0) throw new Error(`the audit exited ${res.status}: ${res.stderr.trim() || res.stdout.slice(0, 500)}`);
    const report = JSON.parse(res.stdout) as { durationMs: number; requests: number; summary: Record<string, number> };
    return {
      cliMs,
      auditMs: report.durationMs,
      requests: report.requests,
      highOrWorse: (report.summary.high ?? 0) + (report.summary.critical ?? 0),
    };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What bin/hearth.js runs now (see scripts/build.mjs): the compiled dist/ or the sources through tsx. */
async function mode(): Promise<'dist' | 'tsx'> {
  const { distIsFresh } = await import('../scripts/build.mjs');
  return distIsFresh() ? 'dist' : 'tsx';
}

export async function main(argv: string[]): Promise<void> {
  const runsIdx = argv.indexOf('--runs');
  const runs = runsIdx >= 0 ? Number(argv[runsIdx + 1]) : 3;
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(18_900 + i));
  const figures = {
    cliMsMedian: Math.round(median(results.map((r) => r.cliMs))),
    cliMsMax: Math.round(Math.max(...results.map((r) => r.cliMs))),
    auditMsMedian: Math.round(median(results.map((r) => r.auditMs))),
    requestsMedian: median(results.map((r) => r.requests)),
    highOrWorse: Math.max(...results.map((r) => r.highOrWorse)),
    targetMs: 30_000,
    runs,
    mode: await mode(),
  };
  if (argv.includes('--json')) {
    console.log(JSON.stringify(figures));
    return;
  }
  console.log(`bin/hearth.js ran: ${figures.mode}\n`);
  console.log('| run | hearth security audit --live, spawn to exit (ms) | the run itself (ms) | requests | high or critical |');
  console.log('| --- | --- | --- | --- | --- |');
  results.forEach((r, i) => console.log(`| ${i + 1} | ${Math.round(r.cliMs)} | ${r.auditMs} | ${r.requests} | ${r.highOrWorse} |`));
  console.log(`| median | ${figures.cliMsMedian} | ${figures.auditMsMedian} | ${figures.requestsMedian} | ${figures.highOrWorse} |`);
  console.log(`\ntarget: < ${figures.targetMs} ms against a default instance (max of the runs: ${figures.cliMsMax} ms)`);
}
