import { unzipSync, strFromU8 } from 'fflate';

/**
 * SillyTavern / TavernAI character cards (V2 `chara_card_v2`, V3 `chara_card_v3`) as PNG (a
 * `chara` or `ccv3` tEXt chunk of base64 JSON), JSON or CHARX (a zip holding `card.json`).
 * A card is untrusted: only its text fields are read, as plain text, into a familiar's persona,
 * greeting, example dialogue and lorebook entries (keywords and text); everything else (regex scripts, extensions, lorebooks, assets, HTML) is returned only
 * to be shown, as text, never run or rendered.
 */

export interface ImportedCard {
  readonly spec: string;
  readonly name: string;
  readonly persona: string;
  readonly greeting: string;
  /** The card's mes_example. */
  readonly exampleDialogue: string;
  /** The card's character_book entries, as keywords and plain text only (no regex keys, scripts or positions). */
  readonly lorebook: ReadonlyArray<{ keys: string[]; content: string; enabled: boolean }>;
  /** Text fields not imported (the author's system prompt, alternate greetings, notes), shown for the record. */
  readonly setAside: ReadonlyArray<{ label: string; text: string }>;
  /** What the card carries that Hearth never runs: scripts, regexes, extensions, lorebook, assets (as JSON text). */
  readonly inert: ReadonlyArray<{ label: string; text: string }>;
  /** Cut to Hearth's limits. */
  readonly truncated: readonly string[];
  /** A PNG card's own bytes: its picture, offered as the avatar (the server checks it and strips the card's text chunks). */
  readonly picture?: Uint8Array;
}

export class CardError extends Error {}

/** Biggest card file read (a PNG with its picture). */
export const MAX_CARD_BYTES = 10 * 1024 * 1024;
const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const LIMITS = { name: 64, persona: 8000, greeting: 2000, examples: 8000, entries: 100, keys: 20, key: 100, entry: 2000 };
/** Control and bidi characters are dropped from imported text, as the turn drops them from messages. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const text = (v: unknown): string => (typeof v === 'string' ? v.replace(CONTROL, '').replace(/\r\n?/g, '\n').trim() : '');

function base64Json(b64: string): unknown {
  const bin = atob(b64.trim());
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** The card JSON inside a PNG: V3's `ccv3` chunk wins over V2's `chara`. */
function fromPng(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Record<string, string> = {};
  for (let at = 8; at + 12 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (at + 12 + length > bytes.length) break;
    if (type === 'tEXt') {
      const zero = data.indexOf(0);
      if (zero > 0) {
        const key = String.fromCharCode(...data.subarray(0, zero)).toLowerCase();
        if (key === 'chara' || key === 'ccv3') chunks[key] = new TextDecoder('latin1').decode(data.subarray(zero + 1));
      }
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  const raw = chunks.ccv3 ?? chunks.chara;
  if (!raw) throw new CardError('This PNG carries no character card (no chara or ccv3 text chunk).');
  return base64Json(raw);
}

function fromCharx(bytes: Uint8Array): unknown {
  let files: Record<string, Uint8Array>;
  try {
    // Only card.json is unpacked: assets (pictures, sounds) are never opened.
    files = unzipSync(bytes, { filter: (f) => f.name === 'card.json' && f.originalSize <= MAX_CARD_BYTES });
  } catch {
    throw new CardError('This CHARX file is not a readable zip.');
  }
  const card = files['card.json'];
  if (!card) throw new CardError('This CHARX file holds no card.json.');
  return JSON.parse(strFromU8(card));
}

/** Reads a card file's bytes (PNG, JSON or CHARX) into what a familiar may take from it. */
export function parseCard(bytes: Uint8Array, fileName: string): ImportedCard {
  if (bytes.length > MAX_CARD_BYTES) throw new CardError('The card file is larger than 10 MB.');
  let json: unknown;
  let picture: Uint8Array | undefined;
  try {
    if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
      json = fromPng(bytes);
      picture = bytes;
    } else if (bytes[0] === 0x50 && bytes[1] === 0x4b) json = fromCharx(bytes);
    else json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    if (err instanceof CardError) throw err;
    throw new CardError(`${fileName} is not a character card Hearth can read (PNG, JSON or CHARX).`);
  }
  const card = cardOf(json);
  return picture ? { ...card, picture } : card;
}

function cardOf(json: unknown): ImportedCard {
  if (!json || typeof json !== 'object') throw new CardError('The card holds no character.');
  const top = json as Record<string, unknown>;
  // V2/V3 keep the fields under `data`; V1 cards have them at the top.
  const d = (top.data && typeof top.data === 'object' ? top.data : top) as Record<string, unknown>;
  const spec = typeof top.spec === 'string' ? top.spec : 'chara_card_v1';
  const name = text(d.name);
  if (!name) throw new CardError('The card has no name.');
  const parts = [
    text(d.description),
    text(d.personality) && `Personality: ${text(d.personality)}`,
    text(d.scenario) && `Scenario: ${text(d.scenario)}`,
  ].filter(Boolean);
  const truncated: string[] = [];
  const cut = (label: string, value: string, max: number) => {
    if ([...value].length <= max) return value;
    truncated.push(`${label} (cut to ${max.toLocaleString('en')} characters)`);
    return [...value].slice(0, max).join('');
  };
  const setAside: Array<{ label: string; text: string }> = [];
  const aside = (label: string, value: unknown) => {
    const t = Array.isArray(value) ? value.map(text).filter(Boolean).join('\n---\n') : text(value);
    if (t) setAside.push({ label, text: t });
  };
  aside("The author's system prompt", d.system_prompt);
  aside('Post-history instructions', d.post_history_instructions);
  aside('Alternate greetings', d.alternate_greetings);
  aside('Group-only greetings', d.group_only_greetings);
  aside("Creator's notes", d.creator_notes);
  const inert: Array<{ label: string; text: string }> = [];
  const show = (label: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (typeof value === 'object' && Object.keys(value).length === 0) return;
    const t = JSON.stringify(value, null, 2);
    inert.push({ label, text: t.length > 4000 ? `${t.slice(0, 4000)}\n…` : t });
  };
  const ext = (d.extensions && typeof d.extensions === 'object' ? d.extensions : {}) as Record<string, unknown>;
  show('Regex scripts (not run)', ext.regex_scripts);
  show('Other extensions (not used)', Object.fromEntries(Object.entries(ext).filter(([k]) => k !== 'regex_scripts')));
  show('Lorebook as the card has it (only keywords and text are imported)', d.character_book);
  const book = (d.character_book && typeof d.character_book === 'object' ? d.character_book : {}) as { entries?: unknown };
  const rawEntries = Array.isArray(book.entries) ? (book.entries as Array<Record<string, unknown>>) : [];
  const lorebook = rawEntries
    .filter((e) => e && typeof e === 'object')
    .map((e) => ({
      keys: (Array.isArray(e.keys) ? e.keys : [])
        .map(text)
        .filter((k) => k && k.length <= LIMITS.key)
        .slice(0, LIMITS.keys),
      content: [...text(e.content)].slice(0, LIMITS.entry).join(''),
      enabled: e.enabled !== false,
    }))
    .filter((e) => e.keys.length > 0 && e.content)
    .slice(0, LIMITS.entries);
  if (rawEntries.length > lorebook.length)
    truncated.push(`Lorebook (${rawEntries.length - lorebook.length} entries without keywords or text left out)`);
  show('Assets (not loaded)', d.assets);
  return {
    spec,
    name: cut('Name', name, LIMITS.name),
    persona: cut('Persona', parts.join('\n\n'), LIMITS.persona),
    greeting: cut('Greeting', text(d.first_mes), LIMITS.greeting),
    exampleDialogue: cut('Example dialogue', text(d.mes_example), LIMITS.examples),
    lorebook,
    setAside,
    inert,
    truncated,
  };
}

/** A familiar as a V3 card (JSON): its name, persona as the description, greeting as the first message. */
export function exportCard(f: {
  name: string;
  persona?: string;
  greeting?: string | null;
  slug?: string;
  exampleDialogue?: string | null;
  lorebook?: ReadonlyArray<{ keys: readonly string[]; content: string; enabled?: boolean }>;
}): string {
  return JSON.stringify(
    {
      spec: 'chara_card_v3',
      spec_version: '3.0',
      data: {
        name: f.name,
        description: f.persona ?? '',
        personality: '',
        scenario: '',
        first_mes: f.greeting ?? '',
        mes_example: f.exampleDialogue ?? '',
        creator_notes: 'Exported from Hearth.',
        system_prompt: '',
        post_history_instructions: '',
        alternate_greetings: [],
        tags: [],
        creator: '',
        character_version: '',
        extensions: {},
        ...(f.lorebook?.length
          ? {
              character_book: {
                extensions: {},
                entries: f.lorebook.map((e, i) => ({
                  keys: [...e.keys],
                  content: e.content,
                  extensions: {},
                  enabled: e.enabled !== false,
                  insertion_order: i,
                  use_regex: false,
                })),
              },
            }
          : {}),
        group_only_greetings: [],
        nickname: f.slug ?? '',
        source: [],
        creation_date: Math.floor(Date.now() / 1000),
        modification_date: Math.floor(Date.now() / 1000),
      },
    },
    null,
    2,
  );
}
