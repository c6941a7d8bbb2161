import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createTempFile, fsyncDir } from '../files/index.js';
import type { HearthVault } from '../security/vault/index.js';
import {
  BackupError,
  backupKey,
  encodeEntry,
  encodePrefix,
  entryDataSize,
  MAGIC,
  MAX_ENTRY_HEADER_BYTES,
  MAX_HEADER_BYTES,
  parseEntry,
  TAG_BYTES,
  type ArchiveEntry,
  type BackupDialect,
  type BackupHeader,
} from './format.js';

const CHUNK = 1 << 20;

/** Where a backup adds its entries; data is checked against the size the entry declares. */
export interface ArchiveSink {
  add(entry: ArchiveEntry, data?: Buffer | AsyncIterable<Buffer>): Promise<void>;
}

/**
 * Writes an encrypted archive to `file` (DATA-6): the authenticated header, then every entry
 * `fill` adds, through AES-256-GCM under a per-backup key; written to a 0600 sibling, fsynced,
 * then renamed over `file`, so a failed backup never leaves a partial file under the name.
 */
export async function writeArchive(options: {
  vault: HearthVault;
  dialect: BackupDialect;
  file: string;
  now: () => number;
  fill: (sink: ArchiveSink) => Promise<void>;
}): Promise<{ bytes: number; keyId: string }> {
  const { vault, file } = options;
  const header: BackupHeader = {
    v: 2,
    keyId: vault.keyId,
    salt: randomBytes(16).toString('hex'),
    nonce: randomBytes(12).toString('hex'),
    createdAt: options.now(),
    dialect: options.dialect,
  };
  const prefix = encodePrefix(header);
  const cipher = createCipheriv('aes-256-gcm', backupKey(vault, header), Buffer.from(header.nonce, 'hex'));
  cipher.setAAD(prefix);
  const partial = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.partial`);
  const out = await open(partial, 'wx', 0o600);
  let bytes = 0;
  const write = async (b: Buffer) => {
    if (b.length === 0) return;
    await out.write(b);
    bytes += b.length;
  };
  try {
    await write(prefix);
    await options.fill({
      async add(entry, data) {
        await write(cipher.update(encodeEntry(entry)));
        const expected = entryDataSize(entry);
        let seen = 0;
        const chunks = data === undefined ? [] : Buffer.isBuffer(data) ? [data] : data;
        for await (const chunk of chunks) {
          seen += chunk.length;
          if (seen > expected) break;
          await write(cipher.update(chunk));
        }
        if (seen !== expected)
          throw new BackupError(
            'BACKUP_SOURCE_CHANGED',
            `${'path' in entry ? entry.path : entry.t} changed while it was copied; run the backup again`,
          );
      },
    });
    await write(cipher.final());
    await write(cipher.getAuthTag());
    await out.sync();
    await out.close();
    await rename(partial, file);
    fsyncDir(dirname(file));
    return { bytes, keyId: header.keyId };
  } catch (err) {
    await out.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  }
}

async function readHeader(file: string): Promise<{ header: BackupHeader; prefixBytes: Buffer; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch {
    throw new BackupError('BACKUP_MALFORMED', 'the backup file cannot be read');
  }
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(Math.min(size, MAGIC.length + 4 + MAX_HEADER_BYTES));
    await fh.read(head, 0, head.length, 0);
    if (head.length < MAGIC.length + 4 || !head.subarray(0, MAGIC.length).equals(MAGIC))
      throw new BackupError('BACKUP_MALFORMED', 'not a Hearth backup file');
    const len = head.readUInt32BE(MAGIC.length);
    const end = MAGIC.length + 4 + len;
    if (len > MAX_HEADER_BYTES || end + TAG_BYTES > size) throw new BackupError('BACKUP_MALFORMED', 'backup header is damaged');
    let header: BackupHeader;
    try {
      header = JSON.parse(head.subarray(MAGIC.length + 4, end).toString('utf8')) as BackupHeader;
    } catch {
      throw new BackupError('BACKUP_MALFORMED', 'backup header is damaged');
    }
    if (
      !(header.v === 1 || header.v === 2) ||
      !(header.dialect === 'sqlite' || (header.v === 2 && header.dialect === 'postgres')) ||
      !/^[0-9a-f]{8}$/.test(String(header.keyId)) ||
      !/^[0-9a-f]{32}$/.test(String(header.salt)) ||
      !/^[0-9a-f]{24}$/.test(String(header.nonce)) ||
      !Number.isSafeInteger(header.createdAt)
    )
      throw new BackupError('BACKUP_MALFORMED', 'backup header is damaged or from an unknown version');
    return { header, prefixBytes: head.subarray(0, end), size };
  } finally {
    await fh.close();
  }
}

/** One entry of an opened archive, with ways to read its data. */
export interface OpenedEntry {
  readonly entry: ArchiveEntry;
  /** The data in memory (table rows, small metadata). */
  read(): Promise<Buffer>;
  /** Copies the data into a new file (created exclusively, 0600). */
  copyTo(path: string): Promise<void>;
}

/** A verified archive: its plaintext sits in a private temp file until `close`. */
export interface OpenedArchive {
  readonly header: BackupHeader;
  entries(): AsyncGenerator<OpenedEntry>;
  close(): Promise<void>;
}

/**
 * Opens and verifies a backup before anything is restored (DATA-6): the key id against the
 * configured keys, then the whole file is decrypted into a private 0600 temp file under
 * `<dataDir>/tmp` and the GCM tag checked over header and data. Only a verified archive is returned.
 */
export async function openArchive(options: { vault: HearthVault; dataDir: string; file: string }): Promise<OpenedArchive> {
  const { vault } = options;
  const { header, prefixBytes, size } = await readHeader(options.file);
  if (header.keyId !== vault.keyId && header.keyId !== vault.previousKeyId)
    throw new BackupError(
      'BACKUP_WRONG_KEY',
      `backup was made with master key ${header.keyId}; the configured key is ${vault.keyId}. Set HEARTH_MASTER_KEY (or HEARTH_MASTER_KEY_PREVIOUS) to that key`,
    );
  const tag = Buffer.alloc(TAG_BYTES);
  const fh = await open(options.file, 'r');
  try {
    await fh.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    await fh.close();
  }
  const decipher = createDecipheriv('aes-256-gcm', backupKey(vault, header), Buffer.from(header.nonce, 'hex'));
  decipher.setAAD(prefixBytes);
  decipher.setAuthTag(tag);
  const plain = createTempFile(options.dataDir, '.plain');
  try {
    const out = await open(plain.path, 'w');
    try {
      const input = createReadStream(options.file, { start: prefixBytes.length, end: size - TAG_BYTES - 1 });
      if (size - TAG_BYTES > prefixBytes.length) for await (const chunk of input) await out.write(decipher.update(chunk as Buffer));
      else input.destroy();
      try {
        await out.write(decipher.final());
      } catch {
        throw new BackupError('BACKUP_TAMPERED', 'backup failed authentication (altered, truncated or wrong key); nothing was changed');
      }
    } finally {
      await out.close();
    }
  } catch (err) {
    plain.remove();
    throw err;
  }
  return {
    header,
    entries: () => (header.v === 1 ? v1Entries(plain.path) : v2Entries(plain.path)),
    close: async () => plain.remove(),
  };
}

function opened(fh: FileHandle, entry: ArchiveEntry, offset: number): OpenedEntry {
  const size = entryDataSize(entry);
  return {
    entry,
    async read() {
      const buf = Buffer.alloc(size);
      if (size > 0) await fh.read(buf, 0, size, offset);
      return buf;
    },
    async copyTo(path) {
      const out = await open(path, 'wx', 0o600);
      try {
        const buf = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
        for (let done = 0; done < size;) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - done), offset + done);
          if (bytesRead === 0) throw new BackupError('BACKUP_MALFORMED', 'an archive entry is cut short');
          await out.write(buf.subarray(0, bytesRead));
          done += bytesRead;
        }
        await out.sync();
      } finally {
        await out.close();
      }
    },
  };
}

/** Version 1: the whole plaintext is the SQLite file. */
async function* v1Entries(path: string): AsyncGenerator<OpenedEntry> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    yield opened(fh, { t: 'sqlite', size }, 0);
    yield opened(fh, { t: 'end', files: 0, rows: 0 }, size);
  } finally {
    await fh.close();
  }
}

async function* v2Entries(path: string): AsyncGenerator<OpenedEntry> {
  const fh = await open(path, 'r');
  try {
    const total = (await fh.stat()).size;
    const len = Buffer.alloc(4);
    for (let at = 0; at < total;) {
      if (at + 4 > total) throw new BackupError('BACKUP_MALFORMED', 'an archive entry is cut short');
      await fh.read(len, 0, 4, at);
      const n = len.readUInt32BE(0);
      if (n > MAX_ENTRY_HEADER_BYTES || at + 4 + n > total) throw new BackupError('BACKUP_MALFORMED', 'an archive entry is damaged');
      const raw = Buffer.alloc(n);
      await fh.read(raw, 0, n, at + 4);
      const entry = parseEntry(raw);
      const dataAt = at + 4 + n;
      if (dataAt + entryDataSize(entry) > total) throw new BackupError('BACKUP_MALFORMED', 'an archive entry is cut short');
      yield opened(fh, entry, dataAt);
      at = dataAt + entryDataSize(entry);
      if (entry.t === 'end' && at !== total) throw new BackupError('BACKUP_MALFORMED', 'data follows the end of the archive');
    }
  } finally {
    await fh.close();
  }
}
