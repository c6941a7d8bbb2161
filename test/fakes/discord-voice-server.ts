/**
 * A fake Discord voice server on loopback, speaking the protocol @discordjs/voice 0.18 speaks
 * (voice gateway v4 over TLS, then RTP over UDP):
 *
 *   client → Identify (0) {server_id, user_id, session_id, token}   ← Hello (8) {heartbeat_interval}
 *          ← Ready (2) {ssrc, ip, port, modes}
 *   UDP IP discovery: 74 bytes, type 1 → type 2 with the address the request came from
 *   client → Select Protocol (1) {protocol: "udp", data: {address, port, mode}}
 *          ← Session Description (4) {mode, secret_key}
 *   Heartbeat (3) ↔ Heartbeat ACK (6); Speaking (5) both ways; Client Disconnect (13).
 *
 * Only the `_rtpsize` AEAD modes are offered (AES-256-GCM first) and no DAVE (end-to-end
 * encryption): 0.18 does not speak it. The fake plays speakers (Opus packets, RTP, encrypted,
 * one every 20 ms) and decrypts and keeps every packet the bot sends, with its arrival time.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import OpusScript from 'opusscript';
import { WebSocketServer, type WebSocket } from 'ws';
import { toDiscordPcm } from '../../src/channels/discord/voice-audio.js';
import { parsePcmWav } from '../../src/voice/index.js';

const MODES = ['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'];
/** What a Discord client sends when it stops talking (five of them). */
export const SILENCE_FRAME = Buffer.from([0xf8, 0xff, 0xfe]);

export interface BotPacket {
  /** performance.now() when it arrived. */
  readonly at: number;
  readonly sequence: number;
  readonly opus: Buffer;
}

/** A self-signed certificate for 127.0.0.1 (the real openssl, as test/server/headers.test.ts makes one). */
function loopbackCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-voice-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Speech (a PCM WAV, e.g. from espeak-ng) as Discord's 20 ms 48 kHz stereo Opus packets. */
export function opusPackets(wav: Buffer): Buffer[] {
  const parsed = parsePcmWav(wav);
  if (!parsed) throw new Error('not a PCM WAV');
  const pcm = toDiscordPcm(parsed.pcm, parsed.rate, parsed.channels);
  const encoder = new OpusScript(48_000, 2, OpusScript.Application.AUDIO);
  const frame = 960 * 4;
  const packets: Buffer[] = [];
  try {
    for (let at = 0; at + frame <= pcm.length; at += frame) packets.push(Buffer.from(encoder.encode(pcm.subarray(at, at + frame), 960)));
  } finally {
    encoder.delete();
  }
  return packets;
}

/** Loudness (RMS of the samples) of Opus packets, decoded: tells speech from silence. */
export function loudness(packets: readonly Buffer[]): number {
  const decoder = new OpusScript(48_000, 2, OpusScript.Application.AUDIO);
  let sum = 0;
  let n = 0;
  try {
    for (const p of packets) {
      const pcm = Buffer.from(decoder.decode(p));
      for (let i = 0; i + 1 < pcm.length; i += 2) {
        const v = pcm.readInt16LE(i);
        sum += v * v;
        n++;
      }
    }
  } finally {
    decoder.delete();
  }
  return n ? Math.sqrt(sum / n) : 0;
}

export class FakeDiscordVoice {
  private readonly https: Server;
  private readonly wss: WebSocketServer;
  private readonly udp: Socket = createSocket('udp4');
  private readonly certificate = loopbackCertificate();
  private socket: WebSocket | undefined;
  private client: RemoteInfo | undefined;
  private secretKey: Buffer | undefined;
  private botSsrc = 0;
  private nextSsrc = 1000;
  private readonly ssrcs = new Map<string, number>();
  private nonce = 0;
  private wsPort = 0;
  private untrust: (() => void) | undefined;
  /** The session the main gateway told the bot about (VOICE_STATE_UPDATE / VOICE_SERVER_UPDATE). */
  readonly token = `voice-${randomBytes(8).toString('hex')}`;
  /** Every voice gateway message the bot sent, in order. */
  readonly received: Array<{ op: number; d: unknown }> = [];
  /** Every RTP packet the bot sent, decrypted. */
  readonly botPackets: BotPacket[] = [];
  /** Set once Session Description went out: media may flow. */
  mode: string | undefined;
  /** Connections closed by the bot (it left). */
  closes = 0;

  constructor(
    /** Expected in Identify. */
    readonly expected: { serverId: string; userId: string; sessionId: string },
  ) {
    this.https = createServer({ key: this.certificate.key, cert: this.certificate.cert });
    this.wss = new WebSocketServer({ noServer: true });
    this.https.on('upgrade', (req, sock, head) => {
      if (new URL(req.url ?? '/', 'https://127.0.0.1').searchParams.get('v') !== '4') return sock.destroy();
      this.wss.handleUpgrade(req, sock, head, (ws) => this.gateway(ws));
    });
    this.udp.on('message', (msg, rinfo) => this.onUdp(msg, rinfo));
  }

  /** host:port, as VOICE_SERVER_UPDATE's `endpoint` carries it (the client adds wss:// and ?v=4). */
  get endpoint(): string {
    return `127.0.0.1:${this.wsPort}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.https.listen(0, '127.0.0.1', r));
    this.wsPort = (this.https.address() as AddressInfo).port;
    await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', r));
    this.trustCertificate();
  }

  /**
   * @discordjs/voice connects to `wss://` with ws's defaults, so this process must trust the fake's
   * certificate: its CA is added to TLS connections to this fake's port, and only those.
   */
  private trustCertificate(): void {
    const original = tls.connect;
    const port = this.wsPort;
    const ca = this.certificate.cert;
    const patched = ((...args: Parameters<typeof tls.connect>) => {
      const [first] = args;
      if (typeof first === 'object' && first !== null && Number((first as tls.ConnectionOptions).port) === port)
        return original({ ...(first as tls.ConnectionOptions), ca });
      return (original as (...a: unknown[]) => tls.TLSSocket)(...args);
    }) as typeof tls.connect;
    tls.connect = patched;
    this.untrust = () => {
      if (tls.connect === patched) tls.connect = original;
    };
  }

  async close(): Promise<void> {
    this.untrust?.();
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.https.closeAllConnections();
    await new Promise<void>((r) => this.https.close(() => r()));
    await new Promise<void>((r) => this.udp.close(() => r()));
  }

  private send(op: number, d: unknown): void {
    this.socket?.send(JSON.stringify({ op, d }));
  }

  private gateway(ws: WebSocket): void {
    this.socket = ws;
    ws.on('close', () => {
      this.closes++;
      if (this.socket === ws) this.socket = undefined;
    });
    ws.send(JSON.stringify({ op: 8, d: { heartbeat_interval: 13_750 } }));
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> };
      this.received.push(msg);
      if (msg.op === 3) return this.send(6, msg.d);
      if (msg.op === 0) {
        const d = msg.d;
        const ok =
          d.token === this.token &&
          d.server_id === this.expected.serverId &&
          d.user_id === this.expected.userId &&
          d.session_id === this.expected.sessionId;
        if (!ok) return ws.close(4004, 'Authentication failed');
        this.botSsrc = this.nextSsrc++;
        return this.send(2, { ssrc: this.botSsrc, ip: '127.0.0.1', port: (this.udp.address() as AddressInfo).port, modes: MODES });
      }
      if (msg.op === 1) {
        const data = msg.d.data as { mode?: string } | undefined;
        if (msg.d.protocol !== 'udp' || !data?.mode || !MODES.includes(data.mode)) return ws.close(4016, 'Unknown encryption mode');
        if (data.mode !== 'aead_aes256_gcm_rtpsize') return ws.close(4016, 'This fake only decrypts aead_aes256_gcm_rtpsize');
        this.secretKey = randomBytes(32);
        this.mode = data.mode;
        return this.send(4, { mode: data.mode, secret_key: [...this.secretKey], audio_codec: 'opus', media_session_id: 'media' });
      }
    });
  }

  private onUdp(msg: Buffer, rinfo: RemoteInfo): void {
    // IP discovery: type 1, length 70, ssrc, then the answer carries the address as seen from here
    if (msg.length === 74 && msg.readUInt16BE(0) === 1) {
      this.client = rinfo;
      const reply = Buffer.alloc(74);
      reply.writeUInt16BE(2, 0);
      reply.writeUInt16BE(70, 2);
      reply.writeUInt32BE(msg.readUInt32BE(4), 4);
      reply.write(rinfo.address, 8, 'utf8');
      reply.writeUInt16BE(rinfo.port, 72);
      this.udp.send(reply, rinfo.port, rinfo.address);
      return;
    }
    if (msg.length <= 12 + 16 + 4 || (msg[0]! & 0xc0) !== 0x80 || !this.secretKey) return; // keep-alives
    const opus = this.decrypt(msg);
    if (opus) this.botPackets.push({ at: performance.now(), sequence: msg.readUInt16BE(2), opus });
  }

  /** aead_aes256_gcm_rtpsize: the RTP header (and extension header) authenticated, the 4-byte nonce counter at the end. */
  private decrypt(packet: Buffer): Buffer | undefined {
    const headerSize = packet[0]! & 0x10 ? 16 : 12;
    const nonce = Buffer.alloc(12);
    packet.copy(nonce, 0, packet.length - 4);
    const decipher = createDecipheriv('aes-256-gcm', this.secretKey!, nonce);
    decipher.setAAD(packet.subarray(0, headerSize));
    decipher.setAuthTag(packet.subarray(packet.length - 20, packet.length - 4));
    try {
      return Buffer.concat([decipher.update(packet.subarray(headerSize, packet.length - 20)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  private encrypt(header: Buffer, opus: Buffer): Buffer {
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(++this.nonce >>> 0, 0);
    const cipher = createCipheriv('aes-256-gcm', this.secretKey!, nonce);
    cipher.setAAD(header);
    return Buffer.concat([header, cipher.update(opus), cipher.final(), cipher.getAuthTag(), nonce.subarray(0, 4)]);
  }

  /**
   * A person speaks: Speaking (5) maps their SSRC, then one encrypted RTP packet every 20 ms, then
   * the five silence frames a client ends with. Resolves with when the first packet left.
   */
  async speak(userId: string, packets: readonly Buffer[]): Promise<{ firstAt: number; lastAt: number }> {
    if (!this.client || !this.secretKey) throw new Error('the bot is not connected');
    let ssrc = this.ssrcs.get(userId);
    if (ssrc === undefined) {
      ssrc = this.nextSsrc++;
      this.ssrcs.set(userId, ssrc);
    }
    this.send(5, { user_id: userId, ssrc, speaking: 1 });
    await new Promise((r) => setTimeout(r, 20)); // the mapping arrives before the media, as with Discord
    const all = [...packets, ...Array.from({ length: 5 }, () => SILENCE_FRAME)];
    let sequence = Math.floor(Math.random() * 65_536);
    let timestamp = Math.floor(Math.random() * 2 ** 32);
    const start = performance.now();
    let firstAt = 0;
    let lastAt = 0;
    for (const [i, opus] of all.entries()) {
      // paced by the clock, not by the sum of timer delays, so a slow tick does not stretch the speech
      const due = start + i * 20;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = 0x78;
      header.writeUInt16BE(sequence, 2);
      header.writeUInt32BE(timestamp >>> 0, 4);
      header.writeUInt32BE(ssrc, 8);
      sequence = (sequence + 1) & 0xffff;
      timestamp = (timestamp + 960) % 2 ** 32;
      this.udp.send(this.encrypt(header, opus), this.client.port, this.client.address);
      lastAt = performance.now();
      if (i === 0) firstAt = lastAt;
    }
    return { firstAt, lastAt };
  }

  /** A person left the voice channel (Client Disconnect, 13). */
  disconnect(userId: string): void {
    this.send(13, { user_id: userId });
  }
}
