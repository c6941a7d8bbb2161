/** Audio containers Hearth accepts, recognised from their first bytes (never from a Content-Type header). */
export type AudioFormat = 'wav' | 'ogg' | 'webm' | 'mp3' | 'mp4';

const ascii = (bytes: Uint8Array, at: number, text: string) =>
  bytes.length >= at + text.length && [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));

/**
 * The container the bytes start with, or undefined. Only a first check: ffmpeg decoding the
 * whole file decides whether it really is audio (a PNG renamed .wav fails here, a truncated WAV there).
 */
export function sniffAudio(bytes: Uint8Array): AudioFormat | undefined {
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WAVE')) return 'wav';
  if (ascii(bytes, 0, 'OggS')) return 'ogg';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'webm';
  if (ascii(bytes, 4, 'ftyp')) return 'mp4';
  if (ascii(bytes, 0, 'ID3')) return 'mp3';
  // An MPEG audio frame sync: 11 set bits, layer III.
  if (bytes[0] === 0xff && bytes[1] !== undefined && (bytes[1] & 0xe6) === 0xe2) return 'mp3';
  return undefined;
}
