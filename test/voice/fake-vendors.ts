/**
 * Loopback fakes of two speech vendors, speaking their real wire protocols:
 *   - Deepgram live transcription: a WebSocket at `/v1/listen` (key in `Authorization: Token …`,
 *     a refused handshake is a 401 with Deepgram's error body); binary linear16 frames in, an
 *     interim `Results` (`is_final: false`) for each second heard, `{"type":"KeepAlive"}` counted,
 *     `{"type":"Finalize"}` answered with the final `Results` (`is_final`, the last `speech_final`,
 *     `from_finalize`), `{"type":"CloseStream"}` with any finals not yet sent, `Metadata`, and a close.
 *   - Cartesia: `POST /tts/bytes` (`Authorization: Bearer …`, `Cartesia-Version`), JSON in, a WAV
 *     of the asked format out (a tenth of a second per word).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { pcmToWav } from '../../src/voice/audio.js';

export interface FakeDeepgram {
  /** Base URL for a provider: http://127.0.0.1:PORT/v1 */
  readonly url: string;
  /** Each stream: its handshake's URL and Authorization header, and the audio bytes it got before CloseStream. */
  readonly streams: Array<{
    url: string;
    authorization: string | undefined;
    audioBytes: number;
    frames: number;
    keepAlives: number;
    finalized: boolean;
    closedByClient: boolean;
  }>;
  /** The final results sent for each stream, in order (joined by the client). */
  finals: string[];
  /** Streams still open (a client that went away must have closed its side). */
  openStreams(): number;
  close(): Promise<void>;
}

export async function startFakeDeepgram(options: { apiKey: string; finals?: string[] }): Promise<FakeDeepgram> {
  const server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true });
  const fake: FakeDeepgram = {
    url: '',
    streams: [],
    finals: options.finals ?? ['tell me', 'about the sea'],
    openStreams: () => wss.clients.size,
    close: async () => undefined,
  };
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/listen') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (req.headers.authorization !== `Token ${options.apiKey}`) {
      const body = JSON.stringify({ err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.', request_id: 'r-1' });
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\ndg-error: Invalid credentials.\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = {
        url: req.url ?? '',
        authorization: req.headers.authorization,
        audioBytes: 0,
        frames: 0,
        keepAlives: 0,
        finalized: false,
        closedByClient: false,
      };
      fake.streams.push(stream);
      const results = (transcript: string, isFinal: boolean, start: number, extra: Record<string, unknown> = {}) =>
        JSON.stringify({
          type: 'Results',
          channel_index: [0, 1],
          duration: 1,
          start,
          is_final: isFinal,
          speech_final: false,
          channel: { alternatives: [{ transcript, confidence: 0.98, words: [] }] },
          metadata: { request_id: 'r-1', model_info: { name: 'general', version: '1', arch: 'nova-2' } },
          ...extra,
        });
      let heardSeconds = 0;
      let finalsSent = false;
      const sendFinals = () => {
        if (finalsSent) return;
        finalsSent = true;
        const last = fake.finals.length - 1;
        fake.finals.forEach((t, i) => ws.send(results(t, true, i, { speech_final: i === last, from_finalize: stream.finalized })));
      };
      ws.on('message', (data, binary) => {
        if (binary) {
          stream.frames++;
          stream.audioBytes += (data as Buffer).length;
          // An interim guess for each whole second heard, not to be kept.
          while (stream.audioBytes >= (heardSeconds + 1) * 32_000) ws.send(results(fake.finals[0] ?? '', false, heardSeconds++));
          return;
        }
        const message = JSON.parse(data.toString()) as { type?: string };
        if (message.type === 'KeepAlive') stream.keepAlives++;
        if (message.type === 'Finalize') {
          stream.finalized = true;
          sendFinals();
        }
        if (message.type !== 'CloseStream') return;
        stream.closedByClient = true;
        sendFinals();
        const seconds = stream.audioBytes / 32_000;
        ws.send(JSON.stringify({ type: 'Metadata', transaction_key: 'deprecated', request_id: 'r-1', duration: seconds, channels: 1 }));
        ws.close(1000);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  Object.assign(fake, { url: `http://127.0.0.1:${port}/v1` });
  fake.close = async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  };
  return fake;
}

export interface FakeCartesia {
  /** Base URL for a provider: http://127.0.0.1:PORT */
  readonly url: string;
  readonly requests: Array<{ authorization: string | undefined; version: string | undefined; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startFakeCartesia(options: { apiKey: string }): Promise<FakeCartesia> {
  const requests: FakeCartesia['requests'] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/tts/bytes') return json(404, { error: 'Not found' });
      if (req.headers.authorization !== `Bearer ${options.apiKey}`) return json(401, { error: 'Invalid API key' });
      if (!req.headers['cartesia-version']) return json(400, { error: 'Cartesia-Version header is required' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        transcript?: string;
        model_id?: string;
        voice?: { mode?: string; id?: string };
        output_format?: { container?: string; encoding?: string; sample_rate?: number };
      };
      requests.push({ authorization: req.headers.authorization, version: req.headers['cartesia-version'] as string, body });
      const format = body.output_format;
      if (!body.transcript || !body.model_id || body.voice?.mode !== 'id' || !body.voice.id) return json(400, { error: 'Invalid request' });
      if (format?.container !== 'wav' || format.encoding !== 'pcm_s16le' || !format.sample_rate)
        return json(400, { error: 'Unsupported output format' });
      const words = body.transcript.split(/\s+/).filter(Boolean).length;
      const samples = Math.round(format.sample_rate * 0.1 * words);
      res.writeHead(200, { 'content-type': 'audio/wav' });
      res.end(pcmToWav(Buffer.alloc(samples * 2, 0x10), format.sample_rate));
    })().catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
