import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message the bot sent, as the fake received it. */
export interface SentMessage {
  readonly method: string;
  readonly chat_id: number | string;
  readonly text?: string;
  readonly parse_mode?: string;
  readonly action?: string;
  /** Inline keyboard of a sendMessage or editMessageReplyMarkup, as sent. */
  readonly reply_markup?: { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> };
  readonly message_id?: number;
  /** answerCallbackQuery: the id answered and the toast text. */
  readonly callback_query_id?: string;
  /** sendDocument: the file as sent, and its caption. */
  readonly document?: { name: string; content: string };
  readonly caption?: string;
  /** sendVoice: the audio bytes as sent. */
  readonly voice?: Buffer;
}

/** Fields of a multipart body: plain values as strings, files as `{ name, content }` (Telegram accepts unquoted filenames, as grammY sends them). */
function parseMultipart(contentType: string, body: Buffer, encoding: BufferEncoding = 'utf8'): Record<string, unknown> {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2] ?? '';
  const fields: Record<string, unknown> = {};
  for (const part of body.toString(encoding).split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const value = part.slice(split + 4).replace(/\r\n$/, '');
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (!name) continue;
    const filename = /filename=(?:"([^"]*)"|([^;\r\n]+))/i.exec(headers);
    fields[name] = filename ? { name: filename[1] ?? filename[2]!, content: value } : value;
  }
  return fields;
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
  /** Files users sent (voice notes), by file_id, served at /file/bot<token>/<file_path> as the Bot API does. */
  private readonly files = new Map<string, Buffer>();
  /** Other bots served on this same Bot API root (as api.telegram.org serves every bot), each with its own state. */
  private readonly peers: FakeTelegram[] = [];
  /** getUpdates calls answered for this bot: a stopped bot stops asking. */
  polls = 0;

  constructor(
    readonly token: string,
    /** What getMe answers: the bot's username (its id is the token's numeric part, as on Telegram). */
    readonly username = 'hearth_test_bot',
  ) {
    this.server = createServer((req, res) => {
      const peer = this.peers.find((p) => (req.url ?? '').startsWith(`/bot${p.token}/`));
      if (peer) return void peer.respond(req, res);
      const file = /^\/file\/bot([^/]+)\/voice\/(\w+)\.oga$/.exec(req.url ?? '');
      if (file) {
        const bytes = file[1] === this.token ? this.files.get(file[2]!) : undefined;
        res.writeHead(bytes ? 200 : 404, { 'content-type': 'application/octet-stream' });
        return void res.end(bytes ?? '');
      }
      this.respond(req, res);
    });
  }

  /** Serves `other` bot too, at this fake's address (its own updates, calls and getMe). */
  serve(other: FakeTelegram): void {
    this.peers.push(other);
  }

  private respond(req: IncomingMessage, res: ServerResponse): void {
    void this.handle(req).then((body) => {
      res.writeHead(body.ok ? 200 : ((body.error_code as number | undefined) ?? 400), { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const w of this.waiters.splice(0)) w();
    for (const p of this.peers) for (const w of p.waiters.splice(0)) w();
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

  /** Queues a private-chat voice note (OGG/Opus bytes) from a Telegram user; `fileSize` overrides the size Telegram reports. */
  userSendsVoice(from: { id: number; username?: string }, audio: Buffer, options: { fileSize?: number } = {}): void {
    const fileId = `voice${this.nextUpdateId}x${this.files.size}`;
    this.files.set(fileId, audio);
    this.updates.push({
      update_id: this.nextUpdateId++,
      message: {
        message_id: this.nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        voice: {
          file_id: fileId,
          file_unique_id: `u${fileId}`,
          duration: 3,
          mime_type: 'audio/ogg',
          file_size: options.fileSize ?? audio.length,
        },
        chat: { id: from.id, type: 'private', first_name: from.username ?? 'someone' },
        from: { id: from.id, is_bot: false, first_name: from.username ?? 'someone', ...(from.username ? { username: from.username } : {}) },
      },
    });
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * A user presses an inline-keyboard button under a bot message in `chatId` (their private chat
   * unless given): a callback_query update carrying exactly the button's data. Returns its id.
   */
  userPresses(from: { id: number; username?: string }, data: string, message: { chatId?: number; messageId?: number } = {}): string {
    const id = String(this.nextUpdateId * 1000 + 7);
    const chatId = message.chatId ?? from.id;
    this.updates.push({
      update_id: this.nextUpdateId++,
      callback_query: {
        id,
        from: { id: from.id, is_bot: false, first_name: from.username ?? 'someone', ...(from.username ? { username: from.username } : {}) },
        chat_instance: `ci${chatId}`,
        data,
        message: {
          message_id: message.messageId ?? 1,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: 'private', first_name: 'someone' },
          from: { id: 999, is_bot: true, first_name: 'Hearth', username: 'hearth_test_bot' },
          text: 'approval request',
        },
      },
    });
    for (const w of this.waiters.splice(0)) w();
    return id;
  }

  /** Resolves once `n` answers to button presses have been sent. */
  async callbackAnswers(n: number, timeoutMs = 10_000): Promise<SentMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.calls.filter((c) => c.method === 'answerCallbackQuery');
      if (got.length >= n) return got;
      if (Date.now() > deadline) throw new Error(`expected ${n} callback answers, got ${got.length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
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
    const type = req.headers['content-type'] ?? '';
    // a file upload (sendDocument) comes as multipart/form-data, in grammY's terse (but valid) header style
    const form = type.startsWith('multipart/form-data') ? parseMultipart(type, Buffer.concat(chunks)) : undefined;
    const params = (form ?? (raw ? JSON.parse(raw) : {})) as Record<string, unknown>;
    const method = match[2]!;
    switch (method) {
      case 'getMe':
        return {
          ok: true,
          result: {
            id: Number(this.token.split(':')[0]) || 999,
            is_bot: true,
            first_name: 'Hearth',
            username: this.username,
            can_join_groups: false,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
          },
        };
      case 'deleteWebhook':
        return { ok: true, result: true };
      case 'getUpdates':
        this.polls++;
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
        const messageId = this.nextMessageId++;
        this.calls.push({
          method,
          chat_id: params.chat_id as number,
          text: params.text as string,
          parse_mode: params.parse_mode as string,
          message_id: messageId,
          ...(params.reply_markup ? { reply_markup: params.reply_markup as SentMessage['reply_markup'] } : {}),
        });
        return {
          ok: true,
          result: { message_id: messageId, date: 0, chat: { id: params.chat_id, type: 'private' }, text: params.text },
        };
      }
      case 'sendDocument': {
        const ref = typeof params.document === 'string' ? /^attach:\/\/(.+)$/.exec(params.document)?.[1] : undefined;
        const file = (ref ? params[ref] : params.document) as { name: string; content: string };
        const messageId = this.nextMessageId++;
        this.calls.push({
          method,
          chat_id: params.chat_id as string,
          message_id: messageId,
          caption: params.caption as string,
          document: { name: file.name, content: file.content },
        });
        return { ok: true, result: { message_id: messageId, date: 0, chat: { id: Number(params.chat_id), type: 'private' } } };
      }
      case 'getFile': {
        const bytes = this.files.get(String(params.file_id));
        if (!bytes) return { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' };
        const fileId = String(params.file_id);
        return {
          ok: true,
          result: { file_id: fileId, file_unique_id: `u${fileId}`, file_size: bytes.length, file_path: `voice/${fileId}.oga` },
        };
      }
      case 'sendVoice': {
        // binary-safe: the file part is read back byte for byte
        const binary = parseMultipart(type, Buffer.concat(chunks), 'latin1');
        const ref = typeof binary.voice === 'string' ? /^attach:\/\/(.+)$/.exec(binary.voice)?.[1] : undefined;
        const file = (ref ? binary[ref] : binary.voice) as { name: string; content: string };
        const messageId = this.nextMessageId++;
        this.calls.push({ method, chat_id: String(binary.chat_id), message_id: messageId, voice: Buffer.from(file.content, 'latin1') });
        return { ok: true, result: { message_id: messageId, date: 0, chat: { id: Number(binary.chat_id), type: 'private' } } };
      }
      case 'answerCallbackQuery':
        this.calls.push({ method, chat_id: '', callback_query_id: params.callback_query_id as string, text: params.text as string });
        return { ok: true, result: true };
      case 'editMessageReplyMarkup':
        this.calls.push({
          method,
          chat_id: params.chat_id as number,
          message_id: params.message_id as number,
          reply_markup: params.reply_markup as SentMessage['reply_markup'],
        });
        return { ok: true, result: true };
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
