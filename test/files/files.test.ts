import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileExclusive, createTempFile, sweepTempDir, writeFileAtomic } from '../../src/files/index.js';
import { tempDir } from '../support/databases.js';

describe('safe files (DATA-3)', () => {
  it('DATA-3 atomic writes replace the file with mode 0600 and leave no temp behind', () => {
    const dir = tempDir();
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old', { mode: 0o644 });
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(createFileExclusive(join(dir, 'once'), 'a')).toBe(true);
    expect(createFileExclusive(join(dir, 'once'), 'b')).toBe(false);
    expect(readFileSync(join(dir, 'once'), 'utf8')).toBe('a');
  });

  it('DATA-3 SIGKILL in the middle of atomic writes leaves the old or the new file, never a torn one', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.bin');
    writeFileSync(file, Buffer.alloc(4 * 1024 * 1024, 48));
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/files/atomic-writer.ts'), file], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((done) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('first')) done();
        });
      });
      await new Promise((r) => setTimeout(r, 50 + round * 70));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const data = readFileSync(file);
      expect(data.length).toBe(4 * 1024 * 1024);
      const first = data[0]!;
      expect(data.every((b) => b === first)).toBe(true);
    }
  }, 120_000);

  it('DATA-3 temp files are exclusive 0600 in a private 0700 dir, and swept after 24 h', () => {
    const dataDir = tempDir();
    const a = createTempFile(dataDir, '.wav');
    const b = createTempFile(dataDir, '.wav');
    expect(a.path).not.toBe(b.path);
    expect(statSync(a.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'tmp')).mode & 0o777).toBe(0o700);
    expect(() => createTempFile(dataDir, '/../x')).toThrow();
    const old = (Date.now() - 25 * 3600 * 1000) / 1000;
    utimesSync(a.path, old, old);
    expect(sweepTempDir(dataDir)).toBe(1);
    expect(existsSync(a.path)).toBe(false);
    expect(existsSync(b.path)).toBe(true);
    b.remove();
  });
});
