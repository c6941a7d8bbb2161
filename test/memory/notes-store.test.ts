import { linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/security/audit/types.js';
import { createNotesStore, isNoteError, type NotesStore } from '../../src/memory/notes/index.js';
import { tempDir } from '../support/databases.js';

const payloads = readFileSync(new URL('../../../shared/data/traversal/directory_traversal.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
const variants = payloads.flatMap((p) => [p, encodeURIComponent(p), encodeURIComponent(encodeURIComponent(p)), `${p}.md`, `notes/${p}`]);
const by = { actor: { type: 'system' } as const, source: 'admin' as const };
const scope = { familiarId: 'fam1', userId: 'alice' };

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isNoteError(e)) return e.code;
    throw e;
  }
  return 'OK';
}

describe('notes store (MEM-1)', () => {
  let dir: string;
  let outside: string;
  let store: NotesStore;
  let events: AuditEvent[];
  beforeEach(() => {
    dir = tempDir();
    outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.md'), 'TOP SECRET');
    events = [];
    store = createNotesStore({
      root: join(dir, 'notes'),
      audit: { record: async (e) => void events.push(e) },
      limits: { maxFileBytes: 1024, maxResults: 5, maxFilesPerDir: 4 },
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes, appends, reads, lists, searches and deletes; every write audited', async () => {
    await store.write(scope, 'a.md', 'hello world\n', by);
    await store.append(scope, 'a.md', 'second line\n', by);
    await store.write(scope, 'sub/b.md', 'World peace', by);
    expect(await store.read(scope, 'a.md')).toBe('hello world\nsecond line\n');
    expect((await store.list(scope)).map((e) => e.path)).toEqual(['a.md', 'sub/b.md']);
    expect(await store.search(scope, 'world')).toHaveLength(2);
    await store.delete(scope, 'a.md', by);
    expect(await code(store.read(scope, 'a.md'))).toBe('NOTE_NOT_FOUND');
    expect(events.map((e) => e.action)).toEqual(['note.write', 'note.append', 'note.write', 'note.delete']);
    expect(events[0]!.details).toMatchObject({ length: 12, source: 'admin' });
    expect(statSync(join(dir, 'notes/fam1/people/alice/sub/b.md')).mode & 0o777).toBe(0o600);
  });

  it(`refuses all ${variants.length} traversal payloads (raw, URL-encoded, double-encoded) with NOTE_PATH_REJECTED`, async () => {
    for (const p of variants) {
      for (const op of [
        store.read(scope, p),
        store.write(scope, p, 'x', by),
        store.append(scope, p, 'x', by),
        store.delete(scope, p, by),
      ]) {
        expect([p, await code(op)]).toEqual([p, 'NOTE_PATH_REJECTED']);
      }
      expect(await code(store.list(scope, p))).not.toBe('OK');
    }
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('TOP SECRET');
    expect(readdirSync(outside)).toEqual(['secret.md']);
    expect(events.every((e) => e.outcome === 'denied')).toBe(true);
  });

  it('rejects NUL, over-long names, absolute paths and bad familiar ids', async () => {
    for (const p of [
      'a\0.md',
      `${'x'.repeat(256)}.md`,
      `${'ab/'.repeat(400)}x.md`,
      '/etc/passwd.md',
      'C:/x.md',
      '.hidden.md',
      'a/./b.md',
      'notes.txt',
    ]) {
      expect(await code(store.write(scope, p, 'x', by))).toBe('NOTE_PATH_REJECTED');
    }
    expect(await code(store.read({ familiarId: '../x', userId: null }, 'a.md'))).toBe('NOTE_PATH_REJECTED');
    expect(await code(store.read({ familiarId: 'f', userId: '../../outside' }, 'a.md'))).toBe('NOTE_PATH_REJECTED');
  });

  it('never follows planted symlinks or hard links out of the root', async () => {
    await store.write(scope, 'ok.md', 'fine', by);
    const base = join(dir, 'notes/fam1/people/alice');
    symlinkSync(join(outside, 'secret.md'), join(base, 'link.md'));
    symlinkSync(outside, join(base, 'dirlink'));
    linkSync(join(outside, 'secret.md'), join(base, 'hard.md'));
    expect(await code(store.read(scope, 'link.md'))).toBe('NOTE_LINK_REJECTED');
    expect(await code(store.read(scope, 'hard.md'))).toBe('NOTE_LINK_REJECTED');
    expect(await code(store.read(scope, 'dirlink/secret.md'))).toBe('NOTE_LINK_REJECTED');
    expect(await code(store.write(scope, 'link.md', 'pwned', by))).toBe('NOTE_LINK_REJECTED');
    expect(await code(store.write(scope, 'hard.md', 'pwned', by))).toBe('NOTE_LINK_REJECTED');
    expect(await code(store.append(scope, 'link.md', 'pwned', by))).toBe('NOTE_LINK_REJECTED');
    expect(await code(store.append(scope, 'hard.md', 'pwned', by))).toBe('NOTE_LINK_REJECTED');
    expect(await code(store.write(scope, 'dirlink/new.md', 'pwned', by))).toBe('NOTE_LINK_REJECTED');
    expect(await code(store.delete(scope, 'link.md', by))).toBe('NOTE_LINK_REJECTED');
    expect(await code(store.list(scope, 'dirlink'))).toBe('NOTE_LINK_REJECTED');
    expect((await store.list(scope)).map((e) => e.path)).toEqual(['ok.md']);
    expect(await store.search(scope, 'SECRET')).toEqual([]);
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('TOP SECRET');
    expect(readdirSync(outside)).toEqual(['secret.md']);
    // A symlinked scope root is refused too.
    mkdirSync(join(dir, 'notes/fam2/people'), { recursive: true });
    symlinkSync(outside, join(dir, 'notes/fam2/people/bob'));
    expect(await code(store.read({ familiarId: 'fam2', userId: 'bob' }, 'secret.md'))).toBe('NOTE_LINK_REJECTED');
    expect(await store.erasePerson('bob')).toBe(1);
    expect(readdirSync(outside)).toEqual(['secret.md']);
  });

  it('enforces size, result and folder caps with codes', async () => {
    expect(await code(store.write(scope, 'big.md', 'x'.repeat(1025), by))).toBe('NOTE_TOO_LARGE');
    await store.write(scope, 'edge.md', 'x'.repeat(1000), by);
    expect(await code(store.append(scope, 'edge.md', 'y'.repeat(25), by))).toBe('NOTE_TOO_LARGE');
    expect((await store.read(scope, 'edge.md')).length).toBe(1000);
    for (const n of [1, 2, 3]) await store.write(scope, `n${n}.md`, 'match\nmatch', by);
    expect(await code(store.write(scope, 'n4.md', 'x', by))).toBe('NOTE_DIRECTORY_FULL');
    await store.write(scope, 'n1.md', 'overwrite is fine', by);
    expect(await code(store.search(scope, 'match'))).toBe('OK');
    await store.write(scope, 'n1.md', 'match\nmatch', by);
    expect(await code(store.search(scope, 'match'))).toBe('NOTE_TOO_MANY_RESULTS');
  });

  it('keeps people apart and erases a person', async () => {
    await store.write(scope, 'a.md', 'alice secret', by);
    expect(await code(store.read({ familiarId: 'fam1', userId: 'bob' }, 'a.md'))).toBe('NOTE_NOT_FOUND');
    expect(await store.list({ familiarId: 'fam1', userId: 'bob' })).toEqual([]);
    expect(await store.erasePerson('alice')).toBe(1);
    expect(await code(store.read(scope, 'a.md'))).toBe('NOTE_NOT_FOUND');
  });
});
