import { createHmac, randomBytes } from 'node:crypto';
import type { ProbeSession } from './session.js';
import type { ProbeRequest, ProbeResponse } from './types.js';

/** The webhooks every Hearth has (HOOK-1). */
export const BUILT_IN_WEBHOOKS: readonly string[] = ['erasure', 'invalidate'];

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as senders sign (docs/webhooks.md). */
function signed(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

const post = (name: string, body: string, signature?: string): ProbeRequest => ({
  method: 'POST',
  path: `/api/webhooks/${name}`,
  headers: { 'content-type': 'application/json', ...(signature ? { 'hearth-signature': signature } : {}) },
  body,
});

const accepted = (res: ProbeResponse) => res.status < 400;

/**
 * HOOK-1: each webhook refuses unsigned and stale deliveries and, when its secret is given,
 * a replay of a delivery it accepted. The signed delivery is an empty object: every built-in
 * handler refuses it or only drops caches.
 */
export async function checkWebhooks(
  session: ProbeSession,
  options: { names: readonly string[]; secrets: ReadonlyMap<string, string>; nowSeconds?: number },
): Promise<void> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  for (const name of options.names) {
    const subject = `POST /api/webhooks/${name}`;
    const unsigned = post(name, '{}');
    const first = await session.send(unsigned, 'write');
    if (!first) {
      session.notReached.push(`webhook ${name}`);
      continue;
    }
    if (first.status === 404) {
      session.report({
        id: 'webhooks.disabled',
        severity: 'info',
        subject: name,
        message: `webhook ${name} has no secret, so it is off (404): deliveries to it are refused`,
        fix: `if a sender needs it: hearth webhooks add ${name}, and give the secret to the sender`,
        evidence: [session.evidence(unsigned, first)],
      });
      continue;
    }
    if (accepted(first))
      session.report({
        id: 'webhooks.unsigned-accepted',
        severity: 'critical',
        subject,
        message: `webhook ${name} accepted a delivery without Hearth-Signature (${first.status})`,
        fix: 'every webhook must check the HMAC signature before anything runs',
        evidence: [session.evidence(unsigned, first)],
      });
    const secret = options.secrets.get(name);
    const body = '{}';
    // An hour old: signed correctly when the secret is known, else with a random MAC (the timestamp is checked first).
    const staleSig = secret ? signed(secret, now - 3600, body) : `t=${now - 3600},v1=${randomBytes(32).toString('hex')}`;
    const staleReq = post(name, body, staleSig);
    const stale = await session.send(staleReq, 'write');
    if (!stale) session.notReached.push(`webhook ${name} stale delivery`);
    else if (accepted(stale))
      session.report({
        id: 'webhooks.stale-accepted',
        severity: 'high',
        subject,
        message: `webhook ${name} accepted a delivery signed an hour ago (${stale.status})`,
        fix: 'refuse signatures whose timestamp is more than 5 minutes from now',
        evidence: [session.evidence(staleReq, stale)],
      });
    if (!secret) {
      session.report({
        id: 'webhooks.replay-unchecked',
        severity: 'info',
        subject: name,
        message: `webhook ${name} is on; replay refusal was not checked (no secret given)`,
        fix: `pass --webhook-secret ${name}=FILE to check that a replayed delivery is refused`,
        evidence: [],
      });
      continue;
    }
    const fresh = post(name, body, signed(secret, now, body));
    const once = await session.send(fresh, 'write');
    const twice = once && once.status !== 401 ? await session.send(fresh, 'write') : undefined;
    if (!once || (once.status !== 401 && !twice)) session.notReached.push(`webhook ${name} replay`);
    else if (once.status === 401)
      session.report({
        id: 'webhooks.secret-mismatch',
        severity: 'info',
        subject: name,
        message: `webhook ${name} refused a delivery signed with the secret given: replay refusal not checked`,
        fix: 'pass the current secret (hearth webhooks add replaces it)',
        evidence: [session.evidence(fresh, once)],
      });
    else if (twice && twice.status !== 409 && twice.status !== 401 && twice.status !== 403)
      session.report({
        id: 'webhooks.replay-accepted',
        severity: 'high',
        subject,
        message: `webhook ${name} handled the same signed delivery twice (${once.status}, then ${twice.status})`,
        fix: 'remember every accepted (timestamp, signature) for longer than the window and refuse a repeat with 409',
        evidence: [session.evidence(fresh, once), session.evidence(fresh, twice)],
      });
  }
}
