// `npm run bench -- turn --replicas N` (N `hearth start` processes, one port each, the client
// spreading turns over them) or `--workers N` (one `hearth start` with HEARTH_WORKERS=N sharing a
// port): chat turns over HTTP (`POST /api/conversations/:id/messages`, JSON) against an instant fake
// model, on a fresh PostgreSQL database with `--memories` memories (100,000). Reports turns/s,
// wall-clock p50/p99 per turn as the client sees it, and the CPU each Hearth process used during
// the measured turns; the client (this process, which also runs the fake model) is counted apart.
// The database runs with synchronous_commit off (no fsync wait per commit), so the figures are
// about CPU, not this machine's disk. Flags: --turns N (1000), --concurrency C (50), --memories M
// (100000), --json.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { Writable } from 'node:stream';
import pg from 'pg';
import { createHearth } from '../src/app/index.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/index.js';
import { PG_URL, tempDir } from '../test/support/databases.js';
import { startFakeOpenAI } from '../test/fakes/openai-server.js';
import { arg, ms, pct, seedMemories } from './_turn-world.js';

const TICK_MS = 10; // /proc clock ticks (USER_HZ 100)

/** CPU ms (user + system) a process has used so far. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}
/** The pids of `pid` and its children (HEARTH_WORKERS forks its workers). */
function family(pid: number): number[] {
  const kids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [pid, ...kids];
}

/** The last output of each started process: why one died during the turns is reported, not guessed. */
const outputs = new Map<ChildProcess, () => string>();

function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['bin/hearth.js', 'start'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /Hearth listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    };
    outputs.set(child, () => out.slice(-1500));
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
    child.on('exit', (code, signal) => reject(new Error(`hearth exited (${signal ?? code}): ${out.slice(-1500)}`)));
  });
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const workers = arg(argv, '--workers', 0);
  const replicas = workers > 0 ? 1 : arg(argv, '--replicas', 1);
  const processes = workers > 0 ? workers : replicas;
  const total = arg(argv, '--turns', 1000);
  const concurrency = arg(argv, '--concurrency', 50);
  const memoryCount = arg(argv, '--memories', 100_000);
  const database = `hearth_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  // Commits wait for no fsync: the figures measure Hearth's processes, not this machine's disk.
  await admin.query(`ALTER DATABASE ${database} SET synchronous_commit = off`);
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  const dataDir = tempDir('hearth-bench-replicas-');
  const fake = await startFakeOpenAI({ record: false, fallback: { text: 'A short instant reply from the fake model.' } });
  const env: Record<string, string> = {
    HEARTH_DATA_DIR: dataDir,
    HEARTH_DATABASE_URL: url.toString(),
    HEARTH_MASTER_KEY: randomBytes(32).toString('hex'),
    HEARTH_LOG_LEVEL: 'warn',
    HEARTH_LOG_FORMAT: 'json',
    HEARTH_RATE_CHAT_TURNS: String(total * 10),
    HEARTH_RATE_USER_READS: String(total * 10),
    HEARTH_RATE_USER_WRITES: String(total * 10),
  };
  const children: ChildProcess[] = [];
  try {
    // The world, made in-process: people with keys, one familiar on the fake model, memories, a conversation each.
    const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    const setup = await createHearth({ config: loadConfig(env, { dotenv: false, cwd: dataDir }), logger });
    const people: Array<{ key: string; conversation: string }> = [];
    try {
      const provider = await setup.providers.create(
        { name: 'fake', baseUrl: fake.url, maxRetries: 2, timeoutMs: 300_000 },
        { type: 'system' },
      );
      const familiar = await setup.familiars.create(
        { slug: 'bench', name: 'Bench', persona: 'You are a benchmark familiar.', providerId: provider.id, model: 'fake' },
        { type: 'system' },
      );
      const users: Array<{ id: string }> = [];
      for (let i = 0; i < concurrency; i++) {
        const user = await setup.identity.createUser({ name: `bench${i}`, password: 'correct horse battery staple 42', role: 'member' });
        const { key } = await setup.identity.createApiKey({ userId: user.id, scopes: ['read', 'write', 'chat'] });
        const c = await setup.conversations.create({ userId: user.id, familiarId: familiar.id, channel: 'web', title: 'bench' });
        users.push(user);
        people.push({ key, conversation: c.id });
      }
      await seedMemories(setup.memory.repo, users, familiar.id, memoryCount, 10);
    } finally {
      await setup.close();
    }

    const urls: string[] = [];
    if (workers > 0) {
      const s = await startServer({ ...env, HEARTH_PORT: '0', HEARTH_WORKERS: String(workers) });
      children.push(s.child);
      urls.push(s.url);
    } else
      for (let i = 0; i < replicas; i++) {
        const s = await startServer({ ...env, HEARTH_PORT: '0', HEARTH_REPLICA_ID: `bench-${i + 1}` });
        children.push(s.child);
        urls.push(s.url);
      }
    // New connections spread over HEARTH_WORKERS processes (round robin on accept); a few per client slot.
    const agent = new Agent({ keepAlive: workers === 0, maxSockets: concurrency });
    let failed = 0;
    const turn = (n: number): Promise<number> => {
      const person = people[n % people.length]!;
      const base = new URL(urls[n % urls.length]!);
      const body = JSON.stringify({ text: `Hello familiar, this is message ${n} about my day.` });
      const start = performance.now();
      return new Promise((resolve) => {
        const req = request(
          {
            host: base.hostname,
            port: base.port,
            method: 'POST',
            path: `/api/conversations/${person.conversation}/messages`,
            agent,
            headers: {
              authorization: `Bearer ${person.key}`,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode !== 200) failed++;
              resolve(performance.now() - start);
            });
          },
        );
        req.on('error', () => {
          failed++;
          resolve(performance.now() - start);
        });
        req.end(body);
      });
    };
    // Warm-up: every process compiles its hot paths and fills its caches.
    for (let i = 0; i < 100 * processes; i += concurrency)
      await Promise.all(Array.from({ length: Math.min(concurrency, 100 * processes - i) }, (_, j) => turn(i + j)));
    failed = 0;
    const pids = children.flatMap((c) => family(c.pid!));
    const cpuBefore = pids.map(cpuMs);
    // PostgreSQL's backends serving this database (each replica's pool and pg-boss), on this machine too.
    const backends = (await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database])).rows.map(
      (r) => r.pid,
    );
    const pgBefore = backends.map(cpuMs);
    const clientBefore = process.cpuUsage();
    const wall: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) wall.push(await turn(next++));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    for (const c of children)
      if (c.exitCode !== null || c.signalCode !== null)
        throw new Error(`hearth pid ${c.pid} exited during the turns (${c.signalCode ?? c.exitCode}): ${outputs.get(c)?.()}`);
    const client = process.cpuUsage(clientBefore);
    const postgresCpuMs = backends.reduce((sum, pid, i) => sum + cpuMs(pid) - pgBefore[i]!, 0);
    const cpu = pids.map((pid, i) => ({ pid, cpuMs: cpuMs(pid) - cpuBefore[i]! })).filter((p) => p.cpuMs > 0);
    wall.sort((a, b) => a - b);
    const result = {
      mode: workers > 0 ? 'workers' : 'replicas',
      processes,
      turnsPerSec: Math.round(total / seconds),
      wallP50Ms: ms(pct(wall, 50)),
      wallP99Ms: ms(pct(wall, 99)),
      processCpu: cpu.map((p) => ({ pid: p.pid, cpuMs: p.cpuMs, cores: ms(p.cpuMs / 1000 / seconds) })),
      postgresCpuMs,
      postgresCores: ms(postgresCpuMs / 1000 / seconds),
      clientCpuMs: Math.round((client.user + client.system) / 1000),
      clientCores: ms((client.user + client.system) / 1e6 / seconds),
      seconds: ms(seconds),
      turns: total,
      concurrency,
      memories: memoryCount,
      failed,
      database: 'postgres',
    };
    if (json) console.log(JSON.stringify(result));
    else {
      console.log(
        `turns over HTTP, ${result.mode} ×${processes}, ${total} turns, ${concurrency} concurrent, instant fake model, PostgreSQL, memories ${memoryCount}`,
      );
      console.log(
        `| turns/s | wall p50 | wall p99 | failed |\n|---|---|---|---|\n| ${result.turnsPerSec} | ${result.wallP50Ms} ms | ${result.wallP99Ms} ms | ${failed} |`,
      );
      console.log('\n| process | CPU during the turns | cores |\n|---|---|---|');
      for (const p of result.processCpu) console.log(`| hearth pid ${p.pid} | ${p.cpuMs} ms | ${p.cores} |`);
      console.log(`| PostgreSQL backends of this database | ${result.postgresCpuMs} ms | ${result.postgresCores} |`);
      console.log(`| client + fake model (this process, counted apart) | ${result.clientCpuMs} ms | ${result.clientCores} |`);
    }
  } finally {
    for (const c of children) {
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.removeAllListeners('exit');
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    await fake.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
