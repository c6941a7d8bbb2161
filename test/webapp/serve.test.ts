import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { IMMUTABLE_CACHE, WEB_APP_CSP } from '../../src/webapp/index.js';
import { DIST, ensureWebBuild } from './support.js';

function assetPaths(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('web app serving (HTTP-1, CH-1)', () => {
  let t: TestHearth;
  beforeAll(async () => {
    await ensureWebBuild();
    t = await startTestHearth({ env: { HEARTH_SERVE_WEB: 'true' } });
  });
  afterAll(async () => t?.close());

  it('HTTP-1: the built index.html has no inline script, inline style or style attribute', () => {
    const html = readFileSync(join(DIST, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/assets\//);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//i);
  });

  it('serves index.html at / and for app paths, with the strict CSP and no caching', async () => {
    for (const url of ['/', '/chat', '/setup', '/memories/deep/path']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('<div id="app"></div>');
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
    }
    expect(WEB_APP_CSP).toContain("style-src 'self'");
  });

  it('serves hashed assets with a long immutable cache and the right type', async () => {
    const index = await t.app.inject({ method: 'GET', url: '/' });
    const assets = assetPaths(index.body);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const a of assets) {
      const res = await t.app.inject({ method: 'GET', url: a });
      expect(res.statusCode, a).toBe(200);
      expect(res.headers['cache-control']).toBe(IMMUTABLE_CACHE);
      expect(res.headers['content-type']).toMatch(a.endsWith('.js') ? /javascript/ : /text\/css/);
    }
  });

  it('never answers API paths with the app: unknown /api and /metrics paths stay JSON 404s, /v1 answers as OpenAI does', async () => {
    for (const url of ['/api/nope', '/api', '/metrics/x', '/api/nope?x=1']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toMatch(/json/);
      expect(res.body).not.toContain('<div id="app">');
      expect(res.json().code).toBe('NOT_FOUND');
    }
    // #15: /v1 is the OpenAI-compatible endpoint's (signed like the rest of it; see test/channels/issue15-joins.test.ts).
    for (const url of ['/v1/nope', '/v1']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.body).not.toContain('<div id="app">');
      expect(res.json().error.code).toBe('invalid_api_key');
    }
  });

  it('refuses path traversal and unknown assets without leaking files', async () => {
    for (const url of [
      '/assets/..%2f..%2fpackage.json',
      '/assets/../../package.json',
      '/assets/%2e%2e/index.html',
      '/assets/nope.js',
      '/assets/.env',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('"dependencies"');
      if (res.statusCode === 200) expect(res.body, url).toContain('<div id="app"></div>');
      else expect(res.statusCode, url).toBe(404);
    }
    const missing = await t.app.inject({ method: 'GET', url: '/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
  });

  it('does not accept writes on app paths', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/chat', payload: {} });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('<div id="app">');
  });
});

describe('HEARTH_SERVE_WEB=false', () => {
  it('serves no web app at all', async () => {
    await ensureWebBuild();
    const t = await startTestHearth({ env: { HEARTH_SERVE_WEB: 'false' } });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('<div id="app">');
    } finally {
      await t.close();
    }
  });
});
