import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface TwitchCall {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown> | undefined;
  readonly authorization: string | undefined;
}

/**
 * A fake Twitch on loopback in the layout of the Twitch CLI mock server, which twurple targets
 * when TWURPLE_MOCK_API_PORT is set: Helix under /mock, /eventsub/subscriptions, /auth, and the
 * EventSub WebSocket at /ws (session_welcome, keepalive, notification messages).
 */
export class FakeTwitch {
  readonly calls: TwitchCall[] = [];
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private socket: WebSocket | undefined;
  /** The chat subscription of each channel joined (broadcaster id → subscription id); several share the socket. */
  private readonly subscriptions = new Map<string, string>();
  port = 0;
  /** Set to make the next chat send fail with this status and message. */
  failNextSend: { status: number; message: string } | undefined;
  /** User ids that follow the broadcaster (Helix GET /channels/followers). */
  readonly followers = new Set<string>();

  constructor(
    readonly token: string,
    readonly clientId: string,
    readonly botUserId: string,
  ) {
    this.http = createServer((req, res) => {
      void this.rest(req).then(({ status, body }) => {
        // Helix's rate-limit headers: without them twurple's limiter holds every request after the first
        const limits = {
          'ratelimit-limit': '800',
          'ratelimit-remaining': '799',
          'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60),
        };
        if (body === undefined) res.writeHead(status, limits).end();
        else res.writeHead(status, { ...limits, 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, sock, head) => this.wss.handleUpgrade(req, sock, head, (ws) => this.welcome(ws)));
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.http.listen(0, '127.0.0.1', r));
    this.port = (this.http.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private welcome(ws: WebSocket): void {
    this.socket = ws;
    ws.send(
      JSON.stringify({
        metadata: { message_id: randomUUID(), message_type: 'session_welcome', message_timestamp: new Date().toISOString() },
        payload: {
          session: {
            id: `session-${randomUUID()}`,
            status: 'connected',
            connected_at: new Date().toISOString(),
            keepalive_timeout_seconds: 60,
            reconnect_url: null,
          },
        },
      }),
    );
  }

  /** The channels the bot has a chat subscription for now. */
  joined(): string[] {
    return [...this.subscriptions.keys()].sort();
  }

  /**
   * A viewer writes in the broadcaster's chat; badges like `{ moderator: '1' }`. Delivered only when the
   * bot subscribed to that channel, as Twitch does. `source`: a shared-chat message sent in another channel.
   */
  viewerSays(opts: {
    broadcasterId: string;
    userId: string;
    login: string;
    text: string;
    badges?: Record<string, string>;
    source?: { broadcasterId: string; badges?: Record<string, string> };
  }): void {
    const subscriptionId = this.subscriptions.get(opts.broadcasterId);
    if (!subscriptionId) return;
    const badgeList = (b: Record<string, string> | undefined) => Object.entries(b ?? {}).map(([set_id, id]) => ({ set_id, id, info: '' }));
    const subscription = {
      id: subscriptionId,
      status: 'enabled',
      type: 'channel.chat.message',
      version: '1',
      cost: 0,
      condition: { broadcaster_user_id: opts.broadcasterId, user_id: this.botUserId },
      transport: { method: 'websocket', session_id: 'x' },
      created_at: new Date().toISOString(),
    };
    this.socket?.send(
      JSON.stringify({
        metadata: {
          message_id: randomUUID(),
          message_type: 'notification',
          message_timestamp: new Date().toISOString(),
          subscription_type: 'channel.chat.message',
          subscription_version: '1',
        },
        payload: {
          subscription,
          event: {
            broadcaster_user_id: opts.broadcasterId,
            broadcaster_user_login: 'streamer',
            broadcaster_user_name: 'Streamer',
            chatter_user_id: opts.userId,
            chatter_user_login: opts.login,
            chatter_user_name: opts.login,
            message_id: randomUUID(),
            message: { text: opts.text, fragments: [{ type: 'text', text: opts.text, cheermote: null, emote: null, mention: null }] },
            color: '',
            badges: badgeList(opts.badges),
            message_type: 'text',
            cheer: null,
            reply: null,
            channel_points_custom_reward_id: null,
            source_broadcaster_user_id: opts.source?.broadcasterId ?? null,
            source_broadcaster_user_login: opts.source ? 'other' : null,
            source_broadcaster_user_name: opts.source ? 'Other' : null,
            source_message_id: opts.source ? randomUUID() : null,
            source_badges: opts.source ? badgeList(opts.source.badges) : null,
          },
        },
      }),
    );
  }

  /** Whispers the bot sent: to whom, and what. */
  whispers(): Array<{ to: string; text: string }> {
    return this.calls
      .filter((c) => c.path === '/mock/whispers')
      .map((c) => ({ to: String(c.query.get('to_user_id')), text: String(c.body?.message) }));
  }

  /** Chat messages the bot sent (to one channel's chat, or to any). */
  sent(broadcasterId?: string): string[] {
    return this.calls
      .filter((c) => c.path === '/mock/chat/messages')
      .filter((c) => broadcasterId === undefined || c.query.get('broadcaster_id') === broadcasterId)
      .map((c) => String(c.body?.message));
  }

  private async rest(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const call: TwitchCall = {
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      body: raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined,
      authorization: req.headers.authorization,
    };
    const bearer = `Bearer ${this.token}`;
    if (path === '/auth/validate') {
      if (req.headers.authorization !== `OAuth ${this.token}` && req.headers.authorization !== bearer)
        return { status: 401, body: { status: 401, message: 'invalid access token' } };
      return {
        status: 200,
        body: {
          client_id: this.clientId,
          login: 'hearthbot',
          scopes: ['user:read:chat', 'user:write:chat'],
          user_id: this.botUserId,
          expires_in: 3600,
        },
      };
    }
    if (call.authorization !== bearer || req.headers['client-id'] !== this.clientId)
      return { status: 401, body: { error: 'Unauthorized', status: 401, message: 'Invalid OAuth token' } };
    this.calls.push(call);
    if (path === '/eventsub/subscriptions' && call.method === 'DELETE') {
      const id = call.query.get('id');
      const entry = [...this.subscriptions].find(([, sub]) => sub === id);
      if (!entry) return { status: 404, body: { error: 'Not Found', status: 404, message: 'subscription not found' } };
      this.subscriptions.delete(entry[0]);
      return { status: 204, body: undefined };
    }
    if (path === '/eventsub/subscriptions' && call.method === 'POST') {
      const subscriptionId = randomUUID();
      const condition = call.body?.condition as { broadcaster_user_id?: string } | undefined;
      if (condition?.broadcaster_user_id) this.subscriptions.set(condition.broadcaster_user_id, subscriptionId);
      return {
        status: 202,
        body: {
          data: [
            {
              id: subscriptionId,
              status: 'enabled',
              type: call.body?.type,
              version: call.body?.version,
              condition: call.body?.condition,
              transport: call.body?.transport,
              created_at: new Date().toISOString(),
              cost: 0,
            },
          ],
          total: 1,
          total_cost: 0,
          max_total_cost: 10,
        },
      };
    }
    if (path === '/mock/chat/messages' && call.method === 'POST') {
      if (this.failNextSend) {
        const f = this.failNextSend;
        this.failNextSend = undefined;
        return { status: f.status, body: { error: 'Forbidden', status: f.status, message: f.message } };
      }
      return { status: 200, body: { data: [{ message_id: randomUUID(), is_sent: true, drop_reason: null }] } };
    }
    if (path === '/mock/whispers' && call.method === 'POST') {
      if (call.query.get('from_user_id') !== this.botUserId)
        return { status: 403, body: { status: 403, message: 'from_user_id must match the token' } };
      return { status: 204, body: undefined };
    }
    if (path === '/mock/channels/followers' && call.method === 'GET') {
      const user = call.query.get('user_id');
      const data =
        user && this.followers.has(user)
          ? [{ user_id: user, user_login: `u${user}`, user_name: `u${user}`, followed_at: new Date().toISOString() }]
          : [];
      return { status: 200, body: { data, total: data.length, pagination: {} } };
    }
    return { status: 404, body: { error: 'Not Found', status: 404, message: `no route ${path}` } };
  }
}
