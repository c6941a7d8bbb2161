import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/index.js';
import { FAKE_SECRETS, tokenOf } from '../support/fake-secrets.js';
import { LogCapture } from '../support/hearth.js';

const SECRETS = FAKE_SECRETS;

function capture() {
  const logs = new LogCapture();
  return { logs, logger: createLogger({ level: 'trace', destination: logs }) };
}

describe('redacting logger (LOG-1, LOG-2)', () => {
  for (const [kind, secret] of Object.entries(SECRETS)) {
    it(`removes a ${kind} credential from messages, fields, nested objects and errors`, () => {
      const { logs, logger } = capture();
      logger.info(`calling provider with ${secret} now`);
      logger.warn({ detail: `header was ${secret}`, nested: { deeper: [`x ${secret} y`] } }, 'context');
      logger.error({ err: new Error(`request failed: ${secret}`) }, 'failure');
      logger.error(new Error(`thrown with ${secret}`));
      const err = new Error('outer', { cause: new Error(`inner ${secret}`) });
      logger.error({ err }, 'with cause');
      expect(logs.lines.length).toBe(5);
      expect(logs.text).not.toContain(tokenOf(secret));
      expect(logs.text).toContain('[REDACTED]');
    });
  }

  it('redacts secret fields by name whatever their value', () => {
    const { logs, logger } = capture();
    logger.info({
      password: 'correct horse battery staple',
      headers: { authorization: 'opaque-value-1', cookie: '__Host-hearth=opaque-value-2', 'x-api-key': 'opaque-value-3' },
      apiKey: 'opaque-value-4',
      botToken: 'opaque-value-5',
      clientSecret: 'opaque-value-6',
      key: 'opaque-value-7',
      keyId: 'k1',
    });
    for (const v of ['correct horse', 'opaque-value']) expect(logs.text).not.toContain(v);
    expect(logs.records()[0]?.keyId).toBe('k1');
  });

  it('redacts key=value and JSON forms inside strings, and secrets in stacks', () => {
    const { logs, logger } = capture();
    logger.info('url /api/x?token=abc123secretvalue&password=hunter2hunter2 done');
    logger.info('{"apiKey":"val-one-secret","password":"val-two-secret"}');
    const err = new Error('boom');
    err.stack = `Error: boom token=stack-secret-value\n    at fn (file.ts:1:1)`;
    logger.error({ err });
    for (const v of ['abc123secretvalue', 'hunter2hunter2', 'val-one-secret', 'val-two-secret', 'stack-secret-value'])
      expect(logs.text).not.toContain(v);
  });

  it('strips control characters and bidi overrides, and truncates long values', () => {
    const { logs, logger } = capture();
    logger.info({ name: 'evil\u001b[31m\u0000name\u202e\r\nFAKE LOG LINE' }, 'user\u0007 said\nsomething');
    logger.info({ blob: 'z'.repeat(50_000) });
    const [first, second] = logs.records();
    expect(JSON.stringify(first)).not.toMatch(/\\u001b|\\u0000|\\u0007|\\r|\\n|\u202e/);
    expect(String(second?.blob).length).toBeLessThan(2_100);
    expect(String(second?.blob)).toContain('truncated');
  });

  it('keeps ordinary text intact', () => {
    const { logs, logger } = capture();
    logger.info({ familiar: 'Ember', count: 3 }, 'turn finished for conversation 42');
    const [r] = logs.records();
    expect(r).toMatchObject({ familiar: 'Ember', count: 3, msg: 'turn finished for conversation 42' });
  });
});
