import { randomBytes } from 'node:crypto';
import { isLoopbackHost } from '../../core/index.js';
import { bestGrades, gradeHeaders, HEADER_RULES } from './observatory.js';
import type { ProbeSession } from './session.js';
import { headerOf, type ProbeRequest, type TlsInfo } from './types.js';

/** The kinds of response HTTP-1 covers, each with a request that produces one. */
function samples(staticPath: string | undefined): Array<{ kind: string; request: ProbeRequest; budget: 'read' | 'probe' }> {
  return [
    { kind: 'HTML page', request: { method: 'GET', path: '/', headers: { accept: 'text/html' } }, budget: 'probe' },
    { kind: 'JSON', request: { method: 'GET', path: '/api/health' }, budget: 'probe' },
    { kind: 'error', request: { method: 'GET', path: '/api/audit-probe-unknown' }, budget: 'probe' },
    ...(staticPath ? [{ kind: 'static file', request: { method: 'GET', path: staticPath }, budget: 'probe' as const }] : []),
    // A percent-encoding that does not decode: the router fails before any route runs.
    { kind: 'malformed request', request: { method: 'GET', path: '/api/%E0%A4%A' }, budget: 'probe' },
  ];
}

/** A script or stylesheet the web app page links to (a built, hashed file). */
export function staticFileOf(page: string | undefined): string | undefined {
  return page ? /<(?:script[^>]*\ssrc|link[^>]*\shref)="(\/[^"?#]+\.(?:js|css))"/i.exec(page)?.[1] : undefined;
}

/**
 * HTTP-1: the security headers on each kind of response, graded by the Observatory's rules;
 * each rule that fails anywhere is one finding naming the responses that failed it.
 */
export async function checkHeaders(session: ProbeSession, overTls: boolean, staticPath: string | undefined): Promise<void> {
  const best = bestGrades(overTls);
  for (const { kind, request, budget } of samples(staticPath)) {
    const res = await session.send(request, budget);
    if (!res) {
      session.notReached.push(`headers on ${kind}`);
      continue;
    }
    const grades = gradeHeaders(res.headers, overTls);
    for (const rule of HEADER_RULES) {
      if (grades[rule.rule] === best[rule.rule]) continue;
      if (rule.rule === 'hsts' && !overTls) continue;
      session.report({
        id: `headers.${rule.rule}`,
        severity: rule.severity,
        subject: rule.rule,
        message: `${rule.message} (${grades[rule.rule]})`,
        fix: rule.fix,
        evidence: [session.evidence(request, res)],
      });
    }
  }
}

/** AUTH-2: a login with a wrong password (for a name no account has, so nothing is locked) sets no session, and any cookie is locked down. */
export async function checkLoginCookies(session: ProbeSession): Promise<void> {
  const body = JSON.stringify({ name: `audit-${randomBytes(6).toString('hex')}`, password: randomBytes(18).toString('base64url') });
  const request: ProbeRequest = { method: 'POST', path: '/api/auth/login', headers: { 'content-type': 'application/json' }, body };
  const res = await session.send(request, 'write');
  if (!res) {
    session.notReached.push('cookies on a failed login');
    return;
  }
  if (res.status < 400)
    session.report({
      id: 'auth.wrong-password-accepted',
      severity: 'critical',
      subject: 'POST /api/auth/login',
      message: `a login with a wrong password for an unknown name answered ${res.status}`,
      fix: 'logins must fail with 401 for an unknown name or a wrong password',
      evidence: [session.evidence(request, res)],
    });
  const raw = res.headers['set-cookie'];
  for (const cookie of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
    const missing = [
      /;\s*Secure(;|$)/i.test(cookie) ? undefined : 'Secure',
      /;\s*HttpOnly(;|$)/i.test(cookie) ? undefined : 'HttpOnly',
      /;\s*SameSite=(Strict|Lax)(;|$)/i.test(cookie) ? undefined : 'SameSite=Strict',
    ].filter(Boolean);
    const name = cookie.split('=')[0]!.trim();
    if (missing.length > 0)
      session.report({
        id: 'cookies.flags',
        severity: 'high',
        subject: name,
        message: `cookie ${name} lacks ${missing.join(', ')}`,
        fix: 'cookies must be Secure, HttpOnly and SameSite=Strict (Hearth sets __Host-hearth so); check what a proxy adds',
        evidence: [session.evidence(request, res)],
      });
  }
}

/** Transport: plain HTTP beyond loopback, and whether the instance believes this client's X-Forwarded-* headers. */
export async function checkTransport(session: ProbeSession, tls: TlsInfo | undefined): Promise<void> {
  const { base } = session;
  const loopback = isLoopbackHost(base.hostname);
  if (base.protocol === 'http:')
    session.report({
      id: 'transport.plain-http',
      severity: loopback ? 'info' : 'high',
      subject: base.origin,
      message: loopback
        ? 'audited over plain HTTP on loopback: fine beside the instance; audit the public URL as well'
        : 'served over plain HTTP: passwords, session cookies and keys cross the network readable',
      fix: 'serve Hearth over HTTPS only (HEARTH_TLS_CERT_FILE/KEY_FILE, or a TLS proxy with HEARTH_TRUSTED_PROXIES) and close the plain port',
      evidence: [],
    });
  if (base.protocol === 'http:') {
    // A client that is not a proxy says the request came over https: only a proxy may be believed.
    const request: ProbeRequest = {
      method: 'GET',
      path: '/api/health',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'audit-probe.invalid' },
    };
    const res = await session.send(request, 'probe');
    if (!res) session.notReached.push('forwarded-header trust');
    else if (headerOf(res, 'strict-transport-security'))
      session.report({
        id: 'transport.forwarded-headers-trusted',
        severity: loopback ? 'medium' : 'high',
        subject: base.origin,
        message:
          'plain HTTP from this client is treated as a trusted proxy: its X-Forwarded-Proto was believed (HSTS came back), so its X-Forwarded-For is too',
        fix: 'let only the TLS proxy reach Hearth (bind 127.0.0.1 or firewall the port), list only its address in HEARTH_TRUSTED_PROXIES, and audit the public https URL',
        evidence: [session.evidence(request, res)],
      });
  }
  if (tls) checkTls(session, tls);
}

function checkTls(session: ProbeSession, tls: TlsInfo): void {
  const subject = session.base.host;
  const handshake = { request: `TLS handshake with ${subject}`, response: JSON.stringify(tls) };
  if (tls.protocol !== 'TLSv1.3' && tls.protocol !== 'TLSv1.2')
    session.report({
      id: 'tls.version',
      severity: 'high',
      subject,
      message: `negotiated ${tls.protocol ?? 'no protocol'}: older than TLS 1.2`,
      fix: 'allow TLS 1.2 and 1.3 only',
      evidence: [handshake],
    });
  if (!tls.authorized)
    session.report({
      id: 'tls.certificate',
      severity: 'high',
      subject,
      message: `the certificate does not verify for ${session.base.hostname}: ${tls.authorizationError ?? 'untrusted'}`,
      fix: 'serve a certificate from a trusted CA for this name (or pass --ca FILE for a private CA); credentials were withheld from this run',
      evidence: [handshake],
    });
  const daysLeft = tls.validTo ? (Date.parse(tls.validTo) - Date.now()) / 86_400_000 : Infinity;
  if (tls.authorized && daysLeft < 14)
    session.report({
      id: 'tls.expiry',
      severity: daysLeft < 3 ? 'high' : 'medium',
      subject,
      message: `the certificate expires within ${Math.max(1, Math.ceil(daysLeft))} day(s) (${tls.validTo})`,
      fix: 'renew the certificate (automate it, e.g. with ACME)',
      evidence: [handshake],
    });
}

/** Records a refused legacy handshake result as a finding when the server accepted TLS 1.0/1.1. */
export function reportLegacyTls(session: ProbeSession, accepted: boolean): void {
  if (accepted)
    session.report({
      id: 'tls.version',
      severity: 'medium',
      subject: session.base.host,
      message: 'the server completes a TLS 1.0/1.1 handshake',
      fix: 'allow TLS 1.2 and 1.3 only (Node does by default; check the proxy)',
      evidence: [{ request: `TLS handshake limited to TLS 1.0–1.1 with ${session.base.host}`, response: 'handshake completed' }],
    });
}
