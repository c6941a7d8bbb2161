import type { ProbeSession } from './session.js';
import { headerOf, type ProbeRequest } from './types.js';

const FOREIGN = 'https://audit-probe.invalid';

/** HTTP-2: a foreign origin and the `null` origin (sandboxed frames, file: pages) get no CORS grant, simple or preflighted. */
export async function checkCors(session: ProbeSession): Promise<void> {
  const probes: ProbeRequest[] = [
    { method: 'GET', path: '/api/health', headers: { origin: FOREIGN } },
    { method: 'OPTIONS', path: '/api/keys', headers: { origin: FOREIGN, 'access-control-request-method': 'POST' } },
    { method: 'GET', path: '/api/health', headers: { origin: 'null' } },
  ];
  for (const request of probes) {
    const res = await session.send(request, 'probe');
    if (!res) {
      session.notReached.push(`CORS ${request.method} from ${request.headers!.origin}`);
      continue;
    }
    const allowed = headerOf(res, 'access-control-allow-origin');
    if (allowed === undefined) continue;
    const credentials = headerOf(res, 'access-control-allow-credentials') === 'true';
    const origin = request.headers!.origin!;
    const evidence = [session.evidence(request, res)];
    if (allowed === '*')
      session.report({
        id: 'cors.wildcard',
        severity: 'high',
        subject: 'Access-Control-Allow-Origin',
        message: 'CORS allows any origin (*): any web page may read what Hearth answers',
        fix: 'list the browser origins that need Hearth in HEARTH_ALLOWED_ORIGINS (production refuses *)',
        evidence,
      });
    else if (allowed === origin)
      session.report({
        id: origin === 'null' ? 'cors.null-origin' : 'cors.foreign-origin',
        severity: credentials ? 'critical' : 'high',
        subject: 'Access-Control-Allow-Origin',
        message: `CORS grants ${origin === 'null' ? 'the null origin' : `the foreign origin ${origin}`}${credentials ? ' with credentials' : ''}`,
        fix: 'grant only the exact origins in HEARTH_ALLOWED_ORIGINS; never reflect the Origin header or allow null',
        evidence,
      });
  }
}
