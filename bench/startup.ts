// Time from `npm start` to a healthy answer, resident memory of the server when idle, and the
// wall time of the CLI: `hearth --help` (the registry alone) and `hearth keys create` (opens Hearth).
// `npm run bench -- startup [--runs 5] [--json]`: medians over the runs. It measures whatever
// bin/hearth.js runs: dist/ when fresh (`npm run build`), else the sources through tsx; `mode` says which.
import { spawn, execFileSync, spawnSync } from 'node:child_process';
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

const BIN = join(process.cwd(), 'bin', 'hearth.js');

/** Wall time (ms) of one `node bin/hearth.js ARGS` to its exit; throws unless it exits 0. */
function cliMs(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): number {
  const started = performance.now();
  const res = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, input: input ?? '', encoding: 'utf8' });
  const ms = performance.now() - started;
  if (res.status !== 0) throw new Error(`hearth ${args[0]} exited ${res.status}: ${res.stderr.trim()}`);
  return ms;
}

/** `hearth keys create` against a fresh data directory holding one person (created first, not timed). */
function keysCreateRuns(runs: number): number[] {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-keys-'));
  const env = { HEARTH_DATA_DIR: dataDir, HEARTH_LOG_LEVEL: 'warn' };
  try {
    cliMs(['users', 'add', 'bench', '--role', 'member'], env, 'correct horse battery staple 42\n');
    return Array.from({ length: runs }, () => cliMs(['keys', 'create', '--user', 'bench', '--scopes', 'read'], env));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What bin/hearth.js runs now (see scripts/build.mjs). */
async function mode(): Promise<'dist' | 'tsx'> {
  const { distIsFresh } = await import('../scripts/build.mjs');
  return distIsFresh() ? 'dist' : 'tsx';
}

export async function main(argv: string[]): Promise<void> {
  const runsIdx = argv.indexOf('--runs');
  const runs = runsIdx >= 0 ? Number(argv[runsIdx + 1]) : 5;
  const modeBefore = await mode();
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(18_700 + i));
  const help = Array.from({ length: runs }, () => cliMs(['--help']));
  const keys = keysCreateRuns(runs);
  const modeAfter = await mode();
  const figures = {
    startMsMedian: Math.round(median(results.map((r) => r.startMs))),
    idleRssMb: Math.round(median(results.map((r) => r.rssMiB)) * 10) / 10,
    cliHelpMsMedian: Math.round(median(help)),
    cliKeysCreateMsMedian: Math.round(median(keys)),
    runs,
    // The sources changed during the runs when the two differ: the figures mix both.
    mode: modeBefore === modeAfter ? modeBefore : `${modeBefore}→${modeAfter}`,
  };
  if (argv.includes('--json')) {
    console.log(JSON.stringify(figures));
    return;
  }
  console.log(`bin/hearth.js ran: ${figures.mode}\n`);
  console.log('| run | npm start → healthy (ms) | idle RSS (MiB) | hearth --help (ms) | hearth keys create (ms) |');
  console.log('| --- | --- | --- | --- | --- |');
  results.forEach((r, i) =>
    console.log(`| ${i + 1} | ${Math.round(r.startMs)} | ${r.rssMiB.toFixed(1)} | ${Math.round(help[i]!)} | ${Math.round(keys[i]!)} |`),
  );
  console.log(
    `| median | ${figures.startMsMedian} | ${figures.idleRssMb} | ${figures.cliHelpMsMedian} | ${figures.cliKeysCreateMsMedian} |`,
  );
}
