import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export const BOT_ID = '900000000000000001';
export const APP_ID = '900000000000000002';

export interface RestCall {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown> | undefined;
  readonly authorization: string | undefined;
  /** Files of a multipart request (an attachment), as sent. */
  readonly files?: ReadonlyArray<{ name: string; content: string }>;
}

/** A multipart/form-data body as Discord reads it: `payload_json` plus `files[n]` (parsed by undici's own FormData). */
async function multipart(
  contentType: string,
  raw: Buffer,
): Promise<{ body: Record<string, unknown>; files: Array<{ name: string; content: string }> }> {
  const form = await new Request('http://fake.invalid/', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: new Uint8Array(raw),
  }).formData();
  const files: Array<{ name: string; content: string }> = [];
  let body: Record<string, unknown> = {};
  for (const [key, value] of form) {
    if (key === 'payload_json' && typeof value === 'string') body = JSON.parse(value) as Record<string, unknown>;
    else if (typeof value !== 'string') files.push({ name: value.name, content: await value.text() });
  }
  return { body, files };
}

/**
 * A fake Discord on loopback speaking the real wire protocol: REST under /api/v10 (gateway/bot,
 * channel messages, interaction callbacks, command registration, DMs) and a JSON gateway
 * (HELLO, IDENTIFY→READY, GUILD_CREATE, heartbeats, dispatches), so discord.js runs unchanged.
 */
/** A guild's roles as Discord sends them (the gateway's GUILD_CREATE and REST alike): @everyone, then the test's roles. */
function guildRoles(guild: { readonly id: string; readonly roleIds?: readonly string[] | undefined }) {
  return [guild.id, ...(guild.roleIds ?? [])].map((id, position) => ({
    id,
    name: position ? `role${position}` : '@everyone',
    permissions: '3072',
    position,
    color: 0,
    hoist: false,
    managed: false,
    mentionable: false,
    flags: 0,
  }));
}

export class FakeDiscord {
  readonly calls: RestCall[] = [];
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private socket: WebSocket | undefined;
  private seq = 0;
  private nextId = 1000;
  private port = 0;
  /** Set to make the next channel message fail with this status and message. */
  failNextMessage: { status: number; message: string } | undefined;
  /** Voice (CH-5): where VOICE_SERVER_UPDATE sends the bot (a FakeDiscordVoice); unset = no voice server. */
  voiceServer: { endpoint: string; token: string } | undefined;
  /** The bot's voice session id, as VOICE_STATE_UPDATE tells it. */
  readonly voiceSessionId = 'voice-session-1';
  /** Who is in which voice channel (user id → state), as the gateway reports it. */
  readonly voiceStates = new Map<string, { guildId: string; channelId: string | null; roles: string[]; bot: boolean }>();
  /** The intents the bot identified with (gateway op 2). */
  intents: number | undefined;
  /** How many IDENTIFYs (op 2) and which RESUMEs (op 6) the gateway received. */
  identifies = 0;
  readonly resumes: Array<{ session_id: string; seq: number }> = [];
  /** Gateway upgrades are refused (HTTP 503) while set. */
  refuseConnections = false;
  /**
   * As Discord does for a bot with several sessions open (two replicas each running it): every
   * session gets each message and interaction, not only the latest one. Off: the latest only.
   */
  everySession = false;
  private readonly sessions = new Set<WebSocket>();
  private readonly dispatched: Array<{ op: number; t: string; s: number; d: unknown }> = [];
  /** The bot's Update Voice State requests (gateway op 4), in order. */
  readonly voiceRequests: Array<{ guild_id: string; channel_id: string | null; self_mute: boolean; self_deaf: boolean }> = [];

  constructor(
    readonly token: string,
    readonly guilds: Array<{ id: string; channelId: string; roleIds?: string[]; voiceChannelId?: string }>,
  ) {
    this.http = createServer((req, res) => {
      void this.rest(req).then(({ status, body }) => {
        if (body === undefined) res.writeHead(status).end();
        else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, sock, head) => {
      if (this.refuseConnections) return sock.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      this.wss.handleUpgrade(req, sock, head, (ws) => this.gateway(ws));
    });
  }

  get restApi(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.http.listen(0, '127.0.0.1', r));
    this.port = (this.http.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private dispatch(t: string, d: unknown): void {
    const event = { op: 0, t, s: ++this.seq, d };
    // Kept for a RESUME (op 6): what was sent after its sequence is sent again, even while no bot was connected.
    this.dispatched.push(event);
    this.socket?.send(JSON.stringify(event));
    if (this.everySession && (t === 'MESSAGE_CREATE' || t === 'INTERACTION_CREATE'))
      for (const ws of this.sessions) if (ws !== this.socket) ws.send(JSON.stringify(event));
  }

  /** Cuts every gateway connection without a close frame (a killed process), and with `refuse` turns new ones away. */
  dropConnections(refuse: boolean): void {
    this.refuseConnections = refuse;
    for (const c of this.wss.clients) c.terminate();
    this.socket = undefined;
  }

  /** A user writes in a guild channel (mentioning the bot when `mention`) or, without guild, in a DM. */
  userSays(opts: { userId: string; guildId?: string; channelId: string; content: string; roles?: string[]; mention?: boolean }): void {
    const author = {
      id: opts.userId,
      username: `user${opts.userId.slice(-4)}`,
      discriminator: '0',
      global_name: null,
      avatar: null,
      bot: false,
    };
    this.dispatch('MESSAGE_CREATE', {
      id: String(this.nextId++),
      channel_id: opts.channelId,
      author,
      content: opts.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: opts.mention ? [{ id: BOT_ID, username: 'hearth', discriminator: '0', bot: true, global_name: null, avatar: null }] : [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      flags: 0,
      channel_type: opts.guildId ? 0 : 1,
      ...(opts.guildId
        ? {
            guild_id: opts.guildId,
            member: { roles: opts.roles ?? [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
          }
        : {}),
    });
  }

  private voiceStatePayload(userId: string, s: { guildId: string; channelId: string | null; roles: string[]; bot: boolean }) {
    const user = { id: userId, username: `user${userId.slice(-4)}`, discriminator: '0', global_name: null, avatar: null, bot: s.bot };
    return {
      guild_id: s.guildId,
      channel_id: s.channelId,
      user_id: userId,
      member: { user, roles: s.roles, joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
      session_id: userId === BOT_ID ? this.voiceSessionId : `s${userId}`,
      deaf: false,
      mute: false,
      self_deaf: false,
      self_mute: false,
      self_video: false,
      suppress: false,
      request_to_speak_timestamp: null,
    };
  }

  /**
   * A user joins (or, with `channelId: null`, leaves) a voice channel: VOICE_STATE_UPDATE. `silent`:
   * Discord knows the member (GET /guilds/:id/members/:user answers) but the bot was never told, so
   * its cache lacks them.
   */
  userVoice(opts: { userId: string; guildId: string; channelId: string | null; roles?: string[]; bot?: boolean; silent?: boolean }): void {
    const state = { guildId: opts.guildId, channelId: opts.channelId, roles: opts.roles ?? [], bot: opts.bot ?? false };
    this.voiceStates.set(opts.userId, state);
    if (!opts.silent) this.dispatch('VOICE_STATE_UPDATE', this.voiceStatePayload(opts.userId, state));
  }

  /** Someone with Move Members moves the bot to another voice channel: its new state, then the voice server for it. */
  moveBot(guildId: string, channelId: string): void {
    const state = { guildId, channelId, roles: [], bot: true };
    this.voiceStates.set(BOT_ID, state);
    this.dispatch('VOICE_STATE_UPDATE', this.voiceStatePayload(BOT_ID, state));
    if (this.voiceServer)
      this.dispatch('VOICE_SERVER_UPDATE', { token: this.voiceServer.token, guild_id: guildId, endpoint: this.voiceServer.endpoint });
  }

  /** The bot's Update Voice State (op 4): its new state, then (joining) the voice server to connect to. */
  private onVoiceRequest(d: { guild_id: string; channel_id: string | null; self_mute: boolean; self_deaf: boolean }): void {
    this.voiceRequests.push(d);
    const state = { guildId: d.guild_id, channelId: d.channel_id, roles: [], bot: true };
    this.voiceStates.set(BOT_ID, state);
    this.dispatch('VOICE_STATE_UPDATE', { ...this.voiceStatePayload(BOT_ID, state), self_deaf: d.self_deaf, self_mute: d.self_mute });
    if (d.channel_id && this.voiceServer)
      this.dispatch('VOICE_SERVER_UPDATE', { token: this.voiceServer.token, guild_id: d.guild_id, endpoint: this.voiceServer.endpoint });
  }

  /** A user runs a slash command. */
  slash(opts: {
    userId: string;
    guildId?: string;
    channelId: string;
    name: string;
    options?: Array<{ name: string; value: string | number }>;
    roles?: string[];
  }): string {
    const id = String(this.nextId++);
    const user = {
      id: opts.userId,
      username: `user${opts.userId.slice(-4)}`,
      discriminator: '0',
      global_name: null,
      avatar: null,
      bot: false,
    };
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: APP_ID,
      type: 2,
      token: `itok${id}`,
      version: 1,
      channel_id: opts.channelId,
      app_permissions: '0',
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: {},
      context: opts.guildId ? 0 : 1,
      channel: { id: opts.channelId, type: opts.guildId ? 0 : 1 },
      data: {
        id: String(this.nextId++),
        name: opts.name,
        type: 1,
        options: (opts.options ?? []).map((o) => ({ ...o, type: typeof o.value === 'number' ? 4 : 3 })),
      },
      ...(opts.guildId
        ? {
            guild_id: opts.guildId,
            member: {
              user,
              roles: opts.roles ?? [],
              permissions: '0',
              joined_at: new Date().toISOString(),
              deaf: false,
              mute: false,
              flags: 0,
            },
          }
        : { user }),
    });
    return id;
  }

  /**
   * A user presses a button (component type 2) under a bot message in `channelId` (a DM unless
   * `guildId`): a MESSAGE_COMPONENT interaction carrying exactly the button's custom id. Returns its id.
   */
  userPresses(opts: { userId: string; channelId: string; customId: string; messageId?: string; guildId?: string }): string {
    const id = String(this.nextId++);
    const user = {
      id: opts.userId,
      username: `user${opts.userId.slice(-4)}`,
      discriminator: '0',
      global_name: null,
      avatar: null,
      bot: false,
    };
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: APP_ID,
      type: 3,
      token: `itok${id}`,
      version: 1,
      channel_id: opts.channelId,
      app_permissions: '0',
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: {},
      context: opts.guildId ? 0 : 1,
      channel: { id: opts.channelId, type: opts.guildId ? 0 : 1 },
      data: { custom_id: opts.customId, component_type: 2 },
      message: {
        id: opts.messageId ?? String(this.nextId++),
        channel_id: opts.channelId,
        content: 'approval request',
        author: { id: BOT_ID, username: 'hearth', discriminator: '0', bot: true, global_name: null, avatar: null },
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        tts: false,
        mention_everyone: false,
        mentions: [],
        mention_roles: [],
        attachments: [],
        embeds: [],
        components: [],
        pinned: false,
        type: 0,
        flags: 0,
      },
      ...(opts.guildId
        ? {
            guild_id: opts.guildId,
            member: { user, roles: [], permissions: '0', joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
          }
        : { user }),
    });
    return id;
  }

  /** Waits until a REST call matches. */
  async waitFor(pred: (c: RestCall) => boolean, n = 1, timeoutMs = 10_000): Promise<RestCall[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.calls.filter(pred);
      if (got.length >= n) return got;
      if (Date.now() > deadline) throw new Error(`timed out; calls: ${JSON.stringify(this.calls.map((c) => `${c.method} ${c.path}`))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private gateway(ws: WebSocket): void {
    this.socket = ws;
    ws.on('close', () => {
      this.sessions.delete(ws);
      if (this.socket === ws) this.socket = undefined;
    });
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null }));
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { op: number; d: { token?: string; intents?: number } };
      if (msg.op === 1) ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      if (msg.op === 4) this.onVoiceRequest(msg.d as unknown as Parameters<FakeDiscord['onVoiceRequest']>[0]);
      if (msg.op === 6) {
        const d = msg.d as unknown as { token: string; session_id: string; seq: number };
        if (d.token !== this.token) return ws.close(4004, 'Authentication failed.');
        this.resumes.push({ session_id: d.session_id, seq: d.seq });
        // an unknown session cannot be resumed: INVALID_SESSION (not resumable), the bot identifies afresh
        if (d.session_id !== 'sess') return ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
        for (const e of this.dispatched.filter((x) => x.s > d.seq)) ws.send(JSON.stringify(e));
        this.dispatch('RESUMED', null);
        this.sessions.add(ws);
      }
      if (msg.op === 2) {
        if (msg.d.token !== this.token) return ws.close(4004, 'Authentication failed.');
        this.identifies++;
        this.intents = msg.d.intents;
        this.sessions.add(ws);
        const url = `ws://127.0.0.1:${this.port}`;
        this.dispatch('READY', {
          v: 10,
          user: { id: BOT_ID, username: 'hearth', discriminator: '0', bot: true, global_name: null, avatar: null, flags: 0 },
          guilds: this.guilds.map((g) => ({ id: g.id, unavailable: true })),
          session_id: 'sess',
          resume_gateway_url: url,
          application: { id: APP_ID, flags: 0 },
          private_channels: [],
          relationships: [],
        });
        for (const g of this.guilds) {
          this.dispatch('GUILD_CREATE', {
            id: g.id,
            name: `guild ${g.id}`,
            icon: null,
            owner_id: '1',
            afk_timeout: 300,
            verification_level: 0,
            default_message_notifications: 0,
            explicit_content_filter: 0,
            roles: guildRoles(g),
            emojis: [],
            features: [],
            mfa_level: 0,
            system_channel_flags: 0,
            premium_tier: 0,
            preferred_locale: 'en-US',
            nsfw_level: 0,
            stickers: [],
            joined_at: new Date().toISOString(),
            large: false,
            member_count: 2,
            members: [],
            voice_states: [...this.voiceStates]
              .filter(([, v]) => v.guildId === g.id && v.channelId)
              .map(([id, v]) => this.voiceStatePayload(id, v)),
            presences: [],
            threads: [],
            stage_instances: [],
            guild_scheduled_events: [],
            soundboard_sounds: [],
            unavailable: false,
            channels: [
              {
                id: g.channelId,
                type: 0,
                name: 'general',
                position: 0,
                permission_overwrites: [],
                guild_id: g.id,
                nsfw: false,
                parent_id: null,
              },
              ...(g.voiceChannelId
                ? [
                    {
                      id: g.voiceChannelId,
                      type: 2,
                      name: 'voice',
                      position: 1,
                      permission_overwrites: [],
                      guild_id: g.id,
                      nsfw: false,
                      parent_id: null,
                      bitrate: 64_000,
                      user_limit: 0,
                      rtc_region: null,
                    },
                  ]
                : []),
            ],
          });
        }
      }
    });
  }

  private async rest(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = decodeURIComponent((req.url ?? '').replace(/^\/api\/v10/, '').split('?')[0]!);
    const type = req.headers['content-type'] ?? '';
    const form = type.startsWith('multipart/form-data') ? await multipart(type, Buffer.concat(chunks)) : undefined;
    const call: RestCall = {
      method: req.method ?? 'GET',
      path,
      body: form ? form.body : raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined,
      authorization: req.headers.authorization,
      ...(form ? { files: form.files } : {}),
    };
    const isInteraction = path.startsWith('/interactions/') || path.startsWith('/webhooks/');
    if (!isInteraction && call.authorization !== `Bot ${this.token}`)
      return { status: 401, body: { message: '401: Unauthorized', code: 0 } };
    this.calls.push(call);
    if (path === '/gateway/bot') {
      return {
        status: 200,
        body: {
          url: `ws://127.0.0.1:${this.port}`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
        },
      };
    }
    if (/^\/applications\/\d+\/commands$/.test(path)) return { status: 200, body: [] };
    if (path === '/users/@me/channels')
      return {
        status: 200,
        body: {
          id: `dm${String(call.body?.recipient_id)}`,
          type: 1,
          recipients: [{ id: call.body?.recipient_id, username: 'someone', discriminator: '0' }],
        },
      };
    // A guild by id (what a replica that RESUMEd, and so got no GUILD_CREATE, fetches): its roles.
    const guild = this.guilds.find((g) => path === `/guilds/${g.id}`);
    if (guild)
      return {
        status: 200,
        body: {
          id: guild.id,
          name: `guild ${guild.id}`,
          icon: null,
          owner_id: '1',
          roles: guildRoles(guild),
          emojis: [],
          features: [],
        },
      };
    const member = /^\/guilds\/(\d+)\/members\/(\d+)$/.exec(path);
    if (member) {
      const v = this.voiceStates.get(member[2]!);
      if (!v) return { status: 404, body: { message: 'Unknown Member', code: 10007 } };
      return { status: 200, body: this.voiceStatePayload(member[2]!, v).member };
    }
    if (/^\/users\/\d+$/.test(path))
      return {
        status: 200,
        body: { id: path.split('/')[2], username: 'someone', discriminator: '0', bot: false, global_name: null, avatar: null },
      };
    const m = /^\/channels\/([^/]+)\/(messages|typing)$/.exec(path);
    if (m?.[2] === 'typing') return { status: 204, body: undefined };
    if (m) {
      if (this.failNextMessage) {
        const f = this.failNextMessage;
        this.failNextMessage = undefined;
        return { status: f.status, body: { message: f.message, code: 50001 } };
      }
      return {
        status: 200,
        body: {
          id: String(this.nextId++),
          channel_id: m[1],
          content: call.body?.content ?? '',
          author: { id: BOT_ID, username: 'hearth', discriminator: '0', bot: true },
          timestamp: new Date().toISOString(),
          edited_timestamp: null,
          tts: false,
          mention_everyone: false,
          mentions: [],
          mention_roles: [],
          attachments: [],
          embeds: [],
          pinned: false,
          type: 0,
        },
      };
    }
    if (/^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) return { status: 204, body: undefined };
    if (/^\/webhooks\/\d+\/[^/]+\/messages\/@original$/.test(path)) {
      return {
        status: 200,
        body: {
          id: String(this.nextId++),
          channel_id: '0',
          content: call.body?.content ?? '',
          embeds: call.body?.embeds ?? [],
          author: { id: BOT_ID, username: 'hearth', discriminator: '0', bot: true },
          timestamp: new Date().toISOString(),
          edited_timestamp: null,
          tts: false,
          mention_everyone: false,
          mentions: [],
          mention_roles: [],
          attachments: [],
          pinned: false,
          type: 0,
        },
      };
    }
    return { status: 404, body: { message: '404: Not Found', code: 0 } };
  }
}
