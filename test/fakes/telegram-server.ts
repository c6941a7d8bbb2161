import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message the bot sent, as the fake received it. */
export interface SentMessage {
  readonly method: string;
  readonly chat_id: number | string;
  readonly text?: string;
  readonly parse_mode?: string;
  readonly action?: string;
}

/**
 * A fake Telegram Bot API on loopback speaking the real wire protocol (POST /bot<token>/<method>,
 * `{ ok, result }` / `{ ok: false, error_code, description }`, long-polled getUpdates with offsets),
 * so the real grammY client runs against it unchanged.
 */
export class FakeTelegram {
  readonly calls: SentMessage[] = [];
  private readonly server: Server;
  private updates: Array<{ update_id: number } & Record<string, unknown>> = [];
  private nextUpdateId = 1;
  private nextMessageId = 1;
  private waiters: Array<() => void> = [];
  /** Set to make the next sendMessage fail with this description (e.g. one echoing the token). */
  failNextSend: string | undefined;

  constructor(readonly token: string) {
    this.server = createServer((req, res) => {
      void this.handle(req).then((body) => {
        res.writeHead(body.ok ? 200 : ((body.error_code as number | undefined) ?? 400), { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const w of this.waiters.splice(0)) w();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Queues a private-chat text message from a Telegram user. */
  userSays(from: { id: number; username?: string }, text: string): void {
    this.updates.push({
      update_id: this.nextUpdateId++,
      message: {
        message_id: this.nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        text,
        chat: { id: from.id, type: 'private', first_name: from.username ?? 'someone' },
        from: { id: from.id, is_bot: false, first_name: from.username ?? 'someone', ...(from.username ? { username: from.username } : {}) },
      },
    });
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `n` messages have been sent to `chatId`. */
  async messagesTo(chatId: number, n: number, timeoutMs = 10_000): Promise<SentMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.calls.filter((c) => c.method === 'sendMessage' && String(c.chat_id) === String(chatId));
      if (got.length >= n) return got;
      if (Date.now() > deadline) throw new Error(`expected ${n} messages to ${chatId}, got ${got.length}: ${JSON.stringify(got)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async handle(req: IncomingMessage): Promise<Record<string, unknown>> {
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!match || match[1] !== this.token) return { ok: false, error_code: 401, description: 'Unauthorized' };
    const raw = Buffer.concat(chunks).toString('utf8');
    const params = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    const method = match[2]!;
    switch (method) {
      case 'getMe':
        return {
          ok: true,
          result: {
            id: 999,
            is_bot: true,
            first_name: 'Hearth',
            username: 'hearth_test_bot',
            can_join_groups: false,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
          },
        };
      case 'deleteWebhook':
        return { ok: true, result: true };
      case 'getUpdates':
        return { ok: true, result: await this.getUpdates(Number(params.offset ?? 0), Number(params.timeout ?? 0)) };
      case 'sendChatAction':
        this.calls.push({ method, chat_id: params.chat_id as number, action: params.action as string });
        return { ok: true, result: true };
      case 'sendMessage': {
        if (this.failNextSend !== undefined) {
          const description = this.failNextSend;
          this.failNextSend = undefined;
          return { ok: false, error_code: 400, description };
        }
        this.calls.push({
          method,
          chat_id: params.chat_id as number,
          text: params.text as string,
          parse_mode: params.parse_mode as string,
        });
        return {
          ok: true,
          result: { message_id: this.nextMessageId++, date: 0, chat: { id: params.chat_id, type: 'private' }, text: params.text },
        };
      }
      default:
        return { ok: false, error_code: 404, description: 'Not Found: method not found' };
    }
  }

  private async getUpdates(offset: number, timeoutSec: number): Promise<unknown[]> {
    this.updates = this.updates.filter((u) => u.update_id >= offset);
    if (this.updates.length === 0 && timeoutSec > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(timeoutSec * 1000, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.updates.slice(0, 100);
  }
}
