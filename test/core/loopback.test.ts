import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isTlsOrLoopback } from '../../src/core/index.js';

/** The oracle: node's own address matcher over the loopback ranges. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

const octets = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
/** The spellings of one IPv4 address that WHATWG URL (like inet_aton) accepts. */
function ipv4Forms(n: number): string[] {
  const [a, b, c, d] = octets(n) as [number, number, number, number];
  return [
    `${a}.${b}.${c}.${d}`,
    String(n),
    `0x${n.toString(16)}`,
    `0X${n.toString(16).toUpperCase()}`,
    `0${n.toString(8)}`,
    `${a}.${(b << 16) | (c << 8) | d}`,
    `${a}.${b}.${(c << 8) | d}`,
    `0x${a.toString(16)}.${b}.0${c.toString(8)}.${d}`,
    `0${a.toString(8)}.0x${b.toString(16)}.${c}.${d}`,
    `${a}.${b}.${c}.${d}.`,
  ];
}
const v4 = fc.integer({ min: 0, max: 0xffff_ffff });
const trailingDots = fc.integer({ min: 0, max: 3 }).map((k) => '.'.repeat(k));

describe('#15 mcp: one loopback check for all of Hearth (LLM-5, EXEC-2)', () => {
  it('IPv4: 127.0.0.0/8 in every form WHATWG URL parses (decimal, hex, octal, short forms, trailing dot), nothing else', () => {
    fc.assert(
      fc.property(v4, (n) => {
        const expected = n >>> 24 === 127;
        for (const form of ipv4Forms(n)) {
          expect(isLoopbackHost(form), form).toBe(expected);
          // the same answer for the host as a URL carries it
          const host = new URL(`http://${form}:80/`).hostname;
          expect(isLoopbackHost(host), form).toBe(expected);
          expect(LOOPBACK.check(host, 'ipv4')).toBe(expected);
        }
      }),
      { numRuns: 500 },
    );
    // and the loopback range itself, densely
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xff_ffff }), (low) => {
        for (const form of ipv4Forms((127 << 24) + low)) expect(isLoopbackHost(form), form).toBe(true);
      }),
    );
  });

  it('IPv6: ::1 and ::ffff:127.x.y.z in any spelling, bracketed or not; other addresses are not', () => {
    for (const host of [
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '0000:0000::0001',
      '[0::1]',
      '::ffff:127.0.0.1',
      '[::ffff:7f00:1]',
      '::FFFF:7F12:3456',
    ])
      expect(isLoopbackHost(host), host).toBe(true);
    fc.assert(
      fc.property(v4, fc.boolean(), (n, dotted) => {
        const [a, b, c, d] = octets(n) as [number, number, number, number];
        const tail = dotted ? `${a}.${b}.${c}.${d}` : `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        const mapped = `::ffff:${tail}`;
        expect(isLoopbackHost(mapped), mapped).toBe(a === 127);
        expect(isLoopbackHost(`[${mapped}]`), mapped).toBe(a === 127);
        // IPv4-compatible (deprecated) ::a.b.c.d is no loopback on Linux
        expect(isLoopbackHost(`::${tail}`)).toBe(n === 1);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
        expect(isLoopbackHost(ip), ip).toBe(LOOPBACK.check(host, 'ipv6'));
      }),
      { numRuns: 500 },
    );
  });

  it('names: localhost in any case and with trailing dots; nothing that merely contains it', () => {
    const caseOf = (s: string) =>
      fc
        .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
        .map((up) => [...s].map((ch, i) => (up[i] ? ch.toUpperCase() : ch)).join(''));
    fc.assert(
      fc.property(caseOf('localhost'), trailingDots, (name, dots) => {
        expect(isLoopbackHost(`${name}${dots}`)).toBe(true);
        expect(isLoopbackHost(`${name}.evil.example`)).toBe(false);
        expect(isLoopbackHost(`evil.${name}`)).toBe(false); // resolved through DNS by Node
      }),
    );
    fc.assert(
      fc.property(fc.domain(), (name) => {
        fc.pre(name.replace(/\.+$/, '').toLowerCase() !== 'localhost');
        expect(isLoopbackHost(name), name).toBe(false);
      }),
    );
    for (const host of ['', '0.0.0.0', '::', '127.0.0.1.evil.example', 'evil.example@127.0.0.1', '127.0.0.1:80', 'fe80::1%lo', '1.2.3.4.5'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('the URL rule: https anywhere, http only to loopback, every other scheme refused', () => {
    fc.assert(
      fc.property(v4, fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 9 }), (n, port, form) => {
        const host = ipv4Forms(n)[form]!;
        expect(isTlsOrLoopback(new URL(`https://${host}:${port}/mcp`))).toBe(true);
        expect(isTlsOrLoopback(new URL(`http://${host}:${port}/mcp`))).toBe(n >>> 24 === 127);
        expect(isTlsOrLoopback(new URL(`ws://${host}:${port}/mcp`))).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(isTlsOrLoopback(new URL('http://user:pw@127.0.0.1/'))).toBe(true);
    expect(isTlsOrLoopback(new URL('http://127.0.0.1.nip.io/'))).toBe(false);
    expect(isTlsOrLoopback(new URL('file:///etc/passwd'))).toBe(false);
  });
});
