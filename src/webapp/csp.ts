/**
 * The Content-Security-Policy the web app is built for (HTTP-1): no inline scripts or styles,
 * nothing loaded from elsewhere. The identity module's security headers set the same policy on
 * every response; the web app sets it on its own pages too, so it holds even without them.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');
