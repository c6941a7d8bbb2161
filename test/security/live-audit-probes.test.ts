import { describe, expect, it } from 'vitest';
import {
  createProbeSession,
  formatText,
  type LiveAuditReport,
  type ProbeRequest,
  type ProbeResponse,
  type Transport,
} from '../../src/security/probes/index.js';
import { scanLeaks } from '../../src/security/probes/leaks.js';

const base = new URL('http://127.0.0.1:1');
const answer = (status: number, headers: Record<string, string> = {}, body = ''): ProbeResponse => ({ status, headers, body });

describe('#23 the probe session and evidence (CFG-5)', () => {
  it('#23.20 quick mode stops a kind of request at its first 429; thorough mode waits Retry-After and retries', async () => {
    let limitedLeft = 2;
    const sent: string[] = [];
    const transport: Transport = async (req) => {
      sent.push(`${req.method} ${req.path}`);
      if (req.method === 'GET' && limitedLeft-- > 0) return answer(429, { 'retry-after': '2' });
      return answer(200);
    };
    const quick = createProbeSession({ base, transport });
    expect(await quick.send({ method: 'GET', path: '/a' })).toBeUndefined();
    expect(await quick.send({ method: 'GET', path: '/b' })).toBeUndefined();
    expect((await quick.send({ method: 'POST', path: '/c' }))?.status).toBe(200);
    expect(sent).toEqual(['GET /a', 'POST /c']);

    limitedLeft = 2;
    sent.length = 0;
    const waits: number[] = [];
    const thorough = createProbeSession({ base, transport, thorough: true, sleep: async (ms) => void waits.push(ms) });
    expect((await thorough.send({ method: 'GET', path: '/a' }))?.status).toBe(200);
    expect(sent).toEqual(['GET /a', 'GET /a', 'GET /a']);
    expect(waits).toEqual([2250, 2250]);
    expect(thorough.waitedMs).toBe(4500);
  });

  it('#23.21 evidence masks every credential and keeps what proves the finding', () => {
    const session = createProbeSession({ base, transport: async () => answer(200) });
    const key = 'hth_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghi';
    const req: ProbeRequest = {
      method: 'POST',
      path: `/api/keys?api_key=${key}`,
      headers: {
        'x-api-key': key,
        authorization: `Bearer ${key}`,
        cookie: '__Host-hearth=s3cr3t-session; theme=dark',
        'hearth-signature': 't=1,v1=abc',
      },
      body: JSON.stringify({ name: 'ivy', password: 'correct horse battery staple 42' }),
    };
    const res = answer(200, { 'set-cookie': '__Host-hearth=s3cr3t-session; Path=/; HttpOnly; SameSite=Strict' }, `{"token":"tok-s3cr3t"}`);
    const e = session.evidence(req, res);
    const all = `${e.request}\n${e.response}`;
    for (const secret of [key, 's3cr3t-session', 'correct horse', 'tok-s3cr3t', 'v1=abc']) expect(all).not.toContain(secret);
    expect(e.response).toContain('set-cookie: __Host-hearth=••••; Path=/; HttpOnly; SameSite=Strict');
    expect(e.request).toMatch(/^POST \/api\/keys\?api_key=/);
    expect(e.request).toContain('cookie: __Host-hearth=••••; theme=••••');
  });

  it('#23.22 the leak scan finds server paths and version banners, and leaves Hearth’s own errors alone (HTTP-5)', () => {
    const session = createProbeSession({ base, transport: async () => answer(200) });
    const hearthError = '{"error":"Invalid body.name","code":"VALIDATION_FAILED","requestId":"1f0","fields":["body.name"]}';
    session.exchanges.push(
      { request: { method: 'GET', path: '/api/a' }, response: answer(400, {}, hearthError) },
      {
        request: { method: 'GET', path: '/api/b' },
        response: answer(404, {}, '{"error":"ENOENT: no such file, open \'/home/hearth/app/data/x.json\'"}'),
      },
      { request: { method: 'GET', path: '/api/c' }, response: answer(200, { server: 'nginx/1.25.3' }, '{}') },
    );
    scanLeaks(session);
    expect(session.findings().map((f) => `${f.id} ${f.message}`)).toEqual([
      'errors.internal-path an error answer to GET /api/b names a server path (/home/hearth/app/data/x.json)',
      'errors.version-banner GET /api/c names its software: server: nginx/1.25.3',
    ]);
  });

  it('#23.23 nothing the audited server sends can steer the terminal: control characters never reach the report', () => {
    const report: LiveAuditReport = {
      target: 'http://127.0.0.1:1/',
      startedAt: new Date(0).toISOString(),
      durationMs: 1,
      mode: 'safe',
      thorough: false,
      requests: 1,
      routes: 0,
      notReached: [],
      findings: [
        {
          id: 'errors.version-banner',
          severity: 'low',
          subject: 'server',
          message: 'GET / names its software: server: evil/1.0\u001b[2J\u001b]0;owned\u0007\r',
          fix: 'x',
          evidence: [{ request: 'GET / HTTP/1.1', response: 'HTTP/1.1 200\nserver: evil/1.0\u001b[31m' }],
        },
      ],
    };
    const text = formatText(report);
    expect(text).toContain('evil/1.0[2J]0;owned');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
