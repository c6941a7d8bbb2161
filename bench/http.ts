// `npm run bench -- http [--seconds 3] [--rounds 3] [--connections 10] [--json]`: the same Fastify server serving
// a bare public route and an API-key-authenticated, rate-limited (budget set high), headered read
// route; requests/s and p99 of each, their ratio (target >= 0.8), and the median login time.
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { createHearth, HEARTH_PLUGINS } from '../src/app/index.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/index.js';
import { definePlugin } from '../src/core/index.js';
import { policy, requirePrincipal } from '../src/server/index.js';
import { tempDir } from '../test/support/databases.js';

function flag(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

async function load(url: string, seconds: number, connections: number, headers: Record<string, string> = {}) {
  const result = await autocannon({ url, duration: seconds, connections, headers });
  if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} non-2xx responses`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

export async function main(argv: string[]): Promise<void> {
  const seconds = flag(argv, '--seconds', 3);
  const connections = flag(argv, '--connections', 10);
  const dataDir = tempDir('hearth-bench-http-');
  const big = '100000000';
  const config = loadConfig(
    {
      HEARTH_DATA_DIR: dataDir,
      HEARTH_LOG_LEVEL: 'silent',
      HEARTH_SERVE_WEB: 'false',
      HEARTH_RATE_USER_READS: big,
      HEARTH_RATE_ANON_WRITES: big,
      HEARTH_RATE_ANON_PROBES: big,
    },
    { dotenv: false, cwd: dataDir },
  );
  const logger = createLogger({ level: 'silent' });
  // Hearth as it runs, plus one plugin with a bare and a secured route side by side.
  const benchRoutes = definePlugin({
    name: 'bench',
    init: () => ({
      routes: [
        (a) => {
          a.get('/bench/bare', { config: { policy: policy.public('benchmark') } }, async () => ({ ok: true }));
          a.get('/api/bench/secured', { config: { policy: policy.member('read') } }, async (request) => ({
            ok: true,
            user: requirePrincipal(request).userId,
          }));
        },
      ],
    }),
  });
  const hearth = await createHearth({ config, logger, plugins: [...HEARTH_PLUGINS, benchRoutes] });
  const app = await hearth.createServer();
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const password = 'quiet river lantern 2026';
    const user = await hearth.identity.createUser({ name: 'bench', password, role: 'member' });
    const { key } = await hearth.identity.createApiKey({ userId: user.id, scopes: ['read'] });
    await load(`${base}/bench/bare`, 1, connections); // warm-up
    // Interleaved rounds, so that load from other processes affects both routes alike; medians reported.
    const rounds = flag(argv, '--rounds', 3);
    const bares: Array<{ rps: number; p99: number }> = [];
    const secureds: Array<{ rps: number; p99: number }> = [];
    for (let r = 0; r < rounds; r++) {
      bares.push(await load(`${base}/bench/bare`, seconds, connections));
      secureds.push(await load(`${base}/api/bench/secured`, seconds, connections, { 'x-api-key': key }));
    }
    const mid = <T>(xs: T[], by: (x: T) => number) => [...xs].sort((a, b) => by(a) - by(b))[Math.floor(xs.length / 2)]!;
    const bare = mid(bares, (x) => x.rps);
    const secured = mid(secureds, (x) => x.rps);
    const logins: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      const res = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bench', password }),
      });
      if (!res.ok) throw new Error(`login failed: ${res.status}`);
      logins.push(performance.now() - started);
    }
    logins.sort((a, b) => a - b);
    const figures = {
      bareRps: Math.round(bare.rps),
      securedRps: Math.round(secured.rps),
      ratio: Math.round((secured.rps / bare.rps) * 100) / 100,
      securedP99Ms: secured.p99,
      loginMedianMs: Math.round(logins[Math.floor(logins.length / 2)]! * 10) / 10,
    };
    if (argv.includes('--json')) console.log(JSON.stringify(figures));
    else {
      console.log(`http benchmark (${rounds} interleaved rounds of ${seconds}s per route, ${connections} connections; medians)`);
      console.log('figure           value');
      for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(16)} ${v}`);
    }
  } finally {
    await app.close();
    await hearth.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
