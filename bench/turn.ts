// `npm run bench -- turn [--json] [--turns N] [--concurrency C] [--memories M] [--phases]`
// (`--replicas N` / `--workers N`: several processes, see bench/turn-replicas.ts): chat turns
// through the real turn pipeline (validate, rate limit, screen, load, retrieve, assemble, model
// stream, sanitize, persist, index, audit) against an instant fake model on loopback.
//
// Hearth's own time per turn (p50Ms, p99Ms) is the CPU time the event loop spends on that turn:
// every callback the turn causes is charged to it (bench/cpu-attribution.ts), including the
// openai client reading the model's stream; time spent waiting (for the model, or behind the
// other 49 turns) is not. With an instant model and 50 turns in flight the process is saturated,
// so a turn's wall time is mostly queueing behind the others: that latency is reported apart
// (wallP50Ms, wallP99Ms) and follows from the throughput (turnsPerSec).
//
// Work that serves many turns at once (turn indexing written in batches, timers of the services)
// runs in Hearth's own async context, built under a background task: its CPU is shared evenly by
// the measured turns and added to each one's own time (backgroundMsPerTurn shows the share).
// `--phases` also charges each service call apart and prints CPU per turn for each (the own
// figures then leave those calls out).
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createHearth } from '../src/app/index.js';
import { createTurnRunner } from '../src/companions/index.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/index.js';
import { modelResolver } from '../src/providers/index.js';
import { tempDir } from '../test/support/databases.js';
import { startFakeOpenAI } from '../test/fakes/openai-server.js';
import { arg, ms, pct, seedMemories } from './_turn-world.js';
import { createCpuAttribution } from './cpu-attribution.js';

export async function main(argv: string[]): Promise<void> {
  // Several processes over HTTP on PostgreSQL: bench/turn-replicas.ts.
  if (argv.includes('--replicas') || argv.includes('--workers')) return (await import('./turn-replicas.js')).main(argv);
  const json = argv.includes('--json');
  const total = arg(argv, '--turns', 2000);
  const concurrency = arg(argv, '--concurrency', 50);
  const memoryCount = arg(argv, '--memories', 100_000);
  const dataDir = tempDir('hearth-bench-turn-');
  // One connection per model call: a kept-alive socket would charge its reads to the turn that opened it.
  const fake = await startFakeOpenAI({
    record: false,
    closeConnections: true,
    fallback: { text: 'A short instant reply from the fake model.' },
  });
  const config = loadConfig(
    { HEARTH_DATA_DIR: dataDir, HEARTH_LOG_LEVEL: 'warn', HEARTH_RATE_CHAT_TURNS: String(total * 2) },
    { dotenv: false, cwd: dataDir },
  );
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const cpu = createCpuAttribution();
  const BACKGROUND = Number.MIN_SAFE_INTEGER;
  cpu.enable();
  const hearth = await cpu.run(BACKGROUND, () => createHearth({ config, logger }));
  cpu.disable();
  try {
    const users = await Promise.all(
      Array.from({ length: concurrency }, (_, i) =>
        hearth.identity.createUser({ name: `bench${i}`, password: 'correct horse battery staple 42', role: 'member' }),
      ),
    );
    const provider = await hearth.providers.create(
      { name: 'fake', baseUrl: fake.url, maxRetries: 2, timeoutMs: 300_000 },
      { type: 'system' },
    );
    const familiar = await hearth.familiars.create(
      { slug: 'bench', name: 'Bench', persona: 'You are a benchmark familiar.', providerId: provider.id, model: 'fake' },
      { type: 'system' },
    );
    await seedMemories(hearth.memory.repo, users, familiar.id, memoryCount, 20);
    if (argv.includes('--phases')) {
      cpu.chargeApart(hearth.rateLimiter, 'rateLimiter', ['consume']);
      cpu.chargeApart(hearth.familiars, 'familiars', ['get']);
      cpu.chargeApart(hearth.conversations, 'conversations', ['byKey', 'messages', 'addMessage']);
      cpu.chargeApart(hearth.memory.retriever, 'memory', ['retrieve']);
      cpu.chargeApart(hearth.providers, 'providers', ['model']);
      cpu.chargeApart(hearth.audit, 'audit', ['record']);
    }
    const turns = createTurnRunner({
      familiars: hearth.familiars,
      conversations: hearth.conversations,
      audit: hearth.audit,
      logger,
      toolProviders: [],
      memoryRetrievers: memoryCount > 0 ? [hearth.memory.retriever] : [],
      modelFor: modelResolver(hearth.providers),
    });
    let failed = 0;
    const run = async (n: number) => {
      const user = users[Math.abs(n) % users.length]!;
      const text = `Hello familiar, this is message ${n} about my day.`;
      const start = performance.now();
      try {
        await cpu.run(n, () =>
          turns.run({ channel: 'api', userId: user.id, familiarId: familiar.id, conversationKey: `bench:${user.id}`, text }),
        );
      } catch {
        failed++;
      }
      return { wall: performance.now() - start, own: cpu.take(n) };
    };
    for (let i = 0; i < Math.min(100, total); i++) await run(-1 - i); // warm-up
    const own: number[] = [];
    const wall: number[] = [];
    let next = 0;
    cpu.take(BACKGROUND); // start-up and memory loading are not turns
    cpu.enable();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const r = await run(next++);
          own.push(r.own);
          wall.push(r.wall);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    cpu.disable();
    const background = cpu.take(BACKGROUND) / total;
    const phases = cpu.phases().map((p) => ({ name: p.name, usPerTurn: Math.round((p.ms / total) * 1000) }));
    for (let i = 0; i < own.length; i++) own[i]! += background;
    own.sort((a, b) => a - b);
    wall.sort((a, b) => a - b);
    const result = {
      turnsPerSec: Math.round(total / seconds),
      p50Ms: ms(pct(own, 50)),
      p99Ms: ms(pct(own, 99)),
      wallP50Ms: ms(pct(wall, 50)),
      wallP99Ms: ms(pct(wall, 99)),
      backgroundMsPerTurn: ms(background),
      ...(phases.length ? { phases } : {}),
      concurrency,
      memories: memoryCount,
      turns: total,
      failed,
      database: hearth.storage.dialect,
    };
    if (json) console.log(JSON.stringify(result));
    else {
      console.log(
        `turn pipeline, ${total} turns, ${concurrency} concurrent, instant fake model, ${result.database}, memories ${result.memories}`,
      );
      console.log('| figure | p50 | p99 |\n|---|---|---|');
      console.log(
        `| Hearth's own time per turn (CPU charged to the turn, background share included) | ${result.p50Ms} ms | ${result.p99Ms} ms |`,
      );
      console.log(`| wall time per turn, queueing behind the other turns included | ${result.wallP50Ms} ms | ${result.wallP99Ms} ms |`);
      if (phases.length) {
        console.log('\n| service call, charged apart | µs per turn |\n|---|---|');
        for (const p of phases) console.log(`| ${p.name} | ${p.usPerTurn} |`);
        console.log(
          `| everything else of the turn (model call, screen, prompt, tool loop): the own time above, less the background share | |`,
        );
      }
      console.log(
        `throughput: ${result.turnsPerSec} turns/s; background work shared per turn: ${result.backgroundMsPerTurn} ms; failed turns: ${failed}; target: own p99 < 25 ms at 50 concurrent`,
      );
    }
  } finally {
    await hearth.close();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
