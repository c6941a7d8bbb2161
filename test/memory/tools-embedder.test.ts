import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryRepository,
  createNotesStore,
  createOpenAIEmbedder,
  memoryPersonData,
  memoryToolProvider,
} from '../../src/memory/index.js';
import { createPrivacyService } from '../../src/privacy/index.js';
import { createLogger } from '../../src/logging/index.js';
import type { AuditEvent, AuditService } from '../../src/security/audit/types.js';
import type { ToolContext } from '../../src/tools/types.js';
import { openTestStorage, type TestStorage } from '../support/databases.js';

/** A loopback server speaking the OpenAI embeddings wire format. */
function fakeEmbeddings(): Promise<{ server: Server; url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { input: string[]; model: string };
      bodies.push({ ...body, auth: req.headers.authorization, path: req.url });
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          object: 'list',
          model: body.model,
          data: body.input.map((t, index) => ({ object: 'embedding', index, embedding: [t.length, 1, 0] })),
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies })),
  );
}

describe('embedder, memory tools and retention (MEM-2, MEM-3, DATA-5)', () => {
  let t: TestStorage;
  let fake: Awaited<ReturnType<typeof fakeEmbeddings>>;
  const events: AuditEvent[] = [];
  const audit = { record: async (e: AuditEvent) => void events.push(e) };
  const fullAudit: AuditService = {
    ...audit,
    list: async () => [],
    verify: async () => ({ ok: true, entries: 0, fromSeq: 0, headSeq: 0 }),
    prune: async () => 0,
    erasePerson: async () => ({}),
    reassignPerson: async () => ({}),
  };
  beforeAll(async () => {
    t = await openTestStorage('sqlite');
    fake = await fakeEmbeddings();
  });
  afterAll(async () => {
    fake.server.close();
    await t.cleanup();
  });

  it('embeds through the OpenAI SDK against an OpenAI-compatible server; refuses plain http off loopback (LLM-5)', async () => {
    const e = createOpenAIEmbedder({ baseURL: fake.url, apiKey: 'sk-test', model: 'emb' });
    const [a, b] = await e.embed(['abc', 'hello']);
    expect(Array.from(a!)).toEqual([3, 1, 0]);
    expect(Array.from(b!)).toEqual([5, 1, 0]);
    expect(fake.bodies[0]).toMatchObject({ model: 'emb', auth: 'Bearer sk-test', path: '/v1/embeddings' });
    expect(() => createOpenAIEmbedder({ baseURL: 'http://example.com/v1', model: 'x' })).toThrow(/https/);
  });

  it('scopes tools to the turn and returns typed codes the model can back off from (MEM-1, MEM-3)', async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const notes = createNotesStore({ root: join(t.dataDir, 'notes'), audit, limits: { maxFileBytes: 100 } });
    const provider = memoryToolProvider({ repo, notes });
    const tools = await provider.toolsFor({ id: 'f1', allowedTools: ['remember', 'recall', 'forget', 'notes_write', 'notes_read'] });
    expect(tools.map((x) => x.name).sort()).toEqual(['forget', 'notes_read', 'notes_write', 'recall', 'remember']);
    const byName = (n: string) => tools.find((x) => x.name === n)!;
    const ctx = (userId: string): ToolContext => ({
      userId,
      familiarId: 'f1',
      conversationId: 'c',
      signal: new AbortController().signal,
      audit,
    });
    const saved = await byName('remember').run({ text: 'likes green tea' }, ctx('ann'));
    expect(saved.ok).toBe(true);
    const id = (JSON.parse((saved as { content: string }).content) as { id: string }).id;
    expect(await byName('recall').run({ query: 'tea' }, ctx('ann'))).toMatchObject({
      ok: true,
      content: expect.stringContaining('green tea') as string,
    });
    expect(await byName('recall').run({ query: 'tea' }, ctx('ben'))).toEqual({ ok: true, content: '[]' });
    expect(await byName('forget').run({ id }, ctx('ben'))).toMatchObject({ ok: false, code: 'MEMORY_NOT_FOUND' });
    expect((await repo.get('ann', id))?.provenance).toBe('familiar');
    expect(await byName('notes_write').run({ path: '../../x.md', content: 'x' }, ctx('ann'))).toMatchObject({
      ok: false,
      code: 'NOTE_PATH_REJECTED',
    });
    expect(await byName('notes_write').run({ path: 'a.md', content: 'x'.repeat(101) }, ctx('ann'))).toMatchObject({
      ok: false,
      code: 'NOTE_TOO_LARGE',
    });
    expect(await byName('notes_write').run({ path: 'a.md', content: 'x', extra: 1 }, ctx('ann'))).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENTS',
    });
    expect(await byName('notes_write').run({ path: 'a.md', content: 'hi' }, ctx('ann'))).toMatchObject({ ok: true });
    expect(await byName('notes_read').run({ path: 'a.md' }, ctx('ben'))).toMatchObject({ ok: false, code: 'NOTE_NOT_FOUND' });
    expect(events.some((e) => e.action === 'memory.write' && e.actor.type === 'model')).toBe(true);
    expect(await byName('forget').run({ id }, ctx('ann'))).toEqual({ ok: true, content: 'forgotten' });
  });

  it('retention removes old indexed turns only when configured', async () => {
    let now = 1_000_000_000_000;
    const repo = createMemoryRepository({ storage: t.storage, now: () => now });
    await repo.add({ userId: 'r', familiarId: 'f', kind: 'turn', text: 'old turn', provenance: 'person', sourceRef: 'c1:m1' });
    now += 40 * 86_400_000;
    await repo.add({ userId: 'r', familiarId: 'f', kind: 'turn', text: 'new turn', provenance: 'person', sourceRef: 'c2:m1' });
    const notes = createNotesStore({ root: join(t.dataDir, 'notes'), audit });
    const privacy = createPrivacyService({
      storage: t.storage,
      personData: () => [memoryPersonData(repo, notes)],
      audit: fullAudit,
      logger: createLogger({ level: 'silent' }),
      now: () => now,
    });
    await privacy.pruneConversations(30);
    expect((await repo.list({ userId: 'r', kinds: ['turn'] })).map((m) => m.text)).toEqual(['new turn']);
  });
});
