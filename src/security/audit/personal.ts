import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Storage } from '../../storage/index.js';
import { dataKey, destroyDataKeys, openDataKeys, type Vault } from '../vault/index.js';
import type { AuditActor, AuditEvent } from './types.js';

/**
 * Crypto-shredding of the personal fields of audit entries (DATA-5, LOG-3). An entry about one or
 * more people ("subjects") keeps its actor, target and details out of the MAC-chained clear text:
 * they are sealed (AES-256-GCM) under a key derived from every subject's own random data key (the
 * vault's data keys, purpose `audit.subject:<key id>`). Erasing a person destroys their key, so
 * every entry about them becomes unreadable while the chain, which covers the ciphertext, still
 * verifies. An entry about two people (an admin changing a member's role) needs both keys: erasing
 * either one shreds it.
 *
 * A key's id is HMAC(chain key, person id): the entry names no person, and the id links back to
 * one only for someone who holds both the chain key and the person's id.
 */

/** Person ids: Hearth accounts are UUIDs, channel-only people `person_<uuid>`. */
const PERSON_ID = /^(?:person_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Detail fields that name a person by id (`userId`, `targetUserId`, `issuedBy`, `createdBy`, `personId`). */
const PERSON_FIELD = /(?:user_?id|person_?id|issued_?by|created_?by)$/i;
const PURPOSE = 'audit.subject:';
const CACHE_LIMIT = 2_000;

/** The person behind an actor, when there is one. */
export function personOf(actor: AuditActor): string | null {
  switch (actor.type) {
    case 'user':
      return actor.id;
    case 'api_key':
    case 'channel':
    case 'model':
      return actor.userId ?? null;
    default:
      return null;
  }
}

/** The people an event is about: its actor's person, a person named as target or in an id field of its details, any it names itself, and the name an anonymous caller acted on. */
export function subjectsOf(event: AuditEvent): string[] {
  const found = new Set<string>();
  const actor = personOf(event.actor);
  if (actor) found.add(actor);
  if (event.target && PERSON_ID.test(event.target)) found.add(event.target);
  for (const [key, value] of Object.entries(event.details ?? {}))
    if (PERSON_FIELD.test(key) && typeof value === 'string' && PERSON_ID.test(value)) found.add(value);
  for (const s of event.subjects ?? []) if (s) found.add(s);
  // An anonymous caller (an address) acting on a name, e.g. a failed login as "zoe": the entry is
  // about whoever holds that name, and is shredded with them (`nameSubject`).
  if (event.actor.type === 'anonymous' && event.target && !PERSON_ID.test(event.target)) found.add(nameSubject(event.target));
  // A chat account not (yet) linked to anyone, e.g. an unauthorized attempt: shredded with whoever it is linked to later.
  if (event.actor.type === 'channel' && !event.actor.userId) found.add(channelSubject(event.actor.channel, event.actor.externalId));
  return [...found];
}

/** The subject of entries that name a person by their account name rather than their id. */
export const nameSubject = (name: string) => `name:${name}`;
/** The subject of entries by a chat account that was linked to no one when they were written. */
export const channelSubject = (channel: string, externalId: string) => `channel:${channel}:${externalId}`;

/** The actor as it stays readable in the chained text: its kind, and what names no person. */
export function publicActor(actor: AuditActor): Record<string, unknown> {
  switch (actor.type) {
    case 'channel':
      return { type: actor.type, channel: actor.channel };
    case 'model':
      return { type: actor.type, familiarId: actor.familiarId };
    default:
      return { type: actor.type };
  }
}

export interface SubjectKeys {
  /** The key ids of these people, creating keys on first use. */
  idsFor(people: readonly string[]): Promise<Array<{ id: string; key: Buffer }>>;
  /** The keys of these ids that still exist (a destroyed key is absent). */
  open(ids: readonly string[]): Promise<Map<string, Buffer>>;
  /** Destroys one person's key; returns how many keys were destroyed (0 or 1). */
  destroy(person: string): Promise<number>;
  /** The same by key id (a merged person's key, known only by its id). */
  destroyId(id: string): Promise<number>;
  /** The key id of a person (whether or not a key exists). */
  idOf(person: string): string;
}

export function createSubjectKeys(options: { storage: Storage; vault: Vault; chainKey: Buffer; now: () => number }): SubjectKeys {
  const { storage, vault, chainKey } = options;
  const idOf = (person: string) => createHmac('sha256', chainKey).update(`hearth-audit/subject\0${person}`).digest('hex').slice(0, 24);
  // Keys this process already holds; cleared for a person on erasure. Another replica's erasure is
  // seen at once by reads (they always load keys), and an entry sealed under a key destroyed
  // meanwhile is unreadable from the start, which is what erasure asks.
  const cache = new Map<string, Buffer>();
  const destroyId = (id: string) => {
    cache.delete(id);
    return destroyDataKeys(storage, [`${PURPOSE}${id}`]);
  };
  const remember = (id: string, key: Buffer) => {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(id, key);
  };
  return {
    idOf,
    async idsFor(people) {
      const out: Array<{ id: string; key: Buffer }> = [];
      for (const person of people) {
        const id = idOf(person);
        let key = cache.get(id);
        if (!key) remember(id, (key = await dataKey(storage, vault, `${PURPOSE}${id}`, options.now)));
        out.push({ id, key });
      }
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async open(ids) {
      const keys = await openDataKeys(
        storage,
        vault,
        ids.map((id) => `${PURPOSE}${id}`),
      );
      return new Map([...keys].map(([purpose, key]) => [purpose.slice(PURPOSE.length), key]));
    },
    destroy: (person) => destroyId(idOf(person)),
    destroyId,
  };
}

/** The entry key: every subject key in turn (sorted by id), so each one is needed. */
function entryKey(keys: readonly Buffer[]): Buffer {
  let acc = Buffer.from('hearth-audit/entry-key/v1');
  for (const key of keys) acc = createHmac('sha256', key).update(acc).digest();
  return acc;
}

const aad = (seq: number, sealedFor: string) => Buffer.from(`hearth-audit/personal/v1\0${seq}\0${sealedFor}`);

/** Seals the personal fields of entry `seq` for its subjects. */
export function sealPersonal(seq: number, sealedFor: string, keys: readonly Buffer[], personal: unknown): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', entryKey(keys), nonce);
  cipher.setAAD(aad(seq, sealedFor));
  const body = Buffer.concat([cipher.update(JSON.stringify(personal), 'utf8'), cipher.final()]);
  return [nonce, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.');
}

/** Opens the personal fields, or undefined when any subject's key is gone (erased). */
export function openPersonal(seq: number, sealedFor: string, keys: Map<string, Buffer>, sealed: string): unknown {
  const ids = sealedFor.split(',');
  const subjectKeys: Buffer[] = [];
  for (const id of ids) {
    const key = keys.get(id);
    if (!key) return undefined;
    subjectKeys.push(key);
  }
  const [nonce, body, tag] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!nonce || !body || !tag) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', entryKey(subjectKeys), nonce);
    decipher.setAAD(aad(seq, sealedFor));
    decipher.setAuthTag(tag);
    return JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
