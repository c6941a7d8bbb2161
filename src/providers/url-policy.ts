import { isIP } from 'node:net';

/** True for loopback hosts: localhost, 127.0.0.0/8, ::1. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
  return false;
}

/**
 * LLM-5: provider calls use TLS; plain http only to loopback (a local Ollama). Returns the
 * normalized base URL or throws with a message safe to show.
 */
export function checkProviderUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('Base URL is not a valid URL');
  }
  if (url.username || url.password) throw new Error('Base URL must not contain credentials; use the API key field');
  if (url.search || url.hash) throw new Error('Base URL must not contain a query or fragment');
  if (url.protocol === 'https:') return url.toString().replace(/\/$/, '');
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url.toString().replace(/\/$/, '');
  if (url.protocol === 'http:') throw new Error('Plain http is allowed only to loopback; use https');
  throw new Error('Base URL must use https (or http to loopback)');
}
