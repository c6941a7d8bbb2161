import { createHash } from 'node:crypto';
import { defineErrorCodes } from '../core/index.js';
import type { Storage } from '../storage/index.js';
import type { AuditActor, AuditLog } from '../security/audit/index.js';
import type { CompanionTables } from './migrations.js';

/** Largest avatar image accepted, in bytes. */
export const AVATAR_MAX_BYTES = 512 * 1024;
/** Longest side of an avatar image, in pixels. */
const AVATAR_MAX_SIDE = 4096;

export const avatarErrors = defineErrorCodes({
  AVATAR_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  AVATAR_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  AVATAR_DAMAGED: 'VALIDATION_FAILED',
  AVATAR_DIMENSIONS: 'VALIDATION_FAILED',
  AVATAR_NOT_FOUND: 'NOT_FOUND',
});

type ImageType = 'image/png' | 'image/jpeg' | 'image/webp';

/** A checked image: its type read from its bytes, its size, and the bytes rewritten without metadata. */
interface CleanImage {
  readonly mime: ImageType;
  readonly width: number;
  readonly height: number;
  readonly bytes: Buffer;
}

const damaged = (what: string) => avatarErrors.create('AVATAR_DAMAGED', `The ${what} image is damaged or incomplete`);

/** The type the bytes themselves say (what the sender claims is ignored); undefined for anything else (SVG, GIF, HTML…). */
function sniffImage(b: Uint8Array): ImageType | undefined {
  if (b.length >= 8 && [137, 80, 78, 71, 13, 10, 26, 10].every((x, i) => b[i] === x)) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of bytes) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** PNG chunks a picture needs; text (tEXt, iTXt, zTXt: where cards and prompts hide), eXIf, time, animation are dropped. */
const PNG_KEEP = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND', 'gAMA', 'cHRM', 'sRGB', 'sBIT', 'pHYs', 'bKGD']);

function cleanPng(b: Buffer): CleanImage {
  const out: Buffer[] = [b.subarray(0, 8)];
  let width = 0;
  let height = 0;
  let at = 8;
  let ended = false;
  let first = true;
  while (at < b.length) {
    if (at + 12 > b.length) throw damaged('PNG');
    const length = b.readUInt32BE(at);
    const type = ascii(b, at + 4, at + 8);
    if (!/^[A-Za-z]{4}$/.test(type) || at + 12 + length > b.length) throw damaged('PNG');
    const crc = b.readUInt32BE(at + 8 + length);
    if (crc32(b.subarray(at + 4, at + 8 + length)) !== crc) throw damaged('PNG');
    if (first !== (type === 'IHDR')) throw damaged('PNG');
    if (type === 'IHDR') {
      if (length !== 13) throw damaged('PNG');
      width = b.readUInt32BE(at + 8);
      height = b.readUInt32BE(at + 12);
    }
    // An unknown critical chunk (upper-case first letter) would change how the picture decodes: refused.
    if (!PNG_KEEP.has(type) && type[0] === type[0]!.toUpperCase()) throw damaged('PNG');
    if (PNG_KEEP.has(type)) out.push(b.subarray(at, at + 12 + length));
    first = false;
    at += 12 + length;
    if (type === 'IEND') {
      ended = true;
      break; // whatever follows IEND (a zip, HTML) is not kept
    }
  }
  if (!ended || width === 0) throw damaged('PNG');
  return { mime: 'image/png', width, height, bytes: Buffer.concat(out) };
}

function cleanJpeg(b: Buffer): CleanImage {
  const out: Buffer[] = [b.subarray(0, 2)];
  let width = 0;
  let height = 0;
  let at = 2;
  for (;;) {
    if (at + 2 > b.length || b[at] !== 0xff) throw damaged('JPEG');
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd9) {
      out.push(b.subarray(at, at + 2));
      break; // EOI: trailing bytes are dropped
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      out.push(b.subarray(at, at + 2));
      at += 2;
      continue;
    }
    if (at + 4 > b.length) throw damaged('JPEG');
    const length = b.readUInt16BE(at + 2);
    if (length < 2 || at + 2 + length > b.length) throw damaged('JPEG');
    const segment = b.subarray(at, at + 2 + length);
    // SOF0–SOF15 but DHT (C4), JPG (C8) and DAC (CC): the frame's size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (length < 7) throw damaged('JPEG');
      height = b.readUInt16BE(at + 5);
      width = b.readUInt16BE(at + 7);
    }
    // APP1–APP13 and APP15 (EXIF with GPS, XMP, Photoshop) and COM are metadata; APP0 (JFIF) and APP14 (Adobe colour) stay.
    const metadata = (marker >= 0xe1 && marker <= 0xef && marker !== 0xee) || marker === 0xfe;
    if (!metadata) out.push(segment);
    at += 2 + length;
    if (marker === 0xda) {
      // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart marker.
      const start = at;
      while (at + 1 < b.length && !(b[at] === 0xff && b[at + 1] !== 0 && !(b[at + 1]! >= 0xd0 && b[at + 1]! <= 0xd7))) at++;
      if (at + 1 >= b.length) throw damaged('JPEG');
      out.push(b.subarray(start, at));
    }
  }
  if (width === 0 || height === 0) throw damaged('JPEG');
  return { mime: 'image/jpeg', width, height, bytes: Buffer.concat(out) };
}

function cleanWebp(b: Buffer): CleanImage {
  const size = b.readUInt32LE(4);
  if (size + 8 > b.length || size < 4) throw damaged('WebP');
  const chunks: Buffer[] = [];
  let width = 0;
  let height = 0;
  let vp8x: Buffer | undefined;
  for (let at = 12; at < 8 + size;) {
    if (at + 8 > 8 + size) throw damaged('WebP');
    const type = ascii(b, at, at + 4);
    const length = b.readUInt32LE(at + 4);
    const padded = length + (length & 1);
    if (at + 8 + length > 8 + size) throw damaged('WebP');
    const data = b.subarray(at + 8, at + 8 + length);
    if (type === 'VP8X' && length >= 10) {
      width = 1 + data.readUIntLE(4, 3);
      height = 1 + data.readUIntLE(7, 3);
    } else if (type === 'VP8L' && length >= 5 && data[0] === 0x2f && width === 0) {
      const bits = data.readUInt32LE(1);
      width = 1 + (bits & 0x3fff);
      height = 1 + ((bits >>> 14) & 0x3fff);
    } else if (type === 'VP8 ' && length >= 10 && data[3] === 0x9d && data[4] === 0x01 && data[5] === 0x2a && width === 0) {
      width = data.readUInt16LE(6) & 0x3fff;
      height = data.readUInt16LE(8) & 0x3fff;
    }
    if (type !== 'EXIF' && type !== 'XMP ') {
      const copy = Buffer.from(b.subarray(at, Math.min(at + 8 + padded, b.length)));
      if (type === 'VP8X') vp8x = copy;
      chunks.push(copy);
    }
    at += 8 + padded;
  }
  // The extended header says which metadata follows: its EXIF (0x08) and XMP (0x04) flags are cleared with the chunks.
  if (vp8x && vp8x.length > 8) vp8x[8] = vp8x[8]! & ~0x0c;
  if (width === 0 || height === 0) throw damaged('WebP');
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length + 4, 4);
  head.write('WEBP', 8, 'latin1');
  return { mime: 'image/webp', width, height, bytes: Buffer.concat([head, body]) };
}

/**
 * Checks an uploaded avatar: PNG, JPEG or WebP by its bytes (SVG, GIF, HTML and anything else are
 * refused whatever the upload claims), at most AVATAR_MAX_BYTES and AVATAR_MAX_SIDE pixels a side,
 * structurally whole; and rewrites it without metadata (PNG text chunks, EXIF, XMP, comments) and
 * without anything after the image's end. No image library decodes it on the server.
 */
export function cleanAvatarImage(input: Uint8Array): CleanImage {
  if (input.length > AVATAR_MAX_BYTES)
    throw avatarErrors.create('AVATAR_TOO_LARGE', `The image is larger than ${AVATAR_MAX_BYTES / 1024} KB`, { limit: AVATAR_MAX_BYTES });
  const b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const mime = sniffImage(b);
  if (!mime) throw avatarErrors.create('AVATAR_TYPE', 'An avatar is a PNG, JPEG or WebP image (SVG and other types are refused)');
  const clean = mime === 'image/png' ? cleanPng(b) : mime === 'image/jpeg' ? cleanJpeg(b) : cleanWebp(b);
  if (clean.width > AVATAR_MAX_SIDE || clean.height > AVATAR_MAX_SIDE)
    throw avatarErrors.create('AVATAR_DIMENSIONS', `The image is larger than ${AVATAR_MAX_SIDE}×${AVATAR_MAX_SIDE} pixels`, {
      width: clean.width,
      height: clean.height,
    });
  return clean;
}

export interface AvatarStore {
  /** Stores the checked image as the familiar's avatar; returns its new hash. */
  put(familiarId: string, image: CleanImage, actor: AuditActor): Promise<string>;
  get(familiarId: string): Promise<{ mime: string; bytes: Buffer; hash: string } | undefined>;
  remove(familiarId: string, actor: AuditActor): Promise<void>;
}

const hashOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** Avatars in their own table (never read with the familiar on the turn's path); the familiar row keeps the hash for the URL. */
export function createAvatarStore(options: { storage: Storage; audit: AuditLog; now?: () => number }): AvatarStore {
  const db = options.storage.db.withTables<CompanionTables>();
  const now = options.now ?? Date.now;
  return {
    async put(familiarId, image, actor) {
      const hash = hashOf(image.bytes);
      const t = now();
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('familiar_avatars').where('familiar_id', '=', familiarId).execute();
        await tx
          .insertInto('familiar_avatars')
          .values({ familiar_id: familiarId, mime: image.mime, bytes: image.bytes, updated_at: t })
          .execute();
        await tx.updateTable('familiars').set({ avatar_hash: hash, updated_at: t }).where('id', '=', familiarId).execute();
      });
      await options.audit.record({
        actor,
        action: 'familiar.avatar',
        target: familiarId,
        outcome: 'success',
        details: { type: image.mime, bytes: image.bytes.length, width: image.width, height: image.height },
      });
      return hash;
    },
    async get(familiarId) {
      const r = await db.selectFrom('familiar_avatars').selectAll().where('familiar_id', '=', familiarId).executeTakeFirst();
      if (!r) return undefined;
      const bytes = Buffer.from(r.bytes);
      return { mime: r.mime, bytes, hash: hashOf(bytes) };
    },
    async remove(familiarId, actor) {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('familiar_avatars').where('familiar_id', '=', familiarId).execute();
        await tx.updateTable('familiars').set({ avatar_hash: null, updated_at: now() }).where('id', '=', familiarId).execute();
      });
      await options.audit.record({ actor, action: 'familiar.avatar', target: familiarId, outcome: 'success', details: { removed: true } });
    },
  };
}
