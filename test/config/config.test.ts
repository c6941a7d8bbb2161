import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, VARIABLE_NAMES, configTable, envExample, loadConfig, readmeConfigBlock } from '../../src/config/index.js';

const KEY = 'a3f1c2e4b5d6978812345678abcdef0123456789fedcba9876543210aabbccdd';
const dir = () => mkdtempSync(join(tmpdir(), 'hearth-config-'));

function issuesOf(fn: () => unknown): Array<{ name: string; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration (CFG-1..4)', () => {
  it('runs with nothing configured: development, loopback, port 8787, ./data', () => {
    const cwd = dir();
    const c = loadConfig({}, { cwd });
    expect(c.HEARTH_ENV).toBe('development');
    expect(c.HEARTH_HOST).toBe('127.0.0.1');
    expect(c.HEARTH_PORT).toBe(8787);
    expect(c.dataDir).toBe(join(cwd, 'data'));
    expect(c.masterKey).toBeUndefined();
  });

  it('lists every problem at once, by name, never by value', () => {
    const secretish = 'not-a-port-SECRET-VALUE-123';
    const issues = issuesOf(() =>
      loadConfig(
        {
          HEARTH_PORT: secretish,
          HEARTH_ENV: 'staging-SECRET',
          HEARTH_DATABASE_URL: 'mysql://u:pw-SECRET@h/db',
          HEARTH_MASTER_KEY: 'short-SECRET',
        },
        { cwd: dir() },
      ),
    );
    expect(issues.map((i) => i.name).sort()).toEqual(['HEARTH_DATABASE_URL', 'HEARTH_ENV', 'HEARTH_MASTER_KEY', 'HEARTH_PORT']);
    expect(JSON.stringify(issues)).not.toContain('SECRET');
  });

  it('refuses weak or short master keys and accepts hex and base64', () => {
    for (const weak of ['0'.repeat(64), 'ab'.repeat(32), 'password123', Buffer.alloc(32, 7).toString('base64')]) {
      expect(issuesOf(() => loadConfig({ HEARTH_MASTER_KEY: weak }, { cwd: dir() })).map((i) => i.name)).toEqual(['HEARTH_MASTER_KEY']);
    }
    expect(loadConfig({ HEARTH_MASTER_KEY: KEY }, { cwd: dir() }).masterKey?.length).toBe(32);
    const b64 = Buffer.from(KEY, 'hex').toString('base64');
    expect(loadConfig({ HEARTH_MASTER_KEY: b64 }, { cwd: dir() }).masterKey?.toString('hex')).toBe(KEY);
  });

  it('reads NAME_FILE secrets and .env, with the environment taking precedence', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'key.txt'), `${KEY}\n`);
    writeFileSync(join(cwd, '.env'), 'HEARTH_PORT=9999\nHEARTH_LOG_LEVEL=warn\n');
    const c = loadConfig({ HEARTH_MASTER_KEY_FILE: 'key.txt', HEARTH_LOG_LEVEL: 'error' }, { cwd });
    expect(c.masterKey?.toString('hex')).toBe(KEY);
    expect(c.HEARTH_PORT).toBe(9999);
    expect(c.HEARTH_LOG_LEVEL).toBe('error');
    expect(issuesOf(() => loadConfig({ HEARTH_MASTER_KEY: KEY, HEARTH_MASTER_KEY_FILE: 'key.txt' }, { cwd })).map((i) => i.name)).toEqual([
      'HEARTH_MASTER_KEY',
    ]);
    expect(issuesOf(() => loadConfig({ HEARTH_SERVICE_KEY_FILE: 'missing.txt' }, { cwd })).map((i) => i.name)).toEqual([
      'HEARTH_SERVICE_KEY_FILE',
    ]);
  });

  it('production refuses a missing master key, CORS *, and non-loopback without TLS or proxy (CFG-3)', () => {
    const cwd = dir();
    expect(issuesOf(() => loadConfig({ HEARTH_ENV: 'production' }, { cwd })).map((i) => i.name)).toContain('HEARTH_MASTER_KEY');
    const prod = { HEARTH_ENV: 'production', HEARTH_MASTER_KEY: KEY };
    expect(loadConfig(prod, { cwd }).isProduction).toBe(true);
    expect(issuesOf(() => loadConfig({ ...prod, HEARTH_ALLOWED_ORIGINS: 'https://a.example,*' }, { cwd })).map((i) => i.name)).toEqual([
      'HEARTH_ALLOWED_ORIGINS',
    ]);
    expect(issuesOf(() => loadConfig({ ...prod, HEARTH_HOST: '0.0.0.0' }, { cwd })).map((i) => i.name)).toEqual(['HEARTH_HOST']);
    expect(loadConfig({ ...prod, HEARTH_HOST: '0.0.0.0', HEARTH_TRUSTED_PROXIES: '10.0.0.1' }, { cwd }).HEARTH_HOST).toBe('0.0.0.0');
  });

  it('keeps the README table and .env.example in step with the schema', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readmeConfigBlock(readme)).toBe(configTable());
    expect(readFileSync('.env.example', 'utf8')).toBe(envExample());
    for (const name of VARIABLE_NAMES) expect(readFileSync('.env.example', 'utf8')).toMatch(new RegExp(`^${name}=$`, 'm'));
  });

  it('.env.example holds names only, never values', () => {
    for (const line of readFileSync('.env.example', 'utf8').split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      expect(line).toMatch(/^[A-Z0-9_]+=$/);
    }
  });
});
