import { mkdtemp, readdir, rm, symlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryRepository, createNotesStore, memoryToolProvider, type NotesStore } from '../../src/memory/index.js';
import type { AuditEvent } from '../../src/security/audit/types.js';
import type { ToolContext } from '../../src/tools/types.js';
import { openTestStorage, type TestStorage } from '../support/databases.js';

const READ = ['shared_notes_list', 'shared_notes_read', 'shared_notes_search'];
const WRITE = ['shared_notes_write', 'shared_notes_append'];
const ADMIN = { actor: { type: 'user' as const, id: 'admin' }, source: 'admin' as const };

describe("#21 the familiar's own notes: it reads its shared notes, writes them only when allowed (MEM-1, MEM-3)", () => {
  let t: TestStorage;
  let dir: string;
  let notes: NotesStore;
  const events: AuditEvent[] = [];
  const audit = { record: async (e: AuditEvent) => void events.push(e) };
  const ctx = (userId: string, familiarId = 'f1'): ToolContext => ({
    userId,
    familiarId,
    conversationId: 'c',
    signal: new AbortController().signal,
    audit,
  });
  const toolsOf = async (allowedTools: string[]) => {
    const provider = memoryToolProvider({ repo: createMemoryRepository({ storage: t.storage }), notes });
    const tools = await provider.toolsFor({ id: 'f1', allowedTools });
    return (name: string) => tools.find((x) => x.name === name);
  };

  beforeEach(async () => {
    t = await openTestStorage('sqlite');
    dir = await mkdtemp(join(tmpdir(), 'hearth-shared-notes-'));
    notes = createNotesStore({ root: join(dir, 'notes'), audit, limits: { maxFileBytes: 200 } });
    events.length = 0;
    await notes.write({ familiarId: 'f1', userId: null }, 'lore/castle.md', 'The castle has seven towers.', ADMIN);
    await notes.write({ familiarId: 'f1', userId: 'ann' }, 'ann.md', 'Ann is private.', ADMIN);
    await notes.write({ familiarId: 'f2', userId: null }, 'other.md', 'Another familiar lore.', ADMIN);
  });
  afterEach(async () => {
    await t.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('#21 list, read and search the shared notes from any conversation; never a person folder or another familiar', async () => {
    const tool = await toolsOf(READ);
    for (const who of ['ann', 'ben']) {
      expect(await tool('shared_notes_list')!.run({}, ctx(who))).toMatchObject({
        ok: true,
        content: expect.stringContaining('lore/castle.md'),
      });
      expect(await tool('shared_notes_read')!.run({ path: 'lore/castle.md' }, ctx(who))).toEqual({
        ok: true,
        content: 'The castle has seven towers.',
      });
    }
    const listed = await tool('shared_notes_list')!.run({}, ctx('ann'));
    expect(JSON.stringify(listed)).not.toMatch(/ann\.md|other\.md/);
    const found = await tool('shared_notes_search')!.run({ query: 'private' }, ctx('ann'));
    expect(found).toEqual({ ok: true, content: '[]' });
    expect(await tool('shared_notes_read')!.run({ path: 'other.md' }, ctx('ann'))).toMatchObject({ ok: false, code: 'NOTE_NOT_FOUND' });
  });

  it('#21 without the operator naming the write tools, the familiar cannot change its shared notes', async () => {
    const tool = await toolsOf([...READ, 'notes_write']);
    for (const name of WRITE) expect(tool(name)).toBeUndefined();
    // the person's own notes_write still lands in the person's folder, never the shared one
    expect(await tool('notes_write')!.run({ path: 'lore/castle.md', content: 'overwritten' }, ctx('ann'))).toMatchObject({ ok: true });
    expect(await notes.read({ familiarId: 'f1', userId: null }, 'lore/castle.md')).toBe('The castle has seven towers.');
  });

  it('#21 attack: traversal, absolute, encoded and linked paths are refused in the shared scope, with nothing read or written', async () => {
    const tool = await toolsOf([...READ, ...WRITE]);
    const bad = [
      '../people/ann/ann.md',
      'people/../../f2/shared/other.md',
      '/etc/passwd.md',
      '..%2fpeople%2fann%2fann.md',
      'a\\b.md',
      'x\0.md',
    ];
    for (const path of bad) {
      expect(await tool('shared_notes_read')!.run({ path }, ctx('ben'))).toMatchObject({ ok: false, code: 'NOTE_PATH_REJECTED' });
      expect(await tool('shared_notes_write')!.run({ path, content: 'pwned' }, ctx('ben'))).toMatchObject({
        ok: false,
        code: 'NOTE_PATH_REJECTED',
      });
    }
    // a symbolic link planted inside the shared folder is not followed
    await mkdir(join(dir, 'notes', 'f1', 'shared'), { recursive: true });
    await symlink(join(dir, 'notes', 'f1', 'people', 'ann'), join(dir, 'notes', 'f1', 'shared', 'ann'));
    const viaLink = await tool('shared_notes_read')!.run({ path: 'ann/ann.md' }, ctx('ben'));
    expect(viaLink.ok).toBe(false);
    expect(JSON.stringify(viaLink)).not.toContain('Ann is private');
    expect(await readdir(join(dir, 'notes', 'f1', 'people', 'ann'))).toEqual(['ann.md']);
    expect(await notes.read({ familiarId: 'f1', userId: 'ann' }, 'ann.md')).toBe('Ann is private.');
  });

  it('#21 with the write tools allowed, writes keep the caps and are audited as the model, not as a person note', async () => {
    const tool = await toolsOf([...READ, ...WRITE]);
    expect(await tool('shared_notes_append')!.run({ path: 'lore/castle.md', content: '\nAn eighth was built.' }, ctx('ann'))).toMatchObject(
      {
        ok: true,
      },
    );
    expect(await tool('shared_notes_read')!.run({ path: 'lore/castle.md' }, ctx('ben'))).toMatchObject({
      content: 'The castle has seven towers.\nAn eighth was built.',
    });
    expect(await tool('shared_notes_write')!.run({ path: 'big.md', content: 'x'.repeat(201) }, ctx('ann'))).toMatchObject({
      ok: false,
      code: 'NOTE_TOO_LARGE',
    });
    const write = events.find((e) => e.actor.type === 'model' && e.outcome === 'success');
    expect(write).toMatchObject({ target: 'f1:lore/castle.md', details: { source: 'model', person: false } });
  });
});
