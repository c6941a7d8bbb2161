import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ProbeError, type ProbeResponse, type TlsInfo, type Transport } from './types.js';

export interface HttpTransportOptions {
  readonly base: URL;
  /** Extra trusted CA certificates (PEM), e.g. a private CA. */
  readonly ca?: string | Buffer;
  /** Verify the certificate (default true); false only to inspect a host whose certificate fails. */
  readonly verify?: boolean;
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
}

const servername = (host: string) => (isIP(host.replace(/^\[|\]$/g, '')) ? undefined : host);

function tlsInfoOf(socket: TLSSocket): TlsInfo {
  const cert = socket.getPeerCertificate();
  return {
    protocol: socket.getProtocol(),
    authorized: socket.authorized,
    ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
    ...(cert && cert.valid_to ? { validTo: cert.valid_to } : {}),
  };
}

/**
 * Real HTTP(S) to the instance: the path goes on the wire exactly as given (no URL normalising,
 * so percent-encoded and case-varied paths arrive as written), bodies are cut at a limit, and
 * connections are kept alive for speed.
 */
export function httpTransport(options: HttpTransportOptions): Transport & { close(): void } {
  const { base } = options;
  const https = base.protocol === 'https:';
  if (!https && base.protocol !== 'http:') throw new ProbeError('PROBE_BAD_TARGET', `not an http(s) URL: ${base.protocol}`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const tlsOptions = { ca: options.ca, rejectUnauthorized: options.verify ?? true, servername: servername(base.hostname) };
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: 8, ...tlsOptions })
    : new HttpAgent({ keepAlive: true, maxSockets: 8 });
  const send = (https ? httpsRequest : httpRequest) as typeof httpRequest;
  const prefix = base.pathname.replace(/\/+$/, '');

  const transport = (req: Parameters<Transport>[0]) =>
    new Promise<ProbeResponse>((resolve, reject) => {
      const headers: Record<string, string> = { 'user-agent': 'hearth-security-audit', ...req.headers };
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      const r = send(
        {
          host: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || (https ? 443 : 80),
          method: req.method,
          path: prefix + req.path,
          headers,
          agent,
          timeout: timeoutMs,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          // Read now: the socket goes back to the agent when the body ends.
          const tls = https && res.socket ? tlsInfoOf(res.socket as TLSSocket) : undefined;
          const done = () => {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers as Record<string, string | string[]>,
              body: Buffer.concat(chunks).toString('utf8'),
              ...(tls ? { tls } : {}),
            });
          };
          res.on('data', (c: Buffer) => {
            if (size >= maxBody) return;
            chunks.push(c.subarray(0, maxBody - size));
            size += c.length;
            if (size >= maxBody) {
              done();
              res.destroy();
            }
          });
          res.on('end', done);
          res.on('error', (err) => reject(new ProbeError('PROBE_UNREACHABLE', err.message)));
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      r.on('error', (err) => reject(new ProbeError('PROBE_UNREACHABLE', `${req.method} ${req.path}: ${err.message}`)));
      r.end(req.body);
    });
  return Object.assign(transport, { close: () => agent.destroy() });
}

/** The TLS handshake alone, without verifying, so a certificate that fails can be reported rather than only refused. */
export function inspectTls(base: URL, ca?: string | Buffer, timeoutMs = 10_000): Promise<TlsInfo> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: base.hostname.replace(/^\[|\]$/g, ''),
      port: Number(base.port || 443),
      servername: servername(base.hostname),
      ca,
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      const info = tlsInfoOf(socket);
      socket.end();
      resolve(info);
    });
    socket.once('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', (err) => reject(new ProbeError('PROBE_UNREACHABLE', `TLS: ${err.message}`)));
  });
}

/** Whether the server completes a handshake limited to TLS 1.0/1.1 (false when either side refuses). */
export function acceptsLegacyTls(base: URL, timeoutMs = 5_000): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: TLSSocket;
    try {
      socket = tlsConnect({
        host: base.hostname.replace(/^\[|\]$/g, ''),
        port: Number(base.port || 443),
        servername: servername(base.hostname),
        rejectUnauthorized: false,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
        timeout: timeoutMs,
      });
    } catch {
      resolve(false);
      return;
    }
    socket.once('secureConnect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('timeout', () => socket.destroy(new Error('timed out')));
    // Refused by either side: not accepted (only a completed handshake counts).
    socket.once('error', () => resolve(false));
  });
}
