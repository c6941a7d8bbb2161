import { linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/security/audit/types.js';
import { createNotesStore, isNoteError, type NotesStore } from '../../src/memory/notes/index.js';
import { corpusLines, needsCorpus } from '../support/corpora.js';
import { tempDir } from '../support/databases.js';

const payloads = corpusLines('traversal/directory_traversal.txt') ?? [];
const variants = payloads.flatMap((p) => [p, encodeURIComponent(p), encodeURIComponent(encodeURIComponent(p)), `${p}.md`, `notes/${p}`]);

/**
 * Traversal paths without the corpus: `..` written raw, percent-encoded (single, double,
 * overlong UTF-8, %u), as look-alike dots or padded, joined by any separator (slash, backslash,
 * encoded), climbing 1–8 levels towards the planted `outside/secret.md` or system files, behind
 * optional prefixes, with optional suffixes, then optionally URL-encoded once or twice more.
 */
const dotDot = fc.constantFrom(
  '..',
  '..',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e.',
  '%252e%252e',
  '%c0%ae%c0%ae',
  '%uff0e%uff0e',
  '\uff0e\uff0e',
  '\u2024\u2024',
  '....',
  '...',
  '..;',
  '.. ',
  ' ..',
  '..\u0000',
  '..%00',
);
const separator = fc.constantFrom('/', '/', '\\', '%2f', '%2F', '%5c', '%252f', '%c0%af', '//', '/./', '\\\\', '\u2215', '\uff0f');
const target = fc.constantFrom('outside/secret.md', 'secret.md', 'etc/passwd', 'etc/passwd.md', 'windows/win.ini', 'boot.ini', '');
const traversalPath: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', '', 'notes/', 'a/b/', 'sub/', '/', './', 'C:', 'C:\\', '~/', 'file:///', '\\\\server\\share\\'),
    fc.array(fc.tuple(dotDot, separator), { minLength: 1, maxLength: 8 }),
    target,
    fc.constantFrom('', '', '.md', '%00.md', '\u0000.md', '?.md', '#.md', '/.md', ';.md'),
    fc.constantFrom<(s: string) => string>(
      (s) => s,
      (s) => s,
      encodeURIComponent,
      (s) => encodeURIComponent(encodeURIComponent(s)),
      encodeURI,
    ),
  )
  .map(([prefix, climb, to, suffix, encode]) => encode(`${prefix}${climb.map(([d, sep]) => d + sep).join('')}${to}${suffix}`));

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

  describe('over the public traversal corpus', needsCorpus('traversal/directory_traversal.txt'), () => {
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
  });

  it('refuses generated traversal paths (dot-dot in any encoding, any separator, any depth, prefix and suffix) with NOTE_PATH_REJECTED', async () => {
    await fc.assert(
      fc.asyncProperty(traversalPath, async (p) => {
        for (const op of [
          store.read(scope, p),
          store.write(scope, p, 'x', by),
          store.append(scope, p, 'x', by),
          store.delete(scope, p, by),
        ]) {
          expect([p, await code(op)]).toEqual([p, 'NOTE_PATH_REJECTED']);
        }
        expect(await code(store.list(scope, p))).not.toBe('OK');
      }),
      { numRuns: 1000 },
    );
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('TOP SECRET');
    expect(readdirSync(outside)).toEqual(['secret.md']);
    expect(events.length).toBeGreaterThan(0);
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
