import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine, resolveLogFormat } from '../../src/logging/index.js';
import { prettyDestination } from '../../src/logging/pretty.js';
import { createServer } from '../../src/server/index.js';
import { FAKE_SECRETS, tokenOf } from '../support/fake-secrets.js';
import { LogCapture } from '../support/hearth.js';

const SECRETS = FAKE_SECRETS;

function pretty(options: { color?: boolean } = {}) {
  const out = new LogCapture();
  return { out, logger: createLogger({ level: 'trace', format: 'pretty', destination: out, ...options }) };
}

/** Runs the same log calls through a JSON and a pretty logger. */
function both(calls: (logger: ReturnType<typeof createLogger>) => void) {
  const json = new LogCapture();
  const p = pretty();
  calls(createLogger({ level: 'trace', destination: json }));
  calls(p.logger);
  return { json: json.text, pretty: p.out.text, lines: p.out.lines };
}

describe('log format selection (HEARTH_LOG_FORMAT)', () => {
  it('auto is pretty on a terminal and JSON otherwise; pretty and json override either way', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat(undefined, true)).toBe('pretty');
    expect(resolveLogFormat(undefined, false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('json', false)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
    expect(resolveLogFormat('pretty', true)).toBe('pretty');
  });

  it('the default logger output is JSON lines', () => {
    const out = new LogCapture();
    createLogger({ destination: out }).info({ familiar: 'Ember' }, 'hello');
    expect(out.records()[0]).toMatchObject({ msg: 'hello', familiar: 'Ember', level: 30 });
  });
});

describe('pretty output (LOG-1, LOG-2)', () => {
  for (const [kind, secret] of Object.entries(SECRETS)) {
    it(`never prints a ${kind} credential: messages, fields, nested values, errors and causes are redacted as in JSON`, () => {
      const {
        json,
        pretty: text,
        lines,
      } = both((logger) => {
        logger.info(`calling provider with ${secret} now`);
        logger.warn({ detail: `header was ${secret}`, nested: { deeper: [`x ${secret} y`] }, apiKey: secret }, 'context');
        logger.error({ err: new Error(`request failed: ${secret}`) }, 'failure');
        logger.error(new Error(`thrown with ${secret}`));
        logger.fatal({ err: new Error('outer', { cause: new Error(`inner ${secret}`) }) }, 'with cause');
        logger.child({ binding: `child ${secret}` }).info('from a child');
      });
      expect(lines.filter((l) => /^\d\d:\d\d:\d\d /.test(l))).toHaveLength(6);
      expect(json).not.toContain(tokenOf(secret));
      expect(text).not.toContain(tokenOf(secret));
      expect(text).toContain('[REDACTED]');
    });
  }

  it('formats ordinary lines as time, level, message and fields', () => {
    const { out, logger } = pretty();
    logger.warn({ familiar: 'Ember', count: 3, note: 'two words' }, 'turn finished');
    expect(out.lines[0]).toMatch(/^\d\d:\d\d:\d\d WARN {2}turn finished familiar=Ember count=3 note="two words"$/);
  });

  it('shows an error with its frames at error level, and strips control characters a terminal would obey', () => {
    const { out, logger } = pretty();
    const err = new Error('boom');
    err.stack = 'Error: boom\n    at handler (src/x.ts:1:1)\n    at run (src/y.ts:2:2)';
    logger.error({ err }, 'request failed');
    logger.info({ name: 'evil\u001b[31m\u0000name\u202e' }, 'user\u0007 said\u001b]0;title\u0007 hi');
    expect(out.lines[0]).toMatch(/ERROR request failed — Error: boom$/);
    expect(out.lines[1]).toBe('      at handler (src/x.ts:1:1)');
    expect(out.lines[2]).toBe('      at run (src/y.ts:2:2)');
    expect(out.text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
  });

  it('colours only when asked', () => {
    const plain = pretty();
    plain.logger.error('bad');
    expect(plain.out.text).not.toContain('\u001b[');
    const colored = pretty({ color: true });
    colored.logger.error('bad');
    expect(colored.out.text).toContain('\u001b[31mERROR');
  });

  it('leaves a line that is not JSON readable and sanitized, and holds a line split across writes until its end', () => {
    expect(formatLogLine('not json token=abcdef123456secret \u001b[2J')).toBe('not json token=[REDACTED] [2J');
    const out = new LogCapture();
    const sink = prettyDestination(out);
    const line = JSON.stringify({ level: 30, time: '2026-01-01T10:00:00.000Z', msg: 'split line' });
    sink.write(line.slice(0, 20));
    expect(out.lines).toHaveLength(0);
    sink.write(`${line.slice(20)}\n${line}`);
    expect(out.lines).toHaveLength(1);
    sink.write('\n');
    expect(out.lines).toHaveLength(2);
    expect(out.lines[0]).toMatch(/^\d\d:\d\d:\d\d INFO {2}split line$/);
  });

  it('requests are one line each (method, path, status, ms, request id); the "incoming request" line is skipped; secrets in the URL are redacted', async () => {
    const out = new LogCapture();
    const logger = createLogger({ level: 'info', format: 'pretty', destination: out });
    const app = await createServer({
      config: {
        HEARTH_BODY_LIMIT: 1024,
        HEARTH_TRUSTED_PROXIES: [],
        HEARTH_TLS_CERT_FILE: undefined,
        HEARTH_TLS_KEY_FILE: undefined,
        HEARTH_SERVICE_KEY: undefined,
      },
      logger,
    });
    try {
      const ok = await app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'req-one' } });
      expect(ok.statusCode).toBe(200);
      await app.inject({ method: 'GET', url: `/api/nothing?token=${'s3cretvalue'.repeat(3)}`, headers: { 'x-request-id': 'req-two' } });
    } finally {
      await app.close();
    }
    const requests = out.lines.filter((l) => /^\d\d:\d\d:\d\d (GET|POST) /.test(l));
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatch(/^\d\d:\d\d:\d\d GET \/api\/health 200 \d+(\.\d)?ms req-one$/);
    expect(requests[1]).toMatch(/^\d\d:\d\d:\d\d GET \/api\/nothing\?token=\[REDACTED\] 404 \d+(\.\d)?ms req-two$/);
    expect(out.text).not.toContain('incoming request');
    expect(out.text).not.toContain('s3cretvalue');
  });

  it('the JSON completed-request line names method and path too', async () => {
    const out = new LogCapture();
    const app = await createServer({
      config: {
        HEARTH_BODY_LIMIT: 1024,
        HEARTH_TRUSTED_PROXIES: [],
        HEARTH_TLS_CERT_FILE: undefined,
        HEARTH_TLS_KEY_FILE: undefined,
        HEARTH_SERVICE_KEY: undefined,
      },
      logger: createLogger({ level: 'info', destination: out }),
    });
    await app.inject({ method: 'GET', url: '/api/health' });
    await app.close();
    const done = out.records().find((r) => r.msg === 'request completed');
    expect(done).toMatchObject({ res: { statusCode: 200, method: 'GET', url: '/api/health' } });
    expect(typeof done?.responseTime).toBe('number');
  });
});
