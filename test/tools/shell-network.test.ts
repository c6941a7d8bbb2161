import { request as httpRequest, createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/tools/shell/sandbox.js';
import { isClosedAddress, parseDestinations, startEgressProxy, type EgressEvent, type EgressProxy } from '../../src/tools/shell/network.js';

const sandbox = createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 15_000, outputLimit: 64 * 1024 });

/** A CONNECT through the proxy's unix socket from the host, as the forwarder does it; answers the status line. */
function connectThrough(proxy: EgressProxy, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(join(proxy.dir, proxy.socketName));
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) {
        s.destroy();
        resolve(got.split('\r\n')[0]!);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(got.split('\r\n')[0]!));
    s.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
  });
}

describe('EXEC-1 network: a per-familiar host:port allowlist through Hearth’s egress proxy (real bubblewrap)', () => {
  let server: Server;
  let other: Server;
  let port = 0;
  let otherPort = 0;
  let hits = 0;
  let otherHits = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('hello from the allowlisted server\n');
    });
    other = createServer((_req, res) => {
      otherHits++;
      res.end('must not be seen\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    otherPort = (other.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await new Promise((r) => other.close(r));
  });

  it('EXEC-1: an allowlisted loopback server is reached through the proxy; another port and another host are refused', async () => {
    const events: EgressEvent[] = [];
    const before = hits;
    const r = await sandbox.run(
      [
        `curl -sS --max-time 5 -p http://127.0.0.1:${port}/ ; echo "rc1=$?"`,
        `curl -sS --max-time 5 http://127.0.0.1:${port}/ ; echo "rc0=$?"`,
        `curl -sS --max-time 5 -p http://127.0.0.1:${otherPort}/ ; echo "rc2=$?"`,
        `curl -sS --max-time 5 -p http://localhost:${port}/ ; echo "rc3=$?"`,
        `curl -sS --max-time 5 -p http://169.254.169.254:80/ ; echo "rc4=$?"`,
      ].join('\n'),
      undefined,
      [],
      { destinations: parseDestinations([`127.0.0.1:${port}`]), onEvent: (e) => events.push(e) },
    );
    expect(r.output).toContain('hello from the allowlisted server');
    expect(r.output).toContain('rc1=0');
    expect(r.output).toContain('rc0=0'); // plain http through http_proxy
    expect(r.output).not.toContain('must not be seen');
    for (const n of [2, 3, 4]) expect(r.output).toMatch(new RegExp(`rc${n}=[1-9]`));
    expect(r.output).toContain('403');
    expect(hits).toBe(before + 2);
    expect(otherHits).toBe(0);
    expect(events.filter((e) => e.outcome === 'connected').map((e) => e.destination)).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
    const refused = events.filter((e) => e.outcome === 'refused');
    expect(refused.map((e) => e.destination)).toEqual([`127.0.0.1:${otherPort}`, `localhost:${port}`, '169.254.169.254:80']);
    expect(refused.every((e) => e.reason === "not in this familiar's network allowlist")).toBe(true);
  });

  it('EXEC-1: the network namespace stays private even with an allowlist: a direct connection to the host loopback fails', async () => {
    const r = await sandbox.run(
      `bash -c 'echo hi > /dev/tcp/127.0.0.1/${port}' 2>/dev/null && echo DIRECT || echo NODIRECT`,
      undefined,
      [],
      {
        destinations: parseDestinations([`127.0.0.1:${port}`]),
      },
    );
    expect(r.output).toContain('NODIRECT');
  });

  it('EXEC-1: without an allowlist nothing changes: no proxy, no proxy variables, no socket folder, no network', async () => {
    const before = hits;
    const r = await sandbox.run(
      `curl -sS --max-time 3 -x http://127.0.0.1:3128 -p http://127.0.0.1:${port}/; echo "rc=$?"; env | grep -ci proxy; ls /run/hearth-egress 2>&1 || echo NOFOLDER`,
      undefined,
      [],
      { destinations: [] },
    );
    expect(r.output).toMatch(/rc=[1-9]/);
    expect(r.output).toMatch(/^0$/m);
    expect(r.output).toContain('NOFOLDER');
    expect(r.output).not.toContain('hello from the allowlisted server');
    expect(hits).toBe(before);
  });

  it('EXEC-1: a name that resolves to loopback, a private range or the metadata address is refused, the name resolved once', async () => {
    const calls: string[] = [];
    const answers: Record<string, string[]> = {
      'rebind.example': ['127.0.0.1'],
      'mixed.example': ['93.184.216.34', '10.0.0.7'],
      'metadata.example': ['169.254.169.254'],
      'mapped.example': ['::ffff:127.0.0.1'],
    };
    const events: EgressEvent[] = [];
    const proxy = await startEgressProxy({
      destinations: parseDestinations(Object.keys(answers).map((h) => `${h}:${port}`)),
      resolve: async (host) => {
        calls.push(host);
        return answers[host] ?? [];
      },
      onEvent: (e) => events.push(e),
    });
    try {
      const before = hits;
      for (const host of Object.keys(answers)) expect(await connectThrough(proxy, `${host}:${port}`)).toBe('HTTP/1.1 403 Forbidden');
      expect(hits).toBe(before);
      expect(calls).toEqual(Object.keys(answers)); // one resolution each, none repeated for the connection
      expect(events.map((e) => [e.outcome, e.address])).toEqual([
        ['refused', '127.0.0.1'],
        ['refused', '10.0.0.7'],
        ['refused', '169.254.169.254'],
        ['refused', '::ffff:127.0.0.1'],
      ]);
      expect(events.every((e) => /loopback, private or metadata/.test(e.reason ?? ''))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('EXEC-1: the proxy admits only a listed pair: odd forms of an address, other schemes, credentials and unlisted pairs are refused', async () => {
    const events: EgressEvent[] = [];
    const proxy = await startEgressProxy({ destinations: parseDestinations([`127.0.0.1:${port}`]), onEvent: (e) => events.push(e) });
    try {
      for (const target of [
        `2130706433:${port}`,
        `0x7f.0.0.1:${port}`,
        `127.0.0.1:${otherPort}`,
        `[::ffff:127.0.0.1]:${port}`,
        '127.0.0.1',
      ])
        expect(await connectThrough(proxy, target), target).toBe('HTTP/1.1 403 Forbidden');
      expect(await connectThrough(proxy, 'x y')).toBe('HTTP/1.1 400 Bad Request');
      const plain = (path: string) =>
        new Promise<[number, string]>((resolve, reject) => {
          const req = httpRequest({ socketPath: join(proxy.dir, proxy.socketName), path, method: 'GET' }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve([res.statusCode ?? 0, body]));
          });
          req.on('error', reject);
          req.end();
        });
      expect(await plain(`http://127.0.0.1:${otherPort}/`)).toEqual([
        403,
        "Hearth egress proxy: not in this familiar's network allowlist\n",
      ]);
      expect((await plain(`https://127.0.0.1:${port}/`))[0]).toBe(400);
      expect((await plain(`http://user:pw@127.0.0.1:${port}/`))[0]).toBe(400);
      expect((await plain('/relative'))[0]).toBe(400);
      expect(otherHits).toBe(0);
      expect(events.every((e) => e.outcome === 'refused')).toBe(true);
      expect(events).toHaveLength(10);
      // the listed pair, as a tunnel and as a plain proxied request
      expect(await plain(`http://127.0.0.1:${port}/`)).toEqual([200, 'hello from the allowlisted server\n']);
      expect(await connectThrough(proxy, `127.0.0.1:${port}`)).toBe('HTTP/1.1 200 Connection Established');
    } finally {
      await proxy.close();
    }
  });

  it('EXEC-1: the allowlist takes host:port only, refusing wildcards, schemes, bare hosts, numeric hosts and bad ports', () => {
    for (const bad of [
      '*.example.com:443',
      'http://example.com:443',
      'example.com',
      '2130706433:80',
      '::1:80',
      'example.com:0',
      'example.com:70000',
      'a..b:1',
      '',
    ])
      expect(() => parseDestinations([bad]), bad).toThrow(/host:port/);
    expect(parseDestinations(['API.GitHub.com:443', '[::1]:8080', '[0:0:0:0:0:0:0:1]:8080', '10.0.0.5:5432'])).toEqual([
      { host: 'api.github.com', port: 443 },
      { host: '::1', port: 8080 },
      { host: '10.0.0.5', port: 5432 },
    ]);
  });

  it('EXEC-1: closed address ranges are recognised by what they are (v4, v6, IPv4-mapped v6)', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:10.0.0.1',
      '::ffff:7f00:1',
      '224.0.0.1',
    ])
      expect(isClosedAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isClosedAddress(a), a).toBe(false);
  });
});
