import type { ProbeSession } from './session.js';
import type { ProbeRequest } from './types.js';

const ROUTES = ['/metrics', '/api/observability'];

/**
 * HTTP-7: the service routes refuse anonymous callers; unset, they are off (503), and the
 * operator is blind to attacks; with the service key given, it opens them.
 */
export async function checkObservability(session: ProbeSession, serviceKey: string | undefined): Promise<void> {
  for (const path of ROUTES) {
    const request: ProbeRequest = { method: 'GET', path };
    const res = await session.send(request, 'read');
    if (!res) {
      session.notReached.push(`GET ${path} without credentials`);
      continue;
    }
    const evidence = [session.evidence(request, res)];
    if (res.status < 400)
      session.report({
        id: 'routes.answers-without-credentials',
        severity: 'critical',
        subject: `GET ${path}`,
        message: `GET ${path} (service key only) answered ${res.status} without credentials`,
        fix: 'the service routes need HEARTH_SERVICE_KEY in X-Api-Key; check anything in front of Hearth that adds it',
        evidence,
      });
    else if (res.status === 503)
      session.report({
        id: 'observability.off',
        severity: 'low',
        subject: 'HEARTH_SERVICE_KEY',
        message: `GET ${path} answers 503: no service key is set, so metrics and request statistics are off and attacks go unwatched`,
        fix: 'set HEARTH_SERVICE_KEY (e.g. openssl rand -hex 32) and scrape /metrics with it',
        evidence,
      });
    else if (serviceKey && res.status === 401) {
      const withKey: ProbeRequest = { method: 'GET', path, headers: { 'x-api-key': serviceKey } };
      const ok = await session.send(withKey, 'read');
      if (ok && ok.status !== 200)
        session.report({
          id: 'observability.key-refused',
          severity: 'info',
          subject: path,
          message: `GET ${path} refused the service key given (${ok.status})`,
          fix: 'pass the current HEARTH_SERVICE_KEY with --service-key FILE',
          evidence: [session.evidence(withKey, ok)],
        });
    }
  }
}
