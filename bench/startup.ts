// Time from `npm start` to a healthy answer, and resident memory of the server when idle.
// `npm run bench -- startup [--runs 5] [--json]`: medians over the runs.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Resident set size (KiB) of the process tree's node server (npm → node). */
function serverRssKiB(npmPid: number): number {
  const pids = [npmPid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const kids = execFileSync('pgrep', ['-P', String(pids[i])], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(Number);
      pids.push(...kids);
    } catch {
      /* no children */
    }
  }
  let best = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      if (cmd.includes('hearth.js') && rss > best) best = rss;
    } catch {
      /* gone */
    }
  }
  return best;
}

async function once(port: number): Promise<{ startMs: number; rssMiB: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-start-'));
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    env: { ...process.env, HEARTH_DATA_DIR: dataDir, HEARTH_PORT: String(port), HEARTH_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
    detached: true,
  });
  let startMs = NaN;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.ok) {
        startMs = performance.now() - started;
        break;
      }
    } catch {
      /* not up yet */
    }
    if (performance.now() - started > 120_000) throw new Error('hearth did not become healthy in 120 s');
    await sleep(20);
  }
  await sleep(3_000); // idle
  const rssMiB = serverRssKiB(child.pid!) / 1024;
  process.kill(-child.pid!, 'SIGTERM');
  await new Promise((r) => child.on('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
  return { startMs, rssMiB };
}

export async function main(argv: string[]): Promise<void> {
  const runsIdx = argv.indexOf('--runs');
  const runs = runsIdx >= 0 ? Number(argv[runsIdx + 1]) : 5;
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(18_700 + i));
  const figures = {
    startMedianMs: Math.round(median(results.map((r) => r.startMs))),
    idleRssMedianMiB: Math.round(median(results.map((r) => r.rssMiB)) * 10) / 10,
    runs,
  };
  if (argv.includes('--json')) {
    console.log(JSON.stringify(figures));
    return;
  }
  console.log('| run | start → healthy (ms) | idle RSS (MiB) |\n| --- | --- | --- |');
  results.forEach((r, i) => console.log(`| ${i + 1} | ${Math.round(r.startMs)} | ${r.rssMiB.toFixed(1)} |`));
  console.log(`| median | ${figures.startMedianMs} | ${figures.idleRssMedianMiB} |`);
}
