import type { Severity } from './types.js';

type Headers = Readonly<Record<string, string | string[] | number | undefined>>;

function one(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v === undefined ? undefined : String(v);
}

/** Each rule's result, named as the MDN HTTP Observatory names them. */
export interface ObservatoryGrades {
  csp: string;
  frameAncestors: string;
  xfo: string;
  nosniff: string;
  referrer: string;
  corp: string;
  cors: string;
  hsts: string;
  cookies: string;
  poweredBy: string;
}

/** The MDN HTTP Observatory's header rules (its published scoring), applied to one response's headers. */
export function gradeHeaders(h: Headers, overTls: boolean): ObservatoryGrades {
  const csp = one(h, 'content-security-policy') ?? '';
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map((d) => [d[0]!.toLowerCase(), d.slice(1)]),
  );
  const src = (name: string) => directives.get(name) ?? directives.get('default-src') ?? [];
  const unsafe = ["'unsafe-inline'", "'unsafe-eval'", '*', 'http:', 'https:', 'data:'];
  const scriptUnsafe = src('script-src').some((s) => unsafe.includes(s));
  const styleUnsafe = src('style-src').some((s) => s === "'unsafe-inline'" || s === '*' || s === 'http:' || s === 'https:');
  const objectSafe = (directives.get('object-src') ?? directives.get('default-src') ?? []).join(' ') === "'none'";
  const referrer = one(h, 'referrer-policy')?.toLowerCase() ?? '';
  const acao = one(h, 'access-control-allow-origin');
  const hsts = one(h, 'strict-transport-security');
  const maxAge = Number(/max-age=(\d+)/.exec(hsts ?? '')?.[1] ?? 0);
  const raw = h['set-cookie'];
  const cookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
  return {
    csp: !csp
      ? 'csp-not-implemented'
      : scriptUnsafe || styleUnsafe || !objectSafe
        ? 'csp-implemented-with-unsafe'
        : 'csp-implemented-with-no-unsafe',
    frameAncestors: directives.get('frame-ancestors')?.join(' ') === "'none'" ? 'x-frame-options-implemented-via-csp' : 'missing',
    xfo: ['DENY', 'SAMEORIGIN'].includes(one(h, 'x-frame-options')?.toUpperCase() ?? '') ? 'x-frame-options-sameorigin-or-deny' : 'missing',
    nosniff: one(h, 'x-content-type-options')?.toLowerCase() === 'nosniff' ? 'x-content-type-options-nosniff' : 'missing',
    referrer: ['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin'].includes(referrer)
      ? 'referrer-policy-private'
      : 'referrer-policy-unsafe',
    corp: one(h, 'cross-origin-resource-policy') === 'same-origin' ? 'corp-same-origin' : 'missing',
    cors:
      acao === undefined
        ? 'cross-origin-resource-sharing-not-implemented'
        : acao === '*'
          ? 'cross-origin-resource-sharing-implemented-with-universal-access'
          : 'cross-origin-resource-sharing-implemented-with-restricted-access',
    hsts: overTls
      ? maxAge >= 31_536_000
        ? 'hsts-implemented-max-age-at-least-one-year'
        : 'hsts-missing-or-short'
      : hsts
        ? 'hsts-header-over-http'
        : 'hsts-not-implemented-no-https',
    cookies: cookies.every((c) => /;\s*Secure/i.test(c) && /;\s*HttpOnly/i.test(c) && /;\s*SameSite=(Strict|Lax)/i.test(c))
      ? 'cookies-secure-with-httponly-sessions-and-samesite'
      : 'cookies-without-secure-flag',
    poweredBy: h['x-powered-by'] === undefined ? 'absent' : 'present',
  };
}

/** The best result of every rule: what Hearth answers on every response. */
export function bestGrades(overTls: boolean): ObservatoryGrades {
  return {
    csp: 'csp-implemented-with-no-unsafe',
    frameAncestors: 'x-frame-options-implemented-via-csp',
    xfo: 'x-frame-options-sameorigin-or-deny',
    nosniff: 'x-content-type-options-nosniff',
    referrer: 'referrer-policy-private',
    corp: 'corp-same-origin',
    cors: 'cross-origin-resource-sharing-not-implemented',
    hsts: overTls ? 'hsts-implemented-max-age-at-least-one-year' : 'hsts-not-implemented-no-https',
    cookies: 'cookies-secure-with-httponly-sessions-and-samesite',
    poweredBy: 'absent',
  };
}

/**
 * The header rules as findings: rule, severity (following the Observatory's score penalties:
 * a missing CSP, framing protection or HSTS costs most) and fix. CORS and cookies have their own
 * probes, and the Powered-By banner is the leak check's; HSTS over plain HTTP is harmless.
 */
export const HEADER_RULES: ReadonlyArray<{
  readonly rule: Exclude<keyof ObservatoryGrades, 'cors' | 'cookies' | 'poweredBy'>;
  readonly severity: Severity;
  readonly message: string;
  readonly fix: string;
}> = [
  {
    rule: 'csp',
    severity: 'medium',
    message: 'Content-Security-Policy missing or allowing unsafe sources',
    fix: "send Hearth's CSP (default-src 'self'; object-src 'none'; frame-ancestors 'none'; …) and do not let a proxy drop or rewrite it",
  },
  {
    rule: 'frameAncestors',
    severity: 'medium',
    message: "CSP frame-ancestors is not 'none': the page may be framed (clickjacking)",
    fix: "keep frame-ancestors 'none' in the Content-Security-Policy",
  },
  { rule: 'xfo', severity: 'low', message: 'X-Frame-Options missing', fix: 'send X-Frame-Options: DENY' },
  { rule: 'nosniff', severity: 'low', message: 'X-Content-Type-Options: nosniff missing', fix: 'send X-Content-Type-Options: nosniff' },
  {
    rule: 'referrer',
    severity: 'low',
    message: 'Referrer-Policy missing or leaking full URLs to other sites',
    fix: 'send Referrer-Policy: strict-origin-when-cross-origin',
  },
  {
    rule: 'corp',
    severity: 'low',
    message: 'Cross-Origin-Resource-Policy is not same-origin',
    fix: 'send Cross-Origin-Resource-Policy: same-origin',
  },
  {
    rule: 'hsts',
    severity: 'medium',
    message: 'Strict-Transport-Security missing or shorter than one year over HTTPS',
    fix: 'send Strict-Transport-Security: max-age=31536000; includeSubDomains (Hearth does over direct TLS or a trusted proxy reporting https)',
  },
];
