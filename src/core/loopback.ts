import { isIP } from 'node:net';

/** IPv4 written in any form WHATWG URL (and inet_aton) accepts: decimal, hex, octal, 1 to 4 parts. */
const IPV4_NUMBER_FORM = /^[0-9a-fx.]+$/;
/** ::ffff:127.x.y.z as WHATWG URL serializes it (::ffff:7fxx:yyzz). */
const MAPPED_V4_LOOPBACK = /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/;

/** The host as a WHATWG URL would serialize it, or undefined when it is no valid host. */
function canonicalHost(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * True only for a host that can only mean this machine: `localhost`, 127.0.0.0/8 (in any form
 * WHATWG URL parses: `127.1`, `0x7f.1`, `2130706433`, `0177.0.0.1`), `::1` and ::ffff:127.0.0.0/104,
 * with or without brackets and trailing dots. Names under `.localhost` are not: Node resolves them
 * through DNS. The one loopback check of Hearth (listen address, provider, embeddings and MCP URLs).
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  h = h.replace(/\.+$/, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 6) {
    const v6 = canonicalHost(`[${h}]`)?.slice(1, -1);
    return v6 === '::1' || (v6 !== undefined && MAPPED_V4_LOOPBACK.test(v6));
  }
  if (!IPV4_NUMBER_FORM.test(h)) return false;
  const v4 = canonicalHost(h);
  return v4 !== undefined && isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * LLM-5, EXEC-2: a URL that credentials may be sent to: https anywhere, plain http only to
 * loopback (a local Ollama, a local MCP server). Every outbound URL rule of Hearth uses this.
 */
export function isTlsOrLoopback(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}
