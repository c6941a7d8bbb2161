// `npm run bench -- chat [--json] [--messages 100] [--clients 10] [--per-client 20] [--warmup 20] [--env NAME=VALUE]`: streamed chat
// messages end to end against a real `npm start` server (fresh data dir, free port, default settings but for the
// chat-turn rate limit), set up the way a person does it: the one-time setup link the server prints, the owner's
// session cookie and CSRF token, a provider pointing at the instant fake model on loopback, a familiar with the
// nine memory tools. Then one client sends `--messages` messages in sequence, then `--clients` clients send
// `--per-client` each at once, every message `POST /api/conversations/:id/messages` with `Accept: text/event-stream`.
//
// Per phase: p50Ms and p95Ms (request written → `done` event read), firstTextP50Ms (→ first `delta` event),
// messagesPerSec, and serverCpuMsPerMessage: the server process's own CPU (utime + stime of the node process
// running bin/hearth.js, from /proc/PID/stat, all its threads; not npm's) over the phase, divided by its messages.
// Targets of issue #17: p50 < 10 ms, server CPU < 5 ms per message.
//
// `--profile [--profile-messages 300] [--profile-interval-us 200]`: instead, runs `node --cpu-prof bin/hearth.js
// start` (after the `prestart` step, if any, that `npm start` would run), sends the sequential messages, stops the server and
// summarizes the samples taken during that phase: self time by module group and the top functions.
// `--keep-profile` keeps the .cpuprofile (path printed) for Chrome DevTools or speedscope.
import { spawn, execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeOpenAI } from '../test/fakes/openai-server.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PASSWORD = 'correct horse battery staple 42';
/** The memory tools of src/memory/tools.ts: their definitions go to the model on every call. */
const MEMORY_TOOLS = [
  'notes_list',
  'notes_read',
  'notes_search',
  'notes_write',
  'notes_append',
  'notes_delete',
  'remember',
  'recall',
  'forget',
];
/** Configuration the bench sets; everything else is Hearth's default. */
const BENCH_ENV: Record<string, string> = { HEARTH_RATE_CHAT_TURNS: '1000000' };

/** `--env NAME=VALUE` (repeatable): more configuration for the server, to compare settings (e.g. HEARTH_LOG_LEVEL=warn). */
function extraEnv(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  argv.forEach((a, i) => {
    const m = a === '--env' ? /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(argv[i + 1] ?? '') : null;
    if (m) out[m[1]!] = m[2]!;
  });
  return out;
}

function arg(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? Number(argv[i + 1]) : fallback;
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** The node process running bin/hearth.js under `root` (npm → sh → node), or `root` itself. */
function serverPid(root: number): number {
  const pids = [root];
  for (let i = 0; i < pids.length; i++) {
    try {
      pids.push(
        ...execFileSync('pgrep', ['-P', String(pids[i])], { encoding: 'utf8' })
          .trim()
          .split('\n')
          .filter(Boolean)
          .map(Number),
      );
    } catch {
      /* no children */
    }
  }
  for (const pid of pids) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('bin/hearth.js')) && cmd.includes('start')) return pid;
    } catch {
      /* gone */
    }
  }
  throw new Error(`no hearth.js process under ${root}`);
}

/** CPU time (ms) the process has used so far, all threads: utime + stime of /proc/PID/stat. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** CPU time (ms) of each of the process's threads, by thread name; the main thread (the event loop) as `main`. */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).trim();
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK);
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

/** Time (ms) the main thread (the event loop) has spent runnable but waiting for a CPU: /proc/PID/schedstat. */
function runQueueWaitMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
}

interface Server {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly base: string;
  readonly setupToken: string;
  /** Bytes the server wrote to stdout (its JSON log lines) so far. */
  readonly logBytes: () => number;
  readonly runsFrom: 'dist' | 'sources' | 'unknown';
  stop(): Promise<void>;
}

async function startServer(mode: { profileDir?: string; intervalUs?: number; env: Record<string, string> }): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-chat-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HEARTH_') && !k.startsWith('npm_')) env[k] = v;
  Object.assign(env, { HEARTH_DATA_DIR: dataDir, HEARTH_PORT: String(port), ...BENCH_ENV, ...mode.env });
  // bin/hearth.js runs dist/ when it matches src/, else the sources through tsx (it says so only on a terminal).
  const fresh = spawnSync(
    process.execPath,
    ['-e', "import('./scripts/build.mjs').then((m) => process.exit(m.distIsFresh() ? 0 : 1), () => process.exit(2))"],
    { cwd: ROOT },
  ).status;
  const runsFrom = fresh === 0 ? 'dist' : fresh === 1 ? 'sources' : 'unknown';
  let child: ChildProcess;
  if (mode.profileDir) {
    // What `npm start` runs first (the web build when stale), then the server alone under the profiler.
    const pre = spawnSync('npm', ['run', '--silent', '--if-present', 'prestart'], { cwd: ROOT, env, stdio: 'ignore' });
    if (pre.status !== 0) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error('npm run prestart failed');
    }
    const flags = ['--cpu-prof', `--cpu-prof-dir=${mode.profileDir}`, `--cpu-prof-interval=${mode.intervalUs ?? 200}`];
    child = spawn(process.execPath, [...flags, 'bin/hearth.js', 'start'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  } else {
    child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  }
  let out = '';
  let bytes = 0;
  let err = '';
  let token: string | undefined;
  child.stdout!.on('data', (c: Buffer) => {
    bytes += c.length;
    if (token) return;
    out += c.toString('utf8');
    token = /\/setup#token=([A-Za-z0-9_-]+)/.exec(out)?.[1];
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(mode.profileDir ? child.pid! : -child.pid!, 'SIGTERM');
      const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  let pid: number;
  try {
    const started = performance.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${err.slice(-2000)}`);
      if (token) {
        try {
          if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) break;
        } catch {
          /* not up yet */
        }
      }
      if (performance.now() - started > 120_000) throw new Error(`hearth did not start in 120 s:\n${out.slice(-2000)}${err.slice(-2000)}`);
      await sleep(50);
    }
    pid = mode.profileDir ? child.pid! : serverPid(child.pid!);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    child,
    pid,
    base: `http://127.0.0.1:${port}`,
    setupToken: token!,
    logBytes: () => bytes,
    runsFrom,
    stop,
  };
}

/** JSON request with the owner's session cookie, CSRF token and Origin, as the web app sends them. */
async function api(
  base: string,
  auth: Record<string, string>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
}

interface Owner {
  readonly headers: Record<string, string>;
  readonly familiarId: string;
}

async function setUp(server: Server, fakeUrl: string): Promise<Owner> {
  const res = await fetch(`${server.base}/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.base },
    body: JSON.stringify({ token: server.setupToken, name: 'owner', password: PASSWORD }),
  });
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
  const cookie = /__Host-hearth=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0];
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const headers = { cookie, 'x-csrf-token': csrfToken, origin: server.base };
  const provider = await api(server.base, headers, 'POST', '/api/providers', { name: 'fake', baseUrl: fakeUrl });
  const familiar = await api(server.base, headers, 'POST', '/api/familiars', {
    slug: 'bench',
    name: 'Bench',
    persona: 'You are a benchmark familiar. Keep your answers short.',
    providerId: provider.id,
    model: 'fake-model',
    allowedTools: MEMORY_TOOLS,
  });
  return { headers, familiarId: String(familiar.id) };
}

interface Timing {
  readonly totalMs: number;
  readonly firstTextMs: number;
}

/** One client: its own kept-alive connection and conversation. */
async function client(base: string, owner: Owner) {
  const conversation = await api(base, owner.headers, 'POST', '/api/conversations', { familiarId: owner.familiarId });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(`/api/conversations/${String(conversation.id)}/messages`, base);
  const send = (text: string) =>
    new Promise<Timing>((done, fail) => {
      const body = JSON.stringify({ text });
      const started = performance.now();
      let firstText = NaN;
      let finished = NaN;
      let buffer = '';
      const req = httpRequest(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            ...owner.headers,
            accept: 'text/event-stream',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.setEncoding('utf8');
            let text = '';
            res.on('data', (c: string) => (text += c));
            res.on('end', () => fail(new Error(`message: ${res.statusCode} ${text}`)));
            return;
          }
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const event = /^event: (\w+)/m.exec(frame)?.[1];
              if (event === 'delta' && Number.isNaN(firstText)) firstText = performance.now() - started;
              else if (event === 'done') finished = performance.now() - started;
              else if (event === 'error') fail(new Error(`error event: ${frame}`));
            }
          });
          res.on('end', () =>
            Number.isNaN(finished) ? fail(new Error('stream ended without done')) : done({ totalMs: finished, firstTextMs: firstText }),
          );
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

interface Phase {
  readonly messages: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly firstTextP50Ms: number;
  readonly serverCpuMsPerMessage: number;
  /** The same split by thread: `main` is the event loop; V8 workers (GC, compiler), libuv pool, worker threads. */
  readonly threadCpuMsPerMessage: Record<string, number>;
  readonly messagesPerSec: number;
  /** The event loop runnable but waiting for a CPU (other processes on a busy machine), per message. */
  readonly cpuWaitMsPerMessage: number;
  readonly logBytesPerMessage: number;
}

type Client = Awaited<ReturnType<typeof client>>;

/** Every client sends `each` messages one after another, all clients at once; the server's CPU is read around it. */
async function phase(server: Server, clients: Client[], each: number, label: string): Promise<Phase> {
  const timings: Timing[] = [];
  const cpuBefore = cpuMs(server.pid);
  const threadsBefore = threadCpuMs(server.pid);
  const waitBefore = runQueueWaitMs(server.pid);
  const logBefore = server.logBytes();
  const started = performance.now();
  await Promise.all(
    clients.map(async (c, ci) => {
      for (let i = 0; i < each; i++) timings.push(await c.send(`${label} message ${i} from client ${ci}: how was your day?`));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await sleep(300); // work written behind (turn indexing, audit batches) belongs to these messages
  const cpu = cpuMs(server.pid) - cpuBefore;
  const wait = runQueueWaitMs(server.pid) - waitBefore;
  const n = timings.length;
  const threads: Record<string, number> = {};
  for (const [name, ms] of threadCpuMs(server.pid))
    if (ms > (threadsBefore.get(name) ?? 0)) threads[name] = round((ms - (threadsBefore.get(name) ?? 0)) / n);
  const total = timings.map((t) => t.totalMs).sort((a, b) => a - b);
  const first = timings.map((t) => t.firstTextMs).sort((a, b) => a - b);
  return {
    messages: n,
    p50Ms: round(pct(total, 50)),
    p95Ms: round(pct(total, 95)),
    firstTextP50Ms: round(pct(first, 50)),
    serverCpuMsPerMessage: round(cpu / n),
    threadCpuMsPerMessage: threads,
    messagesPerSec: round(n / seconds, 1),
    cpuWaitMsPerMessage: round(wait / n),
    logBytesPerMessage: Math.round((server.logBytes() - logBefore) / n),
  };
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--profile')) return profile(argv);
  const json = argv.includes('--json');
  const messages = arg(argv, '--messages', 100);
  const clientCount = arg(argv, '--clients', 10);
  const perClient = arg(argv, '--per-client', 20);
  const warmup = arg(argv, '--warmup', 20);
  const fake = await startFakeOpenAI({ record: false, fallback: { text: 'A short instant reply from the fake model.' } });
  const env = extraEnv(argv);
  const server = await startServer({ env });
  const clients: Client[] = [];
  try {
    const owner = await setUp(server, fake.url);
    const loadBefore = load();
    for (let i = 0; i <= clientCount; i++) clients.push(await client(server.base, owner));
    const [warm] = clients;
    for (let i = 0; i < warmup; i++) await warm!.send(`warm-up message ${i}`);
    const sequential = await phase(server, [clients[1]!], messages, 'sequential');
    const concurrent = await phase(server, clients.slice(1), perClient, 'concurrent');
    const result = {
      sequential,
      concurrent,
      warmupMessages: warmup,
      clients: clientCount,
      loadAverage: { before: loadBefore, after: load() },
      cpus: cpus().length,
      serverRunsFrom: server.runsFrom,
      benchConfig: { ...BENCH_ENV, ...env },
      targets: { p50Ms: 10, serverCpuMsPerMessage: 5 },
    };
    if (json) {
      console.log(JSON.stringify(result));
      return;
    }
    console.log(
      `chat over HTTP: \`npm start\` (${{ dist: 'dist/', sources: 'sources through tsx', unknown: 'dist/ or sources' }[server.runsFrom]}), SQLite, default settings except ` +
        `HEARTH_RATE_CHAT_TURNS=${BENCH_ENV.HEARTH_RATE_CHAT_TURNS} (the default 30/min per person would refuse the bench); ` +
        (Object.keys(env).length
          ? `also ${Object.entries(env)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}; `
          : '') +
        `owner session + CSRF, familiar with ${MEMORY_TOOLS.length} memory tools, instant fake model on loopback; ${warmup} warm-up messages first`,
    );
    console.log(
      '| phase | messages | p50 | p95 | first text p50 | server CPU / message (main thread) | messages/s | server waiting for a CPU / message | log bytes / message |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const [name, p] of [
      ['sequential, 1 client', sequential],
      [`concurrent, ${clientCount} clients × ${perClient}`, concurrent],
    ] as const)
      console.log(
        `| ${name} | ${p.messages} | ${p.p50Ms} ms | ${p.p95Ms} ms | ${p.firstTextP50Ms} ms | ${p.serverCpuMsPerMessage} ms (${p.threadCpuMsPerMessage.main ?? 0}) | ${p.messagesPerSec} | ${p.cpuWaitMsPerMessage} ms | ${p.logBytesPerMessage} |`,
      );
    const threads = (p: Phase) =>
      Object.entries(p.threadCpuMsPerMessage)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    console.log(`server CPU per message by thread (ms): sequential ${threads(sequential)}; concurrent ${threads(concurrent)}`);
    console.log(
      `targets (issue #17): p50 < 10 ms, server CPU < 5 ms per message; load average ${result.loadAverage.before} → ${result.loadAverage.after} on ${result.cpus} CPUs`,
    );
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    await fake.close();
  }
}

// ── --profile ────────────────────────────────────────────────────────────────────────────────────────────────

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const FASTIFY =
  /^(fastify|@fastify\/|find-my-way|avvio|light-my-request|fast-json-stringify|fast-querystring|fast-uri|secure-json-parse|fast-content-type-parse|proxy-addr|forwarded|ipaddr\.js|toad-cache|process-warning|abstract-logging|rfdc|ret|safe-regex2|json-schema-ref-resolver|fastify-type-provider-zod|helmet)$/;
const PINO =
  /^(pino|sonic-boom|thread-stream|fast-redact|@pinojs\/.*|pino-std-serializers|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify)$/;

/** The group of a file (a package, or an area of Hearth), as the issue lists them. */
function groupOf(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  if (pkg) {
    if (FASTIFY.test(pkg)) return 'HTTP: Fastify (routing, hooks, zod type provider, helmet, reply)';
    if (PINO.test(pkg)) return 'request logging: pino + Hearth redaction';
    if (pkg === 'openai') return 'openai SDK (request building, fetch, stream parsing)';
    if (pkg === 'zod') return 'zod (validation, tool JSON schema)';
    if (pkg === 'kysely' || pkg === 'better-sqlite3' || pkg === 'sqlite-vec') return 'kysely + SQLite (statements run inside)';
    if (pkg === 'argon2') return 'argon2';
    if (pkg === 'tsx' || pkg === 'esbuild' || pkg === 'get-tsconfig') return 'tsx loader';
    if (pkg === 'rate-limiter-flexible') return 'rate limiting';
    return `package ${pkg}`;
  }
  const src = /\/(?:src|dist)\/([a-z-]+)\/(?:([a-z-]+)[/.])?/.exec(path);
  if (!src) return `other: ${path.split('/').slice(-2).join('/')}`;
  const [, area, sub] = src;
  if (area === 'identity' && sub === 'passwords') return 'argon2';
  if (area === 'identity' || (area === 'security' && sub === 'csrf')) return 'authentication: session, CSRF';
  if (area === 'security' && sub === 'audit') return 'audit (hash chain, entry)';
  if (area === 'server' && sub === 'sse') return 'SSE writing (src/server/sse.ts)';
  if (area === 'server' || (area === 'security' && sub === 'ratelimit')) return 'Hearth HTTP layer (policy, rate-limit hook, errors)';
  if (area === 'logging') return 'request logging: pino + Hearth redaction';
  if (area === 'storage') return 'kysely + SQLite (statements run inside)';
  if (area === 'security') return 'Hearth screen + sanitize';
  if (area === 'companions') return 'Hearth turn pipeline (src/companions)';
  if (area === 'memory') return 'Hearth memory retrieval + indexing (src/memory)';
  return `Hearth ${area}`;
}

/** Where Node's own code, with no package or Hearth code below it on the stack, goes. */
function nodeGroupOf(frame: ProfileNode): string {
  const mod = frame.callFrame.url.replace(/^node:/, '').replace(/^internal\//, '');
  if (/^process\/task_queues/.test(mod)) return 'node: promise / async-await machinery';
  if (/^(_http|http)/.test(mod)) return 'node: http (parser, server, client)';
  if (/^(net|stream|streams\/|stream_base)/.test(mod)) return 'node: sockets, streams';
  if (/^deps\/undici/.test(mod)) return 'node: undici (fetch under the openai SDK)';
  return 'node: other (timers, events, crypto, modules)';
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/(.*)$/.exec(path)?.[1];
  if (pkg) return pkg;
  if (path.startsWith(ROOT)) return path.slice(ROOT.length + 1);
  return path;
}

/**
 * Self time of the samples inside `window`, by group: native code (a better-sqlite3 statement, JSON.stringify,
 * a crypto call) and Node's internals count for the package or Hearth file that called them (the nearest such
 * frame on the stack); Node code with none below it (socket callbacks, the HTTP parser, promise jobs) has its own groups.
 */
function summarize(prof: CpuProfile, window: { start: number; end: number }) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const up = (n: ProfileNode) => byId.get(parent.get(n.id) ?? -1);
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  let t = prof.startTime;
  let busy = 0;
  let idle = 0;
  let samples = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i]!;
    if (t < window.start || t > window.end) continue;
    samples++;
    const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000; // a sample stands for the time until the next one (ms)
    const leaf = byId.get(prof.samples[i]!)!;
    const name = leaf.callFrame.functionName;
    if (name === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    if (name === '(garbage collector)' || name === '(program)') {
      add(groups, name === '(garbage collector)' ? 'garbage collector' : 'V8 / native, no JS frame (program)', dt);
      add(fns, name, dt);
      continue;
    }
    let caller: ProfileNode | undefined = leaf;
    while (caller && !caller.callFrame.url.startsWith('file:')) caller = up(caller);
    let firstJs: ProfileNode | undefined = leaf;
    while (firstJs && !firstJs.callFrame.url) firstJs = up(firstJs);
    add(groups, caller ? groupOf(caller.callFrame.url) : firstJs ? nodeGroupOf(firstJs) : 'native, no JS caller', dt);
    const where = (n: ProfileNode | undefined) => (n ? `${n.callFrame.functionName || '(anonymous)'} (${shortUrl(n.callFrame.url)})` : '');
    add(fns, leaf.callFrame.url ? where(leaf) : `${name || '(native)'} [native] ← ${where(firstJs)}`, dt);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    samples,
    idleShare: round(idle / (busy + idle), 3),
    busyMs: busy,
    groups: sorted(groups).map(([group, ms]) => ({ group, share: ms / busy })),
    topFunctions: sorted(fns)
      .slice(0, 15)
      .map(([fn, ms]) => ({ fn, share: ms / busy })),
  };
}

/** CPU time (ms) of the process's main thread (the event loop) only. */
function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

async function profile(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const messages = arg(argv, '--profile-messages', 300);
  const intervalUs = arg(argv, '--profile-interval-us', 200);
  const warmup = arg(argv, '--warmup', 20);
  const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-chat-prof-'));
  const fake = await startFakeOpenAI({ record: false, fallback: { text: 'A short instant reply from the fake model.' } });
  const server = await startServer({ profileDir: dir, intervalUs, env: extraEnv(argv) });
  let seq: Phase;
  let mainCpu = 0;
  // The profile's clock is CLOCK_MONOTONIC in µs, as process.hrtime's is: the phase's window in that clock.
  const window = { start: 0, end: 0 };
  const clients: Client[] = [];
  try {
    const owner = await setUp(server, fake.url);
    clients.push(await client(server.base, owner), await client(server.base, owner));
    for (let i = 0; i < warmup; i++) await clients[0]!.send(`warm-up message ${i}`);
    window.start = Number(process.hrtime.bigint() / 1000n);
    mainCpu = mainThreadCpuMs(server.pid);
    seq = await phase(server, [clients[1]!], messages, 'sequential');
    mainCpu = mainThreadCpuMs(server.pid) - mainCpu;
    window.end = Number(process.hrtime.bigint() / 1000n);
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    await fake.close();
  }
  // One profile per thread: CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the event loop.
  const file = readdirSync(dir).find((f) => new RegExp(`\\.${server.child.pid}\\.0\\.\\d+\\.cpuprofile$`).test(f));
  if (!file) throw new Error(`no .cpuprofile of the main thread in ${dir}`);
  const summary = summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, window);
  const keep = argv.includes('--keep-profile');
  if (keep) writeFileSync(join(dir, 'window.json'), JSON.stringify({ ...window, clock: "the profiles' µs (CLOCK_MONOTONIC)" }));
  else rmSync(dir, { recursive: true, force: true });
  // Sampled time is wall time of the thread when not idle (preemption by other processes included): shares of
  // it, applied to the main thread's measured CPU per message, estimate each group's CPU per message.
  const perMessage = mainCpu / messages;
  const result = {
    messages,
    intervalUs,
    samples: summary.samples,
    mainThreadCpuMsPerMessage: round(perMessage),
    processCpuMsPerMessage: seq.serverCpuMsPerMessage,
    sampledBusyMsPerMessage: round(summary.busyMs / messages),
    groups: summary.groups.map((g) => ({ group: g.group, share: round(g.share, 3), cpuMsPerMessage: round(g.share * perMessage, 3) })),
    topFunctions: summary.topFunctions.map((f) => ({
      fn: f.fn,
      share: round(f.share, 3),
      cpuMsPerMessage: round(f.share * perMessage, 3),
    })),
    sequentialUnderProfiler: seq,
    ...(keep ? { dir } : {}),
  };
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `server CPU profile (node --cpu-prof, a sample every ${intervalUs} µs) over ${messages} sequential streamed messages: ` +
      `${summary.samples} samples; main thread ${result.mainThreadCpuMsPerMessage} ms CPU per message, whole process ` +
      `${result.processCpuMsPerMessage} ms, profiler included; sampled busy time ${result.sampledBusyMsPerMessage} ms per message`,
  );
  console.log('| group (self time; native code and Node internals count for their caller) | share | ≈ CPU ms / message |\n|---|---|---|');
  for (const g of result.groups) console.log(`| ${g.group} | ${(g.share * 100).toFixed(1)}% | ${g.cpuMsPerMessage} |`);
  console.log('\n| function (self time) | share | ≈ CPU ms / message |\n|---|---|---|');
  for (const f of result.topFunctions) console.log(`| ${f.fn} | ${(f.share * 100).toFixed(1)}% | ${f.cpuMsPerMessage} |`);
  if (keep)
    console.log(
      `profiles kept in ${dir} (thread 0 is the event loop; open in Chrome DevTools or speedscope; window.json: the phase's time window)`,
    );
}
