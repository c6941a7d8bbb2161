import { isIP } from 'node:net';
import { isTlsOrLoopback } from '../core/index.js';

/** Names that only resolve inside a home or office network (mDNS, RFC 8375, common router suffixes), or one label. */
const LOCAL_NAME = /^(?:[a-z0-9-]+|(?:[a-z0-9-]+\.)+(?:local|lan|home\.arpa|internal|localdomain))$/i;

/**
 * True for a private-network host written in the URL: RFC 1918 and CGNAT (Tailscale) IPv4,
 * unique-local IPv6, or a local-only name. Link-local (169.254/16, fe80::/10: cloud metadata
 * endpoints) and every public address are not. The URL's text is judged, not what DNS answers.
 */
function isPrivateNetworkHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (isIP(host) === 6) return /^f[cd][0-9a-f]{2}:/.test(host);
  return LOCAL_NAME.test(host);
}

/**
 * LLM-5: provider calls use TLS; plain http only to loopback (a local Ollama), or to a
 * private-network address when the operator marked the provider as on a trusted local network
 * (a LAN Ollama, llama.cpp or LM Studio). Returns the normalized base URL or throws with a message safe to show.
 */
export function checkProviderUrl(raw: string, options: { trustedLocalNetwork?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('Base URL is not a valid URL');
  }
  if (url.username || url.password) throw new Error('Base URL must not contain credentials; use the API key field');
  if (url.search || url.hash) throw new Error('Base URL must not contain a query or fragment');
  if (isTlsOrLoopback(url)) return url.toString().replace(/\/$/, '');
  if (url.protocol === 'http:' && isPrivateNetworkHost(url.hostname)) {
    if (options.trustedLocalNetwork) return url.toString().replace(/\/$/, '');
    throw new Error('Plain http to a private-network address needs the provider marked as on a trusted local network; else use https');
  }
  if (url.protocol === 'http:') throw new Error('Plain http is allowed only to loopback or a trusted local network; use https');
  throw new Error('Base URL must use https (or http to loopback)');
}
