import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Speech made at test time by the real espeak-ng (argument arrays, the text on stdin). */
export function spoken(text: string): Buffer {
  const r = spawnSync('espeak-ng', ['-v', 'en-us', '-s', '150', '--stdin', '--stdout'], { input: text, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`espeak-ng failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Re-encodes audio with the real ffmpeg (e.g. `['-c:a', 'libopus', '-f', 'ogg']`); `input` args go before `-i`. */
export function ffmpeg(audio: Buffer | undefined, output: readonly string[], input: readonly string[] = []): Buffer {
  const args = ['-nostdin', '-v', 'error', ...input, ...(audio ? ['-i', 'pipe:0'] : []), ...output, 'pipe:1'];
  const r = spawnSync('ffmpeg', args, { input: audio ?? Buffer.alloc(0), maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Seconds of a WAV from its header (PCM: data bytes / byte rate). */
export function wavSeconds(wav: Buffer): number {
  const byteRate = wav.readUInt32LE(28);
  const dataAt = wav.indexOf('data', 12, 'ascii');
  return wav.readUInt32LE(dataAt + 4) / byteRate;
}

/** What is left in the data directory's private temp area (DATA-3). */
export function tempLeft(dataDir: string): string[] {
  const dir = join(dataDir, 'tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
}
