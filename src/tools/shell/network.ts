import { lookup as dnsLookup } from 'node:dns/promises';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { BlockList, connect, isIP, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

/** One host:port a familiar's sandbox may reach through the egress proxy (EXEC-1). */
export interface Destination {
  /** Lowercased DNS name, or an IP literal in canonical form (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
}

/** A destination list entry that cannot be used, with the reason (shown at configuration). */
class DestinationError extends Error {
  readonly code = 'NETWORK_DESTINATION_INVALID';
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Canonical host of an entry or of a CONNECT line: lowercased, IPv6 brackets removed; null when neither a DNS name nor an IP. */
function canonicalHost(raw: string): string | null {
  let host = raw.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) return null; // a bare IPv6 must be bracketed in host:port
  if (isIP(host) === 4) return host;
  if (isIP(host) === 6) return canonicalV6(host);
  if (host.length > 253 || host.endsWith('.')) return null;
  const labels = host.split('.');
  // a last label of digits only would be read as an IPv4 number by the resolver (2130706433, 0x7f.1)
  if (!labels.every((l) => LABEL.test(l)) || !/[a-z]/.test(labels[labels.length - 1]!)) return null;
  return host;
}

function canonicalV6(host: string): string {
  // URL's parser prints the shortest form (::1, ::ffff:7f00:1)
  return new URL(`http://[${host}]/`).hostname.slice(1, -1);
}

/** Splits `host:port` (`[v6]:port`); null when it is not one. */
function splitHostPort(text: string): Destination | null {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[2]);
  const host = canonicalHost(m[1]!);
  if (host === null || port < 1 || port > 65535) return null;
  return { host, port };
}

/**
 * Parses a familiar's allowlist (`host:port` entries, `[::1]:port` for IPv6). Refuses, naming the
 * entry, anything else: no wildcards, no ranges, no schemes, no bare hosts. An address in a private,
 * loopback, link-local or metadata range is reachable only when listed as that IP literal.
 */
export function parseDestinations(entries: readonly string[]): Destination[] {
  const out: Destination[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    const d = splitHostPort(entry);
    if (!d)
      throw new DestinationError(
        `network[${i}] must be host:port (a DNS name or an IP literal, [v6]:port for IPv6), not ${JSON.stringify(entry)}`,
      );
    const key = destinationKey(d);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

export const destinationKey = (d: Destination) => (isIP(d.host) === 6 ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`);

/** Addresses no DNS name may lead to: loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved. */
const CLOSED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  CLOSED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  CLOSED.addSubnet(net, prefix, 'ipv6');
}

/** Whether an address is one a DNS name may never lead to (IPv4-mapped IPv6 judged as its IPv4). */
export function isClosedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return CLOSED.check(address, 'ipv4');
  if (family !== 6) return true;
  const canonical = canonicalV6(address);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return CLOSED.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
  }
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/.test(canonical)) return CLOSED.check(canonical.slice(7), 'ipv4');
  return CLOSED.check(canonical, 'ipv6');
}

/** What the proxy did with one connection attempt; refusals are audited by the caller. */
export interface EgressEvent {
  readonly outcome: 'connected' | 'refused';
  /** What the sandbox asked for, as written (at most 300 characters). */
  readonly destination: string;
  /** The address connected to or refused, after the one resolution. */
  readonly address?: string;
  readonly reason?: string;
}

type Resolve = (host: string) => Promise<readonly string[]>;

export interface EgressProxyOptions {
  readonly destinations: readonly Destination[];
  readonly onEvent?: (event: EgressEvent) => void;
  /** Name resolution; the system resolver by default (tests replace it to play a rebinding resolver). */
  readonly resolve?: Resolve;
  /** Tunnels open at once (default 32). */
  readonly maxTunnels?: number;
  readonly connectTimeoutMs?: number;
}

/** A running proxy: its unix socket, in a folder of its own that is bound into the sandbox. */
export interface EgressProxy {
  /** Host folder holding the socket (bound read-only into the sandbox). */
  readonly dir: string;
  /** Socket file name inside `dir`. */
  readonly socketName: string;
  close(): Promise<void>;
}

const systemResolve: Resolve = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Hearth's egress proxy for one sandboxed run: HTTP CONNECT on a unix socket. It admits only the
 * listed host:port pairs; a DNS name is resolved once, here, and every address it gives must be
 * public (a name leading to loopback, a private range or the metadata address is refused: list the IP
 * itself to reach one), and the tunnel goes to the checked address, so a second answer of a
 * rebinding resolver is never asked for. Everything else is refused with 403 and reported.
 */
export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const allowed = new Set(options.destinations.map(destinationKey));
  const resolve = options.resolve ?? systemResolve;
  const maxTunnels = options.maxTunnels ?? 32;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const report = (e: EgressEvent) => {
    try {
      options.onEvent?.(e);
    } catch {
      /* reporting never breaks the proxy */
    }
  };
  const sockets = new Set<Duplex>();
  let open = 0;

  /** The one decision for a destination as asked: the address to connect to, or why not. */
  const decide = async (asked: string): Promise<{ address: string; port: number } | { refused: string; address?: string }> => {
    const d = splitHostPort(asked);
    if (!d) return { refused: 'not a host:port destination' };
    if (!allowed.has(destinationKey(d))) return { refused: "not in this familiar's network allowlist" };
    if (open >= maxTunnels) return { refused: `more than ${maxTunnels} connections at once` };
    // listed as this very address: reachable even when private
    if (isIP(d.host)) return { address: d.host, port: d.port };
    let addresses: readonly string[];
    try {
      addresses = await resolve(d.host);
    } catch {
      return { refused: 'the name does not resolve' };
    }
    if (addresses.length === 0) return { refused: 'the name does not resolve' };
    const closed = addresses.find((a) => isClosedAddress(a));
    if (closed)
      return {
        refused: 'the name resolves to a loopback, private or metadata address; list that address itself to allow it',
        address: closed,
      };
    return { address: addresses[0]!, port: d.port };
  };

  // plain http:// through the proxy (absolute-form requests): the same decision, then one request to the checked address
  const server = createServer((req, res) => {
    const raw = String(req.url ?? '').slice(0, 300);
    let target: URL | null = null;
    try {
      target = new URL(raw);
    } catch {
      /* not absolute */
    }
    const refuse = (status: number, reason: string, address?: string) => {
      report({ outcome: 'refused', destination: raw, reason, ...(address ? { address } : {}) });
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`Hearth egress proxy: ${reason}\n`);
    };
    if (!target || target.protocol !== 'http:' || target.username || target.password)
      return refuse(400, 'only http:// URLs (without credentials) or CONNECT tunnels are proxied');
    const asked = `${target.hostname}:${target.port || '80'}`;
    void (async () => {
      const decision = await decide(asked);
      if ('refused' in decision) return refuse(403, decision.refused, decision.address);
      open++;
      // hop-by-hop and proxy headers stay here
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host, connection: 'close' };
      for (const h of ['proxy-connection', 'proxy-authorization', 'keep-alive', 'upgrade', 'te', 'trailer']) delete headers[h];
      const upstream = httpRequest(
        {
          host: decision.address,
          port: decision.port,
          method: req.method,
          path: `${target.pathname}${target.search}`,
          headers,
          setHost: false,
          timeout: connectTimeoutMs,
        },
        (up) => {
          report({ outcome: 'connected', destination: asked, address: decision.address });
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      let counted = true;
      const release = () => {
        if (counted) open--;
        counted = false;
      };
      res.on('close', () => (release(), upstream.destroy()));
      upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
      upstream.on('error', () => {
        release();
        if (!res.headersSent) refuse(502, 'the destination refused the connection or did not answer', decision.address);
        else res.destroy();
      });
      req.pipe(upstream);
    })();
  });
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const asked = String(req.url ?? '').slice(0, 300);
    const refuse = (reason: string, address?: string) => {
      report({ outcome: 'refused', destination: asked, reason, ...(address ? { address } : {}) });
      client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nHearth egress proxy: ${reason}\n`);
    };
    void (async () => {
      const decision = await decide(asked);
      if ('refused' in decision) return refuse(decision.refused, decision.address);
      const { address } = decision;
      if (client.destroyed) return;
      open++;
      const upstream: Socket = connect({ host: address, port: decision.port, timeout: connectTimeoutMs });
      sockets.add(upstream);
      let counted = true;
      const done = () => {
        if (counted) open--;
        counted = false;
        sockets.delete(upstream);
        upstream.destroy();
        // a refusal written with end() closes by itself once sent
        if (established || !client.writableEnded) client.destroy();
      };
      let established = false;
      const failBefore = (reason: string, status: string) => {
        if (established) return;
        report({ outcome: 'refused', destination: asked, address, reason });
        client.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
      };
      upstream.once('timeout', () => {
        failBefore('the destination did not answer', '504 Gateway Timeout');
        done();
      });
      upstream.once('error', () => {
        failBefore('the destination refused the connection', '502 Bad Gateway');
        done();
      });
      upstream.once('connect', () => {
        established = true;
        upstream.setTimeout(0);
        report({ outcome: 'connected', destination: asked, address });
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.once('close', done);
      client.once('close', done);
    })();
  });
  server.on('clientError', (_err, socket) => {
    report({ outcome: 'refused', destination: '(unreadable request)', reason: 'not an HTTP request' });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  const dir = mkdtempSync(join(tmpdir(), 'hearth-egress-'));
  const socketName = `${randomBytes(8).toString('hex')}.sock`;
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(join(dir, socketName), () => ok());
    });
    // the sandbox runs as another user (65534 when Hearth is root): it must traverse the folder and write the socket
    chmodSync(dir, 0o711);
    chmodSync(join(dir, socketName), 0o666);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    socketName,
    async close() {
      for (const s of sockets) s.destroy();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where the proxy's folder appears inside the sandbox, and the loopback port the forwarder listens on. */
export const SANDBOX_PROXY_DIR = '/run/hearth-egress';
export const SANDBOX_PROXY_PORT = 3128;

/**
 * The forwarder that runs first inside the sandbox (as `node -e`): it listens on the sandbox's own
 * loopback, passes every connection to the proxy's socket unread, and only once listening starts
 * the command (argv after it), whose exit status becomes its own. It has no more rights than the
 * command: the proxy on the host is what decides.
 */
export const FORWARDER_SCRIPT = `'use strict';
const net = require('node:net');
const { spawn } = require('node:child_process');
const { constants } = require('node:os');
const [socketPath, port, ...argv] = process.argv.slice(1);
const server = net.createServer((c) => {
  const u = net.connect(socketPath);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
  c.pipe(u);
  u.pipe(c);
});
server.on('error', (e) => { process.stderr.write('hearth egress forwarder: ' + e.message + '\\n'); process.exit(125); });
server.listen(Number(port), '127.0.0.1', () => {
  const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
  child.on('error', () => process.exit(127));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] || 0)));
});
`;

/** Variables that send common tools (curl, wget, git, pip, npm) through the forwarder. */
export function proxyEnv(): Record<string, string> {
  const url = `http://127.0.0.1:${SANDBOX_PROXY_PORT}`;
  return {
    https_proxy: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    HTTP_PROXY: url,
    npm_config_proxy: url,
    npm_config_https_proxy: url,
  };
}
