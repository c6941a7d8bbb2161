/**
 * A fake Discord voice server on loopback, speaking what Discord's voice servers speak to
 * @discordjs/voice 0.19: voice gateway v8 over TLS, RTP over UDP, and DAVE (protocol version 1,
 * https://daveprotocol.com) end-to-end encryption:
 *
 *   ← Hello (8) {heartbeat_interval}    client → Identify (0) {server_id, user_id, session_id, token, max_dave_protocol_version}
 *   ← Ready (2) {ssrc, ip, port, modes}
 *   UDP IP discovery: 74 bytes, type 1 → type 2 with the address the request came from
 *   client → Select Protocol (1)        ← Session Description (4) {mode, secret_key, dave_protocol_version}
 *   v8: every server message but Hello, Heartbeat ACK and Resumed carries `seq` (binary ones a
 *   uint16 first); Heartbeat (3) {t, seq_ack} ↔ ACK (6) {t}; Resume (7) {…, seq_ack} → Resumed (9)
 *   and the missed messages again. Speaking (5), Clients Connect (11), Client Disconnect (13).
 *   DAVE: ← external sender package (25, binary); client → key package (26, binary);
 *   ← proposals (27, binary); client → commit + welcome (28, binary); ← announce commit (29) or
 *   welcome (30), binary, with a transition id; client → ready for transition (23);
 *   ← execute transition (22); prepare epoch (24) and prepare transition (21) for a group reset;
 *   client → invalid commit/welcome (31).
 *
 * The fake is the MLS delivery service and external sender (discord-voice-mls.ts); the speakers it
 * plays are real DAVE members (@snazzah/davey sessions, OpenMLS), added to and removed from the
 * group by its proposals, committing when they are first. Their Opus frames (RTP, one every 20 ms)
 * are end-to-end encrypted with their sender keys inside the transport encryption (only the
 * `_rtpsize` AEAD modes are offered, AES-256-GCM first); the bot's packets are decrypted with a
 * member's keys and kept with their arrival time.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import OpusScript from 'opusscript';
import Davey, { type DAVESession } from '@snazzah/davey';
import { WebSocketServer, type WebSocket } from 'ws';
import { toDiscordPcm } from '../../src/channels/discord/voice-audio.js';
import { parsePcmWav } from '../../src/voice/index.js';
import { appendProposals, ExternalSender, readCommitWelcome, snowflakeBytes, type CommitWelcome } from './discord-voice-mls.js';
import { selfSignedCertificate } from '../support/certificates.js';

const MODES = ['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'];
/** What a Discord client sends when it stops talking (five of them). */
export const SILENCE_FRAME = Buffer.from([0xf8, 0xff, 0xfe]);

export interface BotPacket {
  /** performance.now() when it arrived. */
  readonly at: number;
  readonly sequence: number;
  /** The media frame inside the transport encryption: DAVE ciphertext when `e2ee`. */
  readonly frame: Buffer;
  readonly e2ee: boolean;
  /** The Opus packet a listener hears (undefined: a DAVE frame no member could decrypt). */
  opus: Buffer | undefined;
}

/** A self-signed certificate for 127.0.0.1, as PEM text. */
function loopbackCertificate(): { key: string; cert: string } {
  const files = selfSignedCertificate({ days: 1, commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1' });
  try {
    return { key: readFileSync(files.key, 'utf8'), cert: readFileSync(files.cert, 'utf8') };
  } finally {
    rmSync(dirname(files.cert), { recursive: true, force: true });
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

interface Speaker {
  readonly userId: string;
  readonly ssrc: number;
  /** Their DAVE session (a real MLS member); undefined when DAVE is off or they have left. */
  dave: DAVESession | undefined;
  /** Their current key package (a new one after each reset). */
  keyPackage: Buffer | undefined;
  /** Key package proposed for them, commit not yet announced. */
  proposed: boolean;
  inGroup: boolean;
}

export interface FakeVoiceOptions {
  /** Expected in Identify. */
  readonly serverId: string;
  readonly userId: string;
  readonly sessionId: string;
  /** The voice channel the bot joined (DAVE's MLS group id), read at each Identify. */
  readonly channelId: () => string;
  /**
   * Accept a client that offers no DAVE (transport encryption only), as Discord did before
   * 1 March 2026; default false: it is closed with 4017 (E2EE/DAVE protocol required), as now.
   */
  readonly allowTransportOnly?: boolean;
  /** Hello's heartbeat_interval (ms). */
  readonly heartbeatMs?: number;
}

/** How long a DAVE group change may take before the fake gives up (a stuck client is a failed test). */
const TRANSITION_TIMEOUT_MS = 10_000;

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
  private readonly speakers = new Map<string, Speaker>();
  private nonce = 0;
  private wsPort = 0;
  private untrust: (() => void) | undefined;
  /** v8 buffering: every sequenced server message of this media session, for replay on Resume. */
  private seq = 0;
  private outbox: Array<{ seq: number; data: string | Buffer }> = [];
  private dropping: WebSocket | undefined;
  // DAVE: the voice server as MLS delivery service and external sender
  private readonly external = new ExternalSender();
  private groupId = Buffer.alloc(8);
  private epoch = 0n;
  private established = false;
  private botKeyPackage: Buffer | undefined;
  private botProposed = false;
  private botInGroup = false;
  /** Who holds each MLS leaf (RFC 9420: an add takes the leftmost blank leaf), to remove the bot by index. */
  private leaves: Array<string | undefined> = [];
  private nextTransition = 1;
  private transition: { id: number; done: () => void; fail: (err: unknown) => void } | undefined;
  private changes: Promise<unknown> = Promise.resolve();
  /** The session the main gateway told the bot about (VOICE_STATE_UPDATE / VOICE_SERVER_UPDATE). */
  readonly token = `voice-${randomBytes(8).toString('hex')}`;
  /** Every voice gateway message the bot sent (binary ones as `{ op, d: Buffer }`), in order. */
  readonly received: Array<{ op: number; d: unknown }> = [];
  /** Every RTP packet the bot sent, transport-decrypted (`frame`) and, when E2EE, DAVE-decrypted (`opus`). */
  readonly botPackets: BotPacket[] = [];
  /** Heartbeats: the client's seq_ack beside the last sequence number sent before it arrived. */
  readonly heartbeats: Array<{ seqAck: number; sent: number }> = [];
  /** Resumes: the client's seq_ack and how many buffered messages were replayed. */
  readonly resumes: Array<{ seqAck: number; replayed: number }> = [];
  /** DAVE transitions executed (each an MLS epoch the bot is in), and commits refused (stale or lost races). */
  readonly transitions: number[] = [];
  readonly ignoredCommits: number[] = [];
  /** dave_mls_invalid_commit_welcome (31) from the bot. */
  readonly invalid: unknown[] = [];
  /** What went wrong inside the fake's own MLS members (a broken commit or welcome): should stay empty. */
  readonly faults: unknown[] = [];
  /** Set once Session Description went out: media may flow. */
  mode: string | undefined;
  /** The DAVE protocol version of this media session (0: transport encryption only). */
  daveVersion = 0;
  /** Connections closed by the bot (it left). */
  closes = 0;
  /** Media sessions started (Identify accepted), and the voice channel of the last one. */
  identifies = 0;
  channelId: string | undefined;
  /** Speaker frames sent end-to-end encrypted (with the speaker's DAVE sender key). */
  e2eeFramesSent = 0;
  /** Welcomes (30) sent to the bot: it joined a group someone else committed. */
  welcomesToBot = 0;

  constructor(readonly options: FakeVoiceOptions) {
    this.https = createServer({ key: this.certificate.key, cert: this.certificate.cert });
    this.wss = new WebSocketServer({ noServer: true });
    this.https.on('upgrade', (req, sock, head) => {
      if (new URL(req.url ?? '/', 'https://127.0.0.1').searchParams.get('v') !== '8') return sock.destroy();
      this.wss.handleUpgrade(req, sock, head, (ws) => this.gateway(ws));
    });
    this.udp.on('message', (msg, rinfo) => this.onUdp(msg, rinfo));
  }

  /** host:port, as VOICE_SERVER_UPDATE's `endpoint` carries it (the client adds wss:// and ?v=8). */
  get endpoint(): string {
    return `127.0.0.1:${this.wsPort}`;
  }

  /** The bot is a member of the current MLS group. */
  get botMember(): boolean {
    return this.botInGroup;
  }

  /** The last sequence number sent (v8). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Resolves when every membership change asked for so far is committed and its transition executed. */
  settled(): Promise<unknown> {
    return this.changes;
  }

  /** End-to-end encryption is on: DAVE negotiated, the bot and at least one speaker in the MLS group. */
  get e2ee(): boolean {
    return this.daveVersion > 0 && this.botInGroup && [...this.speakers.values()].some((s) => s.inGroup);
  }

  /** The MLS group as a member sees it (user ids), empty without one. */
  get groupMembers(): string[] {
    const member = [...this.speakers.values()].find((s) => s.inGroup);
    return member?.dave?.getUserIds() ?? [];
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

  /** A sequenced JSON message (v8: buffered, replayed on Resume). */
  private send(op: number, d: unknown): void {
    const data = JSON.stringify({ op, d, seq: ++this.seq });
    this.outbox.push({ seq: this.seq, data });
    this.socket?.send(data);
  }

  /** A sequenced binary message: uint16 sequence_number, uint8 opcode, payload. */
  private sendBinary(op: number, payload: Buffer): void {
    const data = Buffer.concat([Buffer.from([0, 0, op]), payload]);
    data.writeUInt16BE(++this.seq & 0xffff, 0);
    this.outbox.push({ seq: this.seq, data });
    this.socket?.send(data);
  }

  /** Not sequenced (Hello, Heartbeat ACK, Resumed). */
  private sendNow(ws: WebSocket, op: number, d: unknown): void {
    ws.send(JSON.stringify({ op, d }));
  }

  private gateway(ws: WebSocket): void {
    ws.on('close', () => {
      if (this.dropping === ws) this.dropping = undefined;
      else this.closes++;
      if (this.socket === ws) this.socket = undefined;
    });
    this.sendNow(ws, 8, { heartbeat_interval: this.options.heartbeatMs ?? 13_750 });
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      if (isBinary) {
        // client binary messages: uint8 opcode, payload (no sequence number)
        const op = raw[0]!;
        const payload = raw.subarray(1);
        this.received.push({ op, d: payload });
        if (op === 26) return this.onKeyPackage(payload);
        if (op === 28) return this.onCommitWelcome(payload, undefined);
        return;
      }
      const msg = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> };
      this.received.push(msg);
      if (msg.op === 3) {
        this.heartbeats.push({ seqAck: Number(msg.d.seq_ack), sent: this.seq });
        return this.sendNow(ws, 6, { t: msg.d.t });
      }
      if (msg.op === 0) return this.identify(ws, msg.d);
      if (msg.op === 7) return this.resume(ws, msg.d);
      if (ws !== this.socket) return ws.close(4003, 'Not authenticated');
      if (msg.op === 1) return this.selectProtocol(ws, msg.d);
      if (msg.op === 23) return this.onTransitionReady(Number(msg.d.transition_id));
      if (msg.op === 31) this.onInvalid(msg.d);
    });
  }

  private identify(ws: WebSocket, d: Record<string, unknown>): void {
    const ok =
      d.token === this.token &&
      d.server_id === this.options.serverId &&
      d.user_id === this.options.userId &&
      d.session_id === this.options.sessionId;
    if (!ok) return ws.close(4004, 'Authentication failed');
    const dave = Number(d.max_dave_protocol_version ?? 0) >= 1 ? 1 : 0;
    if (!dave && !this.options.allowTransportOnly) return ws.close(4017, 'E2EE/DAVE protocol required');
    // a new media session: new sequence, new MLS group (the speakers present rejoin it; another
    // channel has other people, who join as they speak)
    this.socket = ws;
    this.identifies++;
    const channelId = this.options.channelId();
    if (this.channelId !== undefined && channelId !== this.channelId) {
      for (const sp of this.speakers.values()) this.resetSpeaker(sp);
      this.speakers.clear();
    }
    this.channelId = channelId;
    this.seq = 0;
    this.outbox = [];
    this.daveVersion = dave;
    this.groupId = snowflakeBytes(channelId);
    this.epoch = 0n;
    this.established = false;
    this.botKeyPackage = undefined;
    this.botProposed = false;
    this.botInGroup = false;
    this.leaves = [];
    this.transition = undefined;
    this.mode = undefined;
    for (const s of this.speakers.values()) this.resetSpeaker(s);
    this.botSsrc = this.nextSsrc++;
    this.send(2, { ssrc: this.botSsrc, ip: '127.0.0.1', port: (this.udp.address() as AddressInfo).port, modes: MODES });
  }

  /**
   * op 7: the same session on a new socket; Resumed (9), then every message after seq_ack again.
   * Resumed goes first: @discordjs/voice 0.19 handles binary (DAVE) messages only once Ready, so
   * a replay before Resumed would lose them (Discord's own order is not documented).
   */
  private resume(ws: WebSocket, d: Record<string, unknown>): void {
    const ok = d.token === this.token && d.server_id === this.options.serverId && d.session_id === this.options.sessionId;
    if (!ok || !this.mode) return ws.close(4006, 'Session no longer valid');
    this.socket = ws;
    const seqAck = Number(d.seq_ack);
    const missed = this.outbox.filter((m) => m.seq > seqAck);
    this.sendNow(ws, 9, null);
    for (const m of missed) ws.send(m.data);
    this.resumes.push({ seqAck, replayed: missed.length });
  }

  private selectProtocol(ws: WebSocket, d: Record<string, unknown>): void {
    const data = d.data as { mode?: string } | undefined;
    if (d.protocol !== 'udp' || !data?.mode || !MODES.includes(data.mode)) return ws.close(4016, 'Unknown encryption mode');
    if (data.mode !== 'aead_aes256_gcm_rtpsize') return ws.close(4016, 'This fake only decrypts aead_aes256_gcm_rtpsize');
    this.secretKey = randomBytes(32);
    this.mode = data.mode;
    this.send(4, {
      mode: data.mode,
      secret_key: [...this.secretKey],
      audio_codec: 'opus',
      media_session_id: 'media',
      dave_protocol_version: this.daveVersion,
    });
    if (this.daveVersion) this.sendBinary(25, this.external.package());
    const present = [...this.speakers.values()];
    if (present.length) this.send(11, { user_ids: present.map((s) => s.userId) });
    if (this.daveVersion) for (const s of present) this.daveFor(s);
  }

  // ---- DAVE (https://daveprotocol.com): membership changes one at a time, each a commit and a transition

  private resetSpeaker(s: Speaker): void {
    s.dave?.reset();
    s.dave = undefined;
    s.keyPackage = undefined;
    s.proposed = false;
    s.inGroup = false;
  }

  /** A speaker's local DAVE session, pending: the external sender set, a fresh key package. */
  private daveFor(s: Speaker): void {
    s.dave ??= new Davey.DAVESession(1, s.userId, this.channelId!);
    s.dave.setExternalSender(this.external.package());
    s.keyPackage = s.dave.getSerializedKeyPackage();
  }

  private members(): Speaker[] {
    return [...this.speakers.values()].filter((s) => s.inGroup);
  }

  /** Runs one membership change after the previous one finished (Discord delays proposals likewise). */
  private change(run: () => Promise<void> | void): Promise<void> {
    const next = this.changes.then(run);
    this.changes = next.catch(() => undefined);
    return next;
  }

  /**
   * dave_mls_proposals (27) to every member (and, before the group exists, to the bot's pending
   * group). A speaker who is a member commits at once, so their commit wins; otherwise the bot's.
   * Resolves when the transition executed.
   */
  private async propose(messages: Buffer[]): Promise<void> {
    const payload = appendProposals(messages);
    let done!: () => void;
    let fail!: (err: unknown) => void;
    const executed = new Promise<void>((resolve, reject) => {
      done = resolve;
      fail = reject;
    });
    let winner: Buffer | undefined;
    let committer: Speaker | undefined;
    for (const m of this.members()) {
      const known = [this.options.userId, ...[...this.speakers.keys()].filter((id) => id !== m.userId)];
      const r = m.dave!.processProposals(0, payload.subarray(1), known); // 0: append
      if (r.commit && !winner) {
        winner = r.welcome ? Buffer.concat([r.commit, r.welcome]) : r.commit;
        committer = m;
      }
    }
    this.transition = { id: 0, done, fail };
    if (this.botInGroup || !this.established) this.sendBinary(27, payload);
    if (winner) this.onCommitWelcome(winner, committer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      executed,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('DAVE transition timed out')), TRANSITION_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
  }

  /** A key package from the bot: it is added (first the group is created, with the bot committing). */
  private onKeyPackage(keyPackage: Buffer): void {
    this.botKeyPackage = keyPackage;
    this.botProposed = false;
    void this.change(() => this.admitPending()).catch((err: unknown) => this.faults.push(err));
  }

  /** Proposes every pending member (the bot, speakers with a key package) that can be added now. */
  private async admitPending(): Promise<void> {
    if (!this.daveVersion || !this.botKeyPackage || !this.mode) return;
    const pending = [...this.speakers.values()].filter((s) => !s.inGroup && s.keyPackage);
    const adds: Buffer[] = [];
    this.adding = [];
    if (!this.established) {
      // initial group creation: the bot's local group (leaf 0) takes the pending speakers in
      this.leaves = [this.options.userId];
    } else if (!this.botInGroup && !this.botProposed) {
      adds.push(this.external.add(this.groupId, this.epoch, this.botKeyPackage));
      this.adding.push(this.options.userId);
      this.botProposed = true;
    }
    for (const s of pending) {
      adds.push(this.external.add(this.groupId, this.epoch, s.keyPackage!));
      this.adding.push(s.userId);
      s.proposed = true;
    }
    if (adds.length) await this.propose(adds);
  }

  /** Users proposed for adding, in proposal order (the committer adds them in that order). */
  private adding: string[] = [];

  /**
   * dave_mls_invalid_commit_welcome (31): the bot could not use a commit or welcome (or, for
   * @discordjs/voice, too many frames failed to decrypt) and starts over. It is removed from the
   * group and added again from the key package it sends next; if that leaves one member, the
   * group is reset and made anew with the bot.
   */
  private onInvalid(d: unknown): void {
    this.invalid.push(d);
    void this.change(async () => {
      if (!this.botInGroup) return;
      this.botInGroup = false;
      const leaf = this.leaves.indexOf(this.options.userId);
      if (this.members().length <= 1) {
        this.established = false;
        this.epoch = 0n;
        this.leaves = [];
        for (const s of this.speakers.values()) {
          this.resetSpeaker(s);
          this.daveFor(s);
        }
        return;
      }
      if (leaf === -1) throw new Error('fake voice: the bot has no leaf');
      this.leaves[leaf] = undefined;
      await this.propose([this.external.remove(this.groupId, this.epoch, leaf)]);
    }).catch((err: unknown) => this.faults.push(err));
  }

  /**
   * dave_mls_commit_welcome (28): the first commit for the current epoch wins and is announced
   * (29) to members with a new transition id; those it adds get the Welcome (30). Others are dropped.
   */
  private onCommitWelcome(payload: Buffer, from: Speaker | undefined): void {
    let cw: CommitWelcome;
    try {
      cw = readCommitWelcome(payload);
    } catch {
      this.ignoredCommits.push(-1);
      return;
    }
    if (!cw.groupId.equals(this.groupId) || cw.epoch !== this.epoch || !this.transition || this.transition.id !== 0) {
      this.ignoredCommits.push(Number(cw.epoch));
      return;
    }
    try {
      this.announce(cw, from);
    } catch (err) {
      this.faults.push(err);
      this.transition.fail(err);
      this.transition = undefined;
    }
  }

  private announce(cw: CommitWelcome, from: Speaker | undefined): void {
    if (!this.transition) return;
    const id = this.nextTransition++;
    this.transition.id = id;
    this.epoch++;
    this.established = true;
    for (const user of cw.welcome ? this.adding.splice(0) : []) {
      const blank = this.leaves.indexOf(undefined);
      if (blank === -1) this.leaves.push(user);
      else this.leaves[blank] = user;
    }
    for (const m of this.members()) m.dave!.processCommit(cw.commit);
    for (const s of this.speakers.values()) {
      if (!s.proposed) continue;
      s.dave!.processWelcome(cw.welcome!);
      s.proposed = false;
      s.inGroup = true;
    }
    for (const m of this.members())
      if (this.leaves[m.dave!.ownLeafIndex!] !== m.userId) throw new Error(`fake voice: lost track of the MLS leaves (${m.userId})`);
    if (this.botInGroup || from === undefined) {
      this.botInGroup = true;
      const head = Buffer.alloc(2);
      head.writeUInt16BE(id);
      this.sendBinary(29, Buffer.concat([head, cw.commit]));
    } else if (this.botProposed) {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(id);
      this.sendBinary(30, Buffer.concat([head, cw.welcome!]));
      this.welcomesToBot++;
      this.botProposed = false;
      this.botInGroup = true;
    } else this.onTransitionReady(id); // the bot is not part of it
  }

  /** dave_protocol_ready_for_transition (23) from the bot: the speakers are ready already, so execute (22). */
  private onTransitionReady(id: number): void {
    if (!this.transition || this.transition.id !== id) return;
    const { done } = this.transition;
    this.transition = undefined;
    this.send(22, { transition_id: id });
    this.transitions.push(id);
    done();
  }

  /** Someone joins the voice channel's media session (clients_connect, 11), and with DAVE the MLS group. */
  async connect(userId: string): Promise<void> {
    if (this.speakers.has(userId)) return;
    const s: Speaker = { userId, ssrc: this.nextSsrc++, dave: undefined, keyPackage: undefined, proposed: false, inGroup: false };
    this.speakers.set(userId, s);
    if (!this.mode) return;
    this.send(11, { user_ids: [userId] });
    if (this.daveVersion) this.daveFor(s);
    await this.change(() => this.admitPending());
  }

  /** Someone leaves (client_disconnect, 13): removed from the group, or, when only the bot remains, the group is reset. */
  async disconnect(userId: string): Promise<void> {
    const s = this.speakers.get(userId);
    if (!s) return;
    this.speakers.delete(userId);
    this.send(13, { user_id: userId });
    if (!this.daveVersion || !s.inGroup) return this.resetSpeaker(s);
    await this.change(async () => {
      const leaf = s.dave!.ownLeafIndex!;
      this.resetSpeaker(s);
      if (this.members().length === 0) {
        // sole member reset: the bot is told to start a new group (prepare_epoch 1, then transition 0)
        this.established = false;
        this.epoch = 0n;
        this.botInGroup = false;
        this.botKeyPackage = undefined;
        this.leaves = [];
        this.send(24, { protocol_version: 1, epoch: 1 });
        this.send(21, { protocol_version: 1, transition_id: 0 });
        return;
      }
      this.leaves[leaf] = undefined;
      await this.propose([this.external.remove(this.groupId, this.epoch, leaf)]);
    });
  }

  /** Ends the WebSocket abruptly (a network blip): the client resumes with its last seq_ack. */
  dropConnection(): void {
    this.dropping = this.socket;
    this.socket?.terminate();
    this.socket = undefined;
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
    const frame = this.decrypt(msg);
    if (!frame) return;
    const packet: BotPacket = { at: performance.now(), sequence: msg.readUInt16BE(2), frame, e2ee: isDaveFrame(frame), opus: frame };
    if (packet.e2ee) {
      // what any member of the group hears: the bot's frame decrypted with its sender key
      const member = this.members()[0];
      try {
        packet.opus = member ? member.dave!.decrypt(this.options.userId, 0, frame) : undefined; // 0: audio
      } catch {
        packet.opus = undefined;
      }
    }
    this.botPackets.push(packet);
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
   * A person speaks: they join the media session (and the DAVE group) first if they have not,
   * Speaking (5) maps their SSRC, then one RTP packet every 20 ms (its Opus frame end-to-end
   * encrypted with their DAVE sender key once E2EE is on), then the five silence frames a client
   * ends with. `tamper` flips a bit of each encrypted frame: what an SFU or anyone without the
   * group's keys could send. Resolves with when the first and last packets left.
   */
  async speak(userId: string, packets: readonly Buffer[], opts: { tamper?: boolean } = {}): Promise<{ firstAt: number; lastAt: number }> {
    if (!this.client || !this.secretKey) throw new Error('the bot is not connected');
    await this.connect(userId);
    await this.changes; // their admission to the group is complete
    const s = this.speakers.get(userId)!;
    this.send(5, { user_id: userId, ssrc: s.ssrc, speaking: 1 });
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
      header.writeUInt32BE(s.ssrc, 8);
      sequence = (sequence + 1) & 0xffff;
      timestamp = (timestamp + 960) % 2 ** 32;
      let frame = opus;
      if (s.inGroup && s.dave?.ready && !opus.equals(SILENCE_FRAME)) {
        frame = Buffer.from(s.dave.encryptOpus(opus));
        this.e2eeFramesSent++;
        if (opts.tamper) frame[1]! ^= 0x01;
      }
      this.udp.send(this.encrypt(header, frame), this.client.port, this.client.address);
      lastAt = performance.now();
      if (i === 0) firstAt = lastAt;
    }
    return { firstAt, lastAt };
  }
}

/** DAVE's protocol frame check: a frame ends with the 0xFAFA magic marker. */
export function isDaveFrame(frame: Buffer): boolean {
  return frame.length > 2 && frame.readUInt16BE(frame.length - 2) === 0xfafa;
}
