import type { Exchange, ProbeSession } from './session.js';
import { headerOf, type ProbeRequest } from './types.js';

/** Most requests the burst sends when the instance states no limit of its own. */
const BURST_CAP = 300;
const CONCURRENCY = 8;

/**
 * HTTP-3: anonymous rate limits really answer 429, with Retry-After. A 429 seen earlier in the
 * run is proof enough; otherwise a bounded burst at a probe route (limit + 1 requests when the
 * instance states RateLimit-Limit, else at most 300). Runs last: it spends this client's budget.
 */
export async function checkRateLimit(session: ProbeSession): Promise<void> {
  const request: ProbeRequest = { method: 'GET', path: '/api/health' };
  let limited: Exchange | undefined = session.limitedAnswers[0];
  let sent = 0;
  if (!limited) {
    const first = await session.raw(request);
    sent = 1;
    const stated = Number(headerOf(first, 'ratelimit-limit'));
    const cap = Number.isInteger(stated) && stated > 0 ? Math.min(stated + 1, BURST_CAP) : BURST_CAP;
    if (first.status === 429) limited = { request, response: first };
    while (!limited && sent < cap) {
      const batch = Math.min(CONCURRENCY, cap - sent);
      sent += batch;
      const answers = await Promise.all(Array.from({ length: batch }, () => session.raw(request)));
      const hit = answers.find((a) => a.status === 429);
      if (hit) limited = { request, response: hit };
    }
  }
  if (!limited) {
    session.report({
      id: 'ratelimit.never-429',
      severity: 'high',
      subject: `${request.method} ${request.path}`,
      message: `${sent} anonymous requests in a burst, and no 429: anonymous callers are not rate limited`,
      fix: 'keep Hearth’s per-IP limits (HEARTH_RATE_ANON_*); behind a proxy, list it in HEARTH_TRUSTED_PROXIES so each client is limited by its own address',
      evidence: [session.evidence(request, session.exchanges.at(-1)?.response)],
    });
    return;
  }
  if (!headerOf(limited.response, 'retry-after'))
    session.report({
      id: 'ratelimit.no-retry-after',
      severity: 'low',
      subject: `${limited.request.method} ${limited.request.path}`,
      message: '429 without Retry-After: clients cannot tell when to try again',
      fix: 'send Retry-After with every 429',
      evidence: [session.evidence(limited.request, limited.response)],
    });
}
