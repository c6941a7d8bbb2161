// `npm run bench -- turn [--json] [--turns N] [--concurrency C]`: chat turns through the real
// turn pipeline (validate, rate limit, screen, load, assemble, stream, sanitize, persist, audit)
// against an instant fake model on loopback. Reports Hearth's own time per turn: the turn's
// wall time minus the time spent waiting on the model stream.
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createHearth } from '../src/app/index.js';
import { createTurnRunner } from '../src/companions/index.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/index.js';
import { modelResolver, type ChatModel } from '../src/providers/index.js';
import { tempDir } from '../test/support/databases.js';
import { startFakeOpenAI } from '../test/fakes/openai-server.js';

function arg(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? Number(argv[i + 1]) : fallback;
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const total = arg(argv, '--turns', 2000);
  const concurrency = arg(argv, '--concurrency', 50);
  const memoryCount = arg(argv, '--memories', 100_000);
  const dataDir = tempDir('hearth-bench-turn-');
  const fake = await startFakeOpenAI({ record: false, fallback: { text: 'A short instant reply from the fake model.' } });
  const config = loadConfig({ HEARTH_DATA_DIR: dataDir, HEARTH_LOG_LEVEL: 'warn', HEARTH_RATE_CHAT_TURNS: String(total * 2) }, { dotenv: false, cwd: dataDir });
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const hearth = await createHearth({ config, logger });
  try {
    const users = await Promise.all(
      Array.from({ length: concurrency }, (_, i) => hearth.identity.createUser({ name: `bench${i}`, password: 'correct horse battery staple 42', role: 'member' })),
    );
    const provider = await hearth.providers.create({ name: 'fake', baseUrl: fake.url, maxRetries: 2, timeoutMs: 300_000 }, { type: 'system' });
    const familiar = await hearth.familiars.create({ slug: 'bench', name: 'Bench', persona: 'You are a benchmark familiar.', providerId: provider.id, model: 'fake' }, { type: 'system' });
    // Memories spread over the bench people, searched by the real retriever on every turn.
    const words = ['tea', 'garden', 'sister', 'wedding', 'guitar', 'hiking', 'Paris', 'cat', 'novel', 'piano', 'coffee', 'birthday', 'work', 'project', 'rain', 'train', 'river', 'dog', 'pasta', 'movie'];
    for (let done = 0; done < memoryCount; ) {
      const batch = Array.from({ length: Math.min(5000, memoryCount - done) }, (_, i) => {
        const n = done + i;
        return {
          userId: users[n % users.length]!.id,
          familiarId: familiar.id,
          provenance: 'person' as const,
          text: `Remember that I like ${words[n % 20]} and ${words[(n * 7) % 20]} since ${1990 + (n % 30)}, note ${n}.`,
        };
      });
      done += await hearth.memory.repo.addMany(batch);
    }
    // Time spent inside the model stream, per turn, so Hearth's own share can be separated.
    const modelMs = new Map<string, number>();
    const resolve = modelResolver(hearth.providers);
    const turns = createTurnRunner({
      familiars: hearth.familiars,
      conversations: hearth.conversations,
      audit: hearth.audit,
      logger,
      rateLimiter: hearth.rateLimiter,
      toolProviders: [],
      memoryRetrievers: memoryCount > 0 ? [hearth.memory.retriever] : [],
      modelFor: async (f) => {
        const inner = await resolve(f);
        const timed: ChatModel = {
          ...inner,
          async *stream(request) {
            const key = /message (-?\d+) about/.exec(request.messages.at(-1)?.content ?? '')?.[1] ?? '';
            let start = performance.now();
            for await (const e of inner.stream(request)) {
              modelMs.set(key, (modelMs.get(key) ?? 0) + performance.now() - start);
              yield e;
              start = performance.now();
            }
            modelMs.set(key, (modelMs.get(key) ?? 0) + performance.now() - start);
          },
        };
        return timed;
      },
    });
    let failed = 0;
    const run = async (n: number) => {
      const user = users[Math.abs(n) % users.length]!;
      const text = `Hello familiar, this is message ${n} about my day.`;
      const start = performance.now();
      try {
        await turns.run({ channel: 'api', userId: user.id, familiarId: familiar.id, conversationKey: `bench:${user.id}`, text });
      } catch {
        failed++;
      }
      const wall = performance.now() - start;
      const model = modelMs.get(String(n)) ?? 0;
      modelMs.delete(String(n));
      return Math.max(0, wall - model);
    };
    for (let i = 0; i < Math.min(100, total); i++) await run(-1 - i); // warm-up
    const own: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) own.push(await run(next++));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    own.sort((a, b) => a - b);
    const result = {
      turnsPerSec: Math.round(total / seconds),
      p50Ms: Math.round(pct(own, 50) * 100) / 100,
      p99Ms: Math.round(pct(own, 99) * 100) / 100,
      concurrency,
      memories: memoryCount,
      turns: total,
      failed,
      database: hearth.storage.dialect,
    };
    if (json) console.log(JSON.stringify(result));
    else {
      console.log(`turn pipeline, ${total} turns, ${concurrency} concurrent, instant fake model, ${result.database}, memories ${result.memories}`);
      console.log('turns/s   p50 own ms   p99 own ms');
      console.log(`${String(result.turnsPerSec).padStart(7)}   ${result.p50Ms.toFixed(2).padStart(10)}   ${result.p99Ms.toFixed(2).padStart(10)}`);
      console.log(`failed turns: ${failed}`);
      console.log('target: p99 < 25 ms at 50 concurrent');
    }
  } finally {
    await hearth.close();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
