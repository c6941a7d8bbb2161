/**
 * A fake OpenAI-compatible speech server on loopback: `POST /v1/audio/transcriptions` (multipart,
 * answers `{ text }`) and `POST /v1/audio/speech` (JSON, answers a WAV), as OpenAI and local Whisper
 * or TTS servers do. With `apiKey`, a request without that bearer key gets OpenAI's 401 error shape.
 *
 *   const fake = await startFakeSpeech({ apiKey: 'sk-…', transcript: 'hello there' });
 *   // base URL: fake.url (http://127.0.0.1:PORT/v1)
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pcmToWav } from '../../src/voice/audio.js';

export interface FakeSpeechRequest {
  readonly path: string;
  readonly authorization: string | undefined;
  /** Transcriptions: the form's fields (the file as its byte length and type); speech: the JSON body. */
  readonly body: Record<string, unknown>;
}

export interface FakeSpeech {
  readonly url: string;
  readonly requests: FakeSpeechRequest[];
  /** What a transcription answers. */
  transcript: string;
  close(): Promise<void>;
}

/** A WAV of `seconds` of a 440 Hz tone, 16 kHz mono: real audio that ffmpeg decodes. */
export function toneWav(seconds: number): Buffer {
  const rate = 16_000;
  const pcm = Buffer.alloc(Math.round(seconds * rate) * 2);
  for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  return pcmToWav(pcm, rate);
}

async function bytesOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeSpeech(options: { apiKey?: string; transcript?: string } = {}): Promise<FakeSpeech> {
  const requests: FakeSpeechRequest[] = [];
  const fake: FakeSpeech = {
    url: '',
    requests,
    transcript: options.transcript ?? 'hello from the fake transcriber',
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await bytesOf(req);
      const path = (req.url ?? '').split('?')[0] ?? '';
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
      }
      if (req.method === 'POST' && path === '/v1/audio/transcriptions') {
        const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
        const file = form.get('file');
        const body: Record<string, unknown> = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === 'string'));
        if (!file || typeof file === 'string') return json(400, { error: { message: 'file is required' } });
        const head = Buffer.from(await file.arrayBuffer());
        requests.push({
          path,
          authorization: req.headers.authorization,
          body: { ...body, fileBytes: head.length, fileType: file.type, riff: head.subarray(0, 4).toString('ascii') },
        });
        return json(200, { text: fake.transcript });
      }
      if (req.method === 'POST' && path === '/v1/audio/speech') {
        const body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
        requests.push({ path, authorization: req.headers.authorization, body });
        if (typeof body.input !== 'string' || !body.input) return json(400, { error: { message: 'input is required' } });
        res.writeHead(200, { 'content-type': 'audio/wav' });
        return res.end(toneWav(0.5));
      }
      json(404, { error: { message: 'not found' } });
    })().catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  Object.assign(fake, { url: `http://127.0.0.1:${port}/v1` });
  fake.close = () => new Promise<void>((r) => server.close(() => r()));
  return fake;
}
