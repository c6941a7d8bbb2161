import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { runHearth, startHearthProcess } from './cli.js';
import { PG_URL, tempDir } from './databases.js';

/**
 * Several real `hearth start` processes on one PostgreSQL database and one Redis, behind a real
 * nginx on loopback running deploy/nginx.conf: what docs/deployment.md tells operators to run (issue #19). The database is
 * a fresh one of its own (a deployment's, not a test schema), dropped at the end.
 */
export interface Replica {
  readonly id: string;
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
}

export interface ReplicaSet {
  readonly replicas: Replica[];
  /** nginx in front of them. */
  readonly lb: string;
  readonly env: Record<string, string>;
  /** Starts one more replica on the same database (e.g. after killing one). */
  add(id: string, extra?: Record<string, string>): Promise<Replica>;
  /** SIGKILLs a replica (no shutdown of any kind, as a crash or the OOM killer) and waits until it is gone. */
  kill(replica: Replica): Promise<void>;
  /** The replicas not killed or exited. */
  alive(): Replica[];
  close(): Promise<void>;
}

/** A Redis database of its own, so other suites' rate-limit counters never meet these. */
const REDIS_URL = 'redis://127.0.0.1:6379/11';

export const OWNER_PASSWORD = 'correct horse battery staple orbit lantern';

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
    s.on('error', fail);
  });
}

/**
 * The operator's nginx configuration, deploy/nginx.conf, as docs/deployment.md gives it, made to
 * run here: its upstream lists these replicas, and its TLS server listens on a loopback port in
 * plain HTTP (certificates are not what is tested). Everything else is used as written.
 */
function nginxConfig(dir: string, port: number, upstreams: readonly string[]): string {
  let site = readFileSync(fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url)), 'utf8');
  const servers = upstreams.map((u) => `    server ${new URL(u).host} max_fails=2 fail_timeout=10s;`).join('\n');
  site = site.replace(/(upstream hearth \{\n)(?:\s*#.*\n)?(?:\s*server .*\n)+/, `$1${servers}\n`);
  site = site.replace(/listen 443 ssl http2;\n(?:.*\n)*?\s*ssl_certificate_key .*\n/, `listen 127.0.0.1:${port};\n`);
  // The port-80 redirect to https is the deployment's, not needed on loopback.
  site = site.replace(/server \{\n\s*listen 80;[\s\S]*?\n\}\n?/, '');
  if (!site.includes(`listen 127.0.0.1:${port};`) || !site.includes(new URL(upstreams[0]!).host))
    throw new Error('deploy/nginx.conf changed shape: update test/support/replicas.ts');
  return `user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site}
}
`;
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startReplicaSet(options: {
  count: number;
  env?: Record<string, string>;
  /** Settings one replica has of its own (e.g. a provider URL that tells the replicas apart). */
  perReplica?: (id: string) => Record<string, string>;
}): Promise<ReplicaSet> {
  const database = `hearth_r_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const databaseUrl = new URL(PG_URL);
  databaseUrl.pathname = `/${database}`;
  // The Redis database is this harness's alone: counters left by an earlier run must not count here.
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  await redis.flushdb();
  redis.disconnect();
  const root = tempDir('hearth-replicas-');
  const env: Record<string, string> = {
    HEARTH_DATABASE_URL: databaseUrl.toString(),
    HEARTH_REDIS_URL: REDIS_URL,
    HEARTH_MASTER_KEY: randomBytes(32).toString('hex'),
    HEARTH_SERVICE_KEY: randomBytes(24).toString('hex'),
    HEARTH_TRUSTED_PROXIES: '127.0.0.1',
    HEARTH_SERVE_WEB: 'false',
    HEARTH_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const setupDir = join(root, 'setup');
  mkdirSync(setupDir);
  const replicas: Replica[] = [];
  const running = (r: Replica) => r.child.exitCode === null && r.child.signalCode === null;
  let nginx: ChildProcess | undefined;
  const close = async () => {
    nginx?.kill('SIGTERM');
    await Promise.all(replicas.filter(running).map((r) => new Promise((done) => (r.child.once('exit', done), r.child.kill('SIGTERM')))));
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await c.end();
    rmSync(root, { recursive: true, force: true });
  };
  const add = async (id: string, extra: Record<string, string> = {}): Promise<Replica> => {
    const dataDir = join(root, id);
    mkdirSync(dataDir, { recursive: true });
    const proc = await startHearthProcess({
      cwd: dataDir,
      env: { ...env, ...options.perReplica?.(id), HEARTH_DATA_DIR: dataDir, HEARTH_REPLICA_ID: id, ...extra },
    });
    const replica = { id, url: proc.url, child: proc.child, output: proc.output };
    replicas.push(replica);
    return replica;
  };
  const kill = async (replica: Replica) => {
    if (!running(replica)) return;
    const gone = new Promise((done) => replica.child.once('exit', done));
    replica.child.kill('SIGKILL');
    await gone;
  };

  // A start that fails half-way stops what it started: no replica or nginx outlives the test.
  try {
    const owner = await runHearth(['users', 'add', 'owner', '--role', 'owner'], {
      env: { ...env, HEARTH_DATA_DIR: setupDir },
      stdin: `${OWNER_PASSWORD}\n`,
    });
    if (owner.code !== 0) throw new Error(`users add failed: ${owner.stderr}`);
    for (let i = 1; i <= options.count; i++) await add(`r${i}`);
    const nginxDir = join(root, 'nginx');
    mkdirSync(nginxDir);
    const port = await freePort();
    writeFileSync(
      join(nginxDir, 'nginx.conf'),
      nginxConfig(
        nginxDir,
        port,
        replicas.map((r) => r.url),
      ),
    );
    nginx = spawn('nginx', ['-p', nginxDir, '-c', join(nginxDir, 'nginx.conf')], {
      stdio: 'ignore',
      env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin` },
    });
    let nginxFailed: Error | undefined;
    nginx.once('error', (err) => (nginxFailed = err));
    const lb = `http://127.0.0.1:${port}`;
    await waitFor(async () => nginxFailed !== undefined || (await fetch(`${lb}/api/health`)).status < 500, 'nginx');
    if (nginxFailed) throw new Error(`nginx did not start: ${nginxFailed.message}`);
    return { replicas, lb, env, add, kill, alive: () => replicas.filter(running), close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** Signs the owner in through `base`; the headers a browser would then send. */
export async function signIn(base: string): Promise<Record<string, string>> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ name: 'owner', password: OWNER_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  const cookie = /__Host-hearth=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0];
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, 'x-csrf-token': csrfToken };
}
