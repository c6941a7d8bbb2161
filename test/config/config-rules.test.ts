import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const KEY = 'a3f1c2e4b5d6978812345678abcdef0123456789fedcba9876543210aabbccdd';
const PROD = { HEARTH_ENV: 'production', HEARTH_MASTER_KEY: KEY };
const JWT = {
  HEARTH_JWT_ISSUER: 'https://project.supabase.co/auth/v1',
  HEARTH_JWT_AUDIENCE: 'authenticated',
  HEARTH_JWT_JWKS_URL: 'https://project.supabase.co/auth/v1/.well-known/jwks.json',
};
const dir = () => mkdtempSync(join(tmpdir(), 'hearth-config-rules-'));

function issuesOf(env: Record<string, string>): Array<{ name: string; message: string }> {
  try {
    loadConfig(env, { cwd: dir(), dotenv: false });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}
const names = (env: Record<string, string>) => issuesOf(env).map((i) => i.name);

describe('configuration rules checked at start-up (issue #15: CFG-2, CFG-3, AUTH-6)', () => {
  it('#15.6 production refuses an http:// JWKS URL and an http:// HEARTH_PUBLIC_URL, naming the variable', () => {
    expect(names({ ...PROD, ...JWT, HEARTH_JWT_JWKS_URL: 'http://idp.example/.well-known/jwks.json' })).toEqual(['HEARTH_JWT_JWKS_URL']);
    expect(names({ ...PROD, HEARTH_PUBLIC_URL: 'http://hearth.example' })).toEqual(['HEARTH_PUBLIC_URL']);
    // https passes; development keeps allowing http (a JWKS served on loopback in tests).
    expect(names({ ...PROD, ...JWT, HEARTH_PUBLIC_URL: 'https://hearth.example' })).toEqual([]);
    expect(names({ ...JWT, HEARTH_JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json', HEARTH_PUBLIC_URL: 'http://localhost:8787' })).toEqual([]);
  });

  it('#15.7 production refuses catch-all HEARTH_TRUSTED_PROXIES (prefix 0, or ranges that together cover every address)', () => {
    const withHost = { ...PROD, HEARTH_HOST: '0.0.0.0' };
    for (const catchAll of ['0.0.0.0/0', '::/0', '10.0.0.1,0.0.0.0/0', '0.0.0.0/1,128.0.0.0/1', '::ffff:0:0/96', '::/1', '0.0.0.0/0.0.0.0'])
      expect(names({ ...withHost, HEARTH_TRUSTED_PROXIES: catchAll }), catchAll).toEqual(['HEARTH_TRUSTED_PROXIES']);
    for (const fine of ['10.0.0.1', '10.0.0.0/8,192.168.0.0/16', 'loopback,uniquelocal', '2001:db8::/32', '0.0.0.0/1'])
      expect(names({ ...withHost, HEARTH_TRUSTED_PROXIES: fine }), fine).toEqual([]);
    // Any mode: an entry that is no address, range or proxy-addr name is a configuration error, not a crash at listen.
    expect(names({ HEARTH_TRUSTED_PROXIES: '10.0.0.1,banana' })).toEqual(['HEARTH_TRUSTED_PROXIES']);
    expect(names({ HEARTH_TRUSTED_PROXIES: '10.0.0.0/33' })).toEqual(['HEARTH_TRUSTED_PROXIES']);
    expect(JSON.stringify(issuesOf({ HEARTH_TRUSTED_PROXIES: 'banana-VALUE' }))).not.toContain('banana-VALUE');
  });

  it('#15.8 a half-configured JWT setup is a configuration error naming what is missing', () => {
    const { HEARTH_JWT_ISSUER, HEARTH_JWT_AUDIENCE, HEARTH_JWT_JWKS_URL } = JWT;
    expect(names({ HEARTH_JWT_ISSUER })).toEqual(['HEARTH_JWT_AUDIENCE', 'HEARTH_JWT_JWKS_URL']);
    expect(names({ HEARTH_JWT_AUDIENCE })).toEqual(['HEARTH_JWT_ISSUER', 'HEARTH_JWT_JWKS_URL']);
    expect(names({ HEARTH_JWT_JWKS_URL })).toEqual(['HEARTH_JWT_ISSUER', 'HEARTH_JWT_AUDIENCE']);
    expect(names({ HEARTH_JWT_ISSUER, HEARTH_JWT_AUDIENCE })).toEqual(['HEARTH_JWT_JWKS_URL']);
    expect(names({ ...JWT, HEARTH_JWT_ALGORITHMS: 'HS256,none' })).toEqual(['HEARTH_JWT_ALGORITHMS']);
    expect(names(JWT)).toEqual([]);
    expect(names({})).toEqual([]);
  });

  it('#15.8 CFG-2: later checks (embeddings URL, JWT settings, production rules) are listed with schema errors, at once', () => {
    const issues = issuesOf({
      ...PROD,
      HEARTH_PORT: 'eighty', // a schema error
      HEARTH_EMBEDDINGS_URL: 'http://embeddings.example/v1', // plain http beyond loopback
      HEARTH_JWT_ISSUER: JWT.HEARTH_JWT_ISSUER, // without audience and JWKS
      HEARTH_ALLOWED_ORIGINS: '*', // a production rule
      HEARTH_TRUSTED_PROXIES: '0.0.0.0/0', // a production rule
    });
    expect(issues.map((i) => i.name).sort()).toEqual(
      [
        'HEARTH_ALLOWED_ORIGINS',
        'HEARTH_EMBEDDINGS_URL',
        'HEARTH_JWT_AUDIENCE',
        'HEARTH_JWT_JWKS_URL',
        'HEARTH_PORT',
        'HEARTH_TRUSTED_PROXIES',
      ].sort(),
    );
    expect(names({ HEARTH_EMBEDDINGS_URL: 'http://127.0.0.1:11434/v1' })).toEqual([]);
    expect(names({ HEARTH_EMBEDDINGS_URL: 'https://api.openai.com/v1' })).toEqual([]);
  });
});
