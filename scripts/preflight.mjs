#!/usr/bin/env node
// Preflight of `npm test` (run by `pretest`, before the web build): makes sure this machine has
// what the suite uses, so `npm ci && npm test` passes on a fresh clone of a Debian or Ubuntu machine.
//
//   - Debian packages: chromium (/usr/bin/chromium, browser tests), bubblewrap (shell sandbox),
//     espeak-ng, ffmpeg, pocketsphinx and pocketsphinx-en-us (voice), nginx (the load balancer in front
//     of the replica test), and postgresql / redis-server when those services are not running;
//   - PostgreSQL answering at HEARTH_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test,
//     see test/support/databases.ts): started if stopped, database created if missing, and, only
//     when the password-less connection is refused, one `trust` line in pg_hba.conf for exactly
//     that database, user and loopback address;
//   - Redis answering PING on 127.0.0.1:6379: started if stopped (no persistence).
//
// With everything present it prints one line and exits 0 (in well under a second). Otherwise it
// fixes what is missing as root, or through sudo; with neither it prints what is missing and the
// exact commands to run as root, and exits 1 before anything else runs.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { delimiter, join } from 'node:path';
import pg from 'pg';

const started = performance.now();
const PG_URL = process.env.HEARTH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgUrl = new URL(PG_URL);
const PG = {
  host: pgUrl.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
  port: Number(pgUrl.port || 5432),
  user: decodeURIComponent(pgUrl.username) || 'postgres',
  database: decodeURIComponent(pgUrl.pathname.slice(1)) || 'postgres',
};
const PG_LOCAL = ['127.0.0.1', 'localhost', '::1'].includes(PG.host);
const PG_WHERE = `${PG.host}:${PG.port}/${PG.database}`;
const REDIS = { host: '127.0.0.1', port: 6379 };

const log = (line) => console.log(`preflight: ${line}`);
/** Runs a system command (an array, never a shell line) quietly; its exit status and stdout. */
const system = ([program, ...args], stdio = 'pipe') => spawnSync(program, args, { encoding: 'utf8', stdio });
const stdoutOf = (argv) => system(argv).stdout ?? '';
const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Like `command -v`: the program's path on PATH (plus the sbin folders), or undefined. */
function which(program) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  return dirs
    .filter(Boolean)
    .map((d) => join(d, program))
    .find(isExecutable);
}

const TOOLS = [
  { what: 'Chromium (/usr/bin/chromium, for the browser tests)', pkg: 'chromium', present: () => isExecutable('/usr/bin/chromium') },
  { what: 'bubblewrap (bwrap, for the shell sandbox)', pkg: 'bubblewrap', present: () => which('bwrap') !== undefined },
  { what: 'espeak-ng (offline speech)', pkg: 'espeak-ng', present: () => which('espeak-ng') !== undefined },
  { what: 'ffmpeg (voice: audio conversion)', pkg: 'ffmpeg', present: () => which('ffmpeg') !== undefined },
  {
    what: 'pocketsphinx (voice: offline speech to text)',
    pkg: 'pocketsphinx',
    present: () => which('pocketsphinx_continuous') !== undefined,
  },
  {
    what: 'the pocketsphinx US-English model',
    pkg: 'pocketsphinx-en-us',
    present: () => existsSync('/usr/share/pocketsphinx/model/en-us/en-us.lm.bin'),
  },
  {
    what: 'nginx (the load balancer of the replica test)',
    pkg: 'nginx',
    present: () => which('nginx') !== undefined || isExecutable('/usr/sbin/nginx'),
  },
];

/** The newest PostgreSQL major version with a Debian cluster configuration, e.g. "15". */
function pgVersion() {
  try {
    return readdirSync('/etc/postgresql')
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(a) - Number(b))
      .pop();
  } catch {
    return undefined;
  }
}
const pgInstalled = () => which('pg_ctlcluster') !== undefined && pgVersion() !== undefined;

/** The Debian cluster serving PG.port (pg_lsclusters), else the newest version's `main`; undefined without a cluster configuration. */
function pgCluster() {
  const listed = which('pg_lsclusters') ? stdoutOf(['pg_lsclusters', '-h']) : '';
  const match = listed
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f.length >= 3 && Number(f[2]) === PG.port);
  if (match) return { version: match[0], name: match[1] };
  const version = pgVersion();
  return version === undefined ? undefined : { version, name: 'main' };
}
const clusterArgs = (c) => [c.version, c.name];

/** ok | down | auth (password-less login refused) | nodb | error, from a real connection as the tests make it. */
async function probePostgres(database = PG.database) {
  const url = new URL(PG_URL);
  url.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return { state: 'ok', client };
  } catch (e) {
    await client.end().catch(() => {});
    const err = /** @type {{ code?: string; message: string }} */ (e);
    if (err.code === '3D000') return { state: 'nodb' };
    const code = err.code ?? '';
    if (['28P01', '28000'].includes(code) || /password|SASL|SCRAM/i.test(err.message)) return { state: 'auth', message: err.message };
    const unreachable = ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOENT', '57P03'].includes(code);
    if (unreachable || /timeout|terminated/i.test(err.message)) return { state: 'down' };
    return { state: 'error', message: err.message };
  }
}

async function pgState() {
  const r = await probePostgres();
  if (r.client) await r.client.end().catch(() => {});
  return r;
}

/** ok | down | the unexpected reply, from a raw PING. */
function probeRedis() {
  return new Promise((done) => {
    const socket = createConnection(REDIS);
    let reply = '';
    const finish = (state) => {
      clearTimeout(timer);
      socket.destroy();
      done(state);
    };
    const timer = setTimeout(() => finish('down'), 2000);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG') ? 'ok' : reply.trim());
    });
    socket.on('error', () => finish('down'));
  });
}

async function waitFor(check, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await check()) return true;
    await sleep(250);
  }
  return false;
}

// --- What is there -------------------------------------------------------------------------------

let missingTools = TOOLS.filter((t) => !t.present());
let postgres = await pgState();
let redis = await probeRedis();
const done = [];

if (postgres.state === 'nodb') {
  // No privilege needed when the test user may create databases (the default `postgres` superuser).
  if (await createDatabaseOverTcp()) postgres = await pgState();
}

const ready = () => missingTools.length === 0 && postgres.state === 'ok' && redis === 'ok';
if (ready()) {
  const ms = Math.round(performance.now() - started);
  const fixed = done.length ? `${done.join('; ')}; ` : '';
  log(
    `${fixed}Chromium, bubblewrap, espeak-ng, ffmpeg, pocketsphinx, nginx, PostgreSQL ${PG_WHERE} and Redis ${REDIS.host}:${REDIS.port} ready (${ms} ms)`,
  );
  process.exit(0);
}

// --- What is missing, and the commands that fix it ----------------------------------------------

const problems = [];
const PG_AT = `PostgreSQL on ${PG.host}:${PG.port}`;
const REDIS_AT = `Redis on ${REDIS.host}:${REDIS.port}`;
for (const t of missingTools) problems.push(`${t.what}: not installed (Debian package ${t.pkg})`);
if (postgres.state === 'down') problems.push(`${PG_AT}: not running${pgInstalled() ? '' : ' (package postgresql not installed)'}`);
if (postgres.state === 'auth') problems.push(`${PG_AT}: refuses user "${PG.user}" without a password (${postgres.message})`);
if (postgres.state === 'nodb') problems.push(`${PG_AT}: database "${PG.database}" missing`);
if (postgres.state === 'error') problems.push(`PostgreSQL at ${PG_WHERE}: ${postgres.message}`);
if (redis === 'down') problems.push(`${REDIS_AT}: not running${which('redis-server') ? '' : ' (package redis-server not installed)'}`);
else if (redis !== 'ok') problems.push(`${REDIS_AT}: answers PING with ${JSON.stringify(redis)}`);

const packages = [...missingTools.map((t) => t.pkg)];
if (postgres.state === 'down' && !pgInstalled()) packages.push('postgresql');
if (redis === 'down' && !which('redis-server')) packages.push('redis-server');

// Problems no command here can fix: say so and stop.
const unfixable = [];
if (packages.length > 0 && !which('apt-get')) {
  unfixable.push(`no apt-get: install ${packages.join(', ')} with this system's package manager`);
}
if (postgres.state !== 'ok' && !PG_LOCAL) {
  unfixable.push(`PostgreSQL at ${PG.host} is not on this machine: fix it there, or point HEARTH_TEST_DATABASE_URL elsewhere`);
}
if (postgres.state === 'error') {
  unfixable.push('PostgreSQL answered with an unexpected error; fix it, or point HEARTH_TEST_DATABASE_URL at a database the tests may use');
}
if (redis !== 'ok' && redis !== 'down') {
  unfixable.push(`something that is not a password-less Redis listens on ${REDIS.host}:${REDIS.port}; stop it or open it`);
}
if (unfixable.length > 0) fail(problems, ['  Fix this first:', ...unfixable.map((u) => `    ${u}`)]);

/** Privileged commands, as root or through sudo; undefined when neither is available. */
function privilege() {
  const sudo = { root: ['sudo'], asPostgres: ['sudo', '-u', 'postgres'] };
  if (process.getuid?.() === 0) return { root: [], asPostgres: ['runuser', '-u', 'postgres', '--'] };
  if (!which('sudo')) return undefined;
  if (system(['sudo', '-n', 'true'], 'ignore').status === 0) return sudo;
  if (process.stdin.isTTY) {
    log(`installing and starting what the tests need takes root: ${problems.join('; ')}`);
    if (system(['sudo', '-v'], 'inherit').status === 0) return sudo;
  }
  return undefined;
}

const aptInstall = (pkgs) => ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', ...pkgs];
const pgctl = (cluster, action) => ['pg_ctlcluster', '--skip-systemctl-redirect', ...clusterArgs(cluster), action];
const createdb = () => ['createdb', '-p', String(PG.port), ...(PG.user === 'postgres' ? [] : ['-O', PG.user]), PG.database];

function redisDirs() {
  if (existsSync('/var/lib/redis') && existsSync('/var/log/redis')) return { dir: '/var/lib/redis', logfile: '/var/log/redis/ci.log' };
  const dir = mkdtempSync(join(tmpdir(), 'hearth-redis-'));
  return { dir, logfile: join(dir, 'redis.log') };
}
function redisStart(dirs) {
  // `-::1` (bind ::1 when there is one) needs Redis 7; older ones bind loopback IPv4 only.
  const version = /v=(\d+)/.exec(stdoutOf(['redis-server', '--version']))?.[1];
  const bind = version === undefined || Number(version) >= 7 ? ['127.0.0.1', '-::1'] : ['127.0.0.1'];
  const options = {
    daemonize: ['yes'],
    bind,
    port: [String(REDIS.port)],
    save: [''],
    appendonly: ['no'],
    dir: [dirs.dir],
    logfile: [dirs.logfile],
  };
  return ['redis-server', ...Object.entries(options).flatMap(([name, values]) => [`--${name}`, ...values])];
}

const priv = privilege();
if (!priv) {
  const show = (argv) => `  ${argv.map(quote).join(' ')}`;
  const commands = [];
  if (packages.length > 0) commands.push('  apt-get update', show(aptInstall(packages)));
  const cluster = pgCluster() ?? { version: '$(ls /etc/postgresql | sort -n | tail -1)', name: 'main' };
  if (postgres.state === 'down') commands.push(`  pg_ctlcluster --skip-systemctl-redirect ${cluster.version} ${cluster.name} start`);
  if (redis === 'down') commands.push(show(redisStart({ dir: '/var/lib/redis', logfile: '/var/log/redis/ci.log' })));
  if (postgres.state === 'auth') commands.push(`  ${hbaCommand(cluster)}`);
  const ifMissing = postgres.state === 'nodb' ? '' : '   # if the database is missing';
  if (postgres.state !== 'ok') commands.push(show(['runuser', '-u', 'postgres', '--', ...createdb()]) + ifMissing);
  fail(problems, [`This needs root, and there is neither root nor sudo here. As root, run:`, ...commands, 'then run `npm test` again.']);
}

// --- Fix it ---------------------------------------------------------------------------------------

function run(argv, options = {}) {
  const full = [...(options.as ?? priv.root), ...argv];
  log(`$ ${full.map(quote).join(' ')}`);
  const stdio = options.input === undefined ? 'inherit' : ['pipe', 'ignore', 'inherit'];
  const r = spawnSync(full[0], full.slice(1), { stdio, input: options.input });
  const why = r.status ?? r.signal ?? r.error?.message;
  if (r.status !== 0 && !options.mayFail) fail(problems, [`  failed: ${full.map(quote).join(' ')} (exit ${why})`]);
  return r.status === 0;
}

if (packages.length > 0) {
  run(['apt-get', 'update']);
  run(aptInstall(packages));
  done.push(`installed ${packages.join(', ')}`);
  missingTools = TOOLS.filter((t) => !t.present());
  if (missingTools.length > 0) fail(problems, [`  still missing after apt-get install: ${missingTools.map((t) => t.what).join(', ')}`]);
  // Package scripts may have started the services already.
  postgres = await pgState();
  redis = await probeRedis();
}

if (postgres.state === 'down') {
  const cluster = pgCluster();
  if (!cluster) fail(problems, ['  no PostgreSQL cluster configuration under /etc/postgresql']);
  if (!existsSync(`/etc/postgresql/${cluster.version}/${cluster.name}`)) run(['pg_createcluster', ...clusterArgs(cluster)]);
  run(pgctl(cluster, 'start'), { mayFail: true }); // "already running" is fine; readiness decides
  const isReady = async () => {
    if (!which('pg_isready')) return (await pgState()).state !== 'down';
    return system(['pg_isready', '-q', '-h', PG.host, '-p', String(PG.port)]).status === 0;
  };
  if (!(await waitFor(isReady, 30))) {
    const name = `${cluster.version}/${cluster.name}`;
    fail(problems, [`  PostgreSQL ${name} did not answer on ${PG.host}:${PG.port} within 30 s (see /var/log/postgresql/)`]);
  }
  done.push(`started PostgreSQL ${cluster.version}/${cluster.name}`);
  postgres = await pgState();
}

if (redis === 'down') {
  const dirs = redisDirs();
  run(redisStart(dirs));
  if (!(await waitFor(async () => (await probeRedis()) === 'ok', 30))) {
    fail(problems, [`  Redis did not answer on ${REDIS.host}:${REDIS.port} within 30 s (see ${dirs.logfile})`]);
  }
  done.push('started Redis');
  redis = await probeRedis();
}

if (postgres.state === 'auth') {
  await allowTestLogin();
  postgres = await pgState();
}

if (postgres.state === 'nodb') {
  if (!(await createDatabaseOverTcp())) {
    run([...createdb()], { as: priv.asPostgres });
    done.push(`created database ${PG.database}`);
  }
  postgres = await pgState();
}

if (!ready()) {
  fail(problems, [`  still not ready: PostgreSQL ${postgres.state}${postgres.message ? ` (${postgres.message})` : ''}, Redis ${redis}`]);
}
log(`${done.join('; ')}; ready (${((performance.now() - started) / 1000).toFixed(1)} s)`);
process.exit(0);

// --- Helpers that change things -------------------------------------------------------------------

/** CREATE DATABASE through the maintenance database, as the tests' own user; false when that is not allowed. */
async function createDatabaseOverTcp() {
  const r = await probePostgres('postgres');
  if (!r.client) return false;
  try {
    await r.client.query(`CREATE DATABASE "${PG.database.replace(/"/g, '""')}"`);
    done.push(`created database ${PG.database}`);
    return true;
  } catch {
    return false;
  } finally {
    await r.client.end().catch(() => {});
  }
}

/** The pg_hba.conf line that lets the tests in: this database, this user, loopback only. */
function hbaLines() {
  const addresses = PG.host === 'localhost' ? ['127.0.0.1/32', '::1/128'] : [PG.host === '::1' ? '::1/128' : '127.0.0.1/32'];
  return [
    `# Added by Hearth's test preflight (scripts/preflight.mjs): the test suite connects to database "${PG.database}" as "${PG.user}" from loopback without a password. Delete these lines to undo.`,
    ...addresses.map((a) => `host    ${PG.database}    ${PG.user}    ${a}    trust`),
  ];
}
function hbaCommand(cluster) {
  const file = `/etc/postgresql/${cluster.version}/${cluster.name}/pg_hba.conf`;
  return `sed -i '1i ${hbaLines().join('\\n').replace(/'/g, `'\\''`)}' ${file} && pg_ctlcluster --skip-systemctl-redirect ${cluster.version} ${cluster.name} reload`;
}

/**
 * Only reached when PostgreSQL refuses the password-less login the tests make (a fresh Debian
 * install asks for a password over TCP): puts one `trust` line for exactly the test database,
 * user and loopback address at the top of pg_hba.conf, then reloads. Any local user can then
 * reach that database as that user; the README says how to undo it.
 */
async function allowTestLogin() {
  const cluster = pgCluster();
  const file = cluster && `/etc/postgresql/${cluster.version}/${cluster.name}/pg_hba.conf`;
  if (!file || !existsSync(file)) {
    fail(problems, [`  no pg_hba.conf for the PostgreSQL cluster on port ${PG.port}; allow "${PG.user}" on ${PG_WHERE} yourself`]);
  }
  const current = priv.root.length === 0 ? readFileSync(file, 'utf8') : stdoutOf(['sudo', 'cat', file]);
  if (!current) fail(problems, [`  cannot read ${file}`]);
  const lines = hbaLines();
  if (!current.includes(lines[1])) {
    log(`PostgreSQL refuses "${PG.user}" without a password; adding to the top of ${file}:\n${lines.map((l) => `    ${l}`).join('\n')}`);
    run(['tee', file], { input: `${lines.join('\n')}\n${current}` });
  }
  run(pgctl(cluster, 'reload'));
  await sleep(1000);
  done.push(`allowed ${PG.user} on ${PG.database} from loopback in ${file}`);
}

function fail(found, advice) {
  const list = found.map((p) => `  - ${p}`).join('\n');
  console.error(`preflight: \`npm test\` needs what this machine does not have:\n${list}\n${advice.join('\n')}`);
  process.exit(1);
}
