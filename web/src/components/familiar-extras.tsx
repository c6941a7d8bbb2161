import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorFrom, writeHeaders } from '../api.js';
import { Avatar } from './avatar.js';

/** One lorebook (world info) entry as the API takes it. */
export interface LoreEntry {
  keys: string[];
  content: string;
  enabled?: boolean;
}

/** What the server accepts (it reads the type from the bytes and strips metadata; these checks only save a round trip). */
const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const AVATAR_MAX_BYTES = 512 * 1024;
const LORE_LIMITS = { entries: 100, keys: 20, key: 100, content: 2000 };

/** Uploads the picked image as the familiar's avatar (raw bytes; the server checks and rewrites them). */
export async function uploadAvatar(familiarId: string, file: File): Promise<void> {
  const response = await fetch(`/api/familiars/${encodeURIComponent(familiarId)}/avatar`, {
    method: 'PUT',
    credentials: 'same-origin',
    headers: writeHeaders({ accept: 'application/json', 'content-type': file.type || 'application/octet-stream' }),
    body: file,
  });
  if (!response.ok) throw await errorFrom(response);
}

export async function removeAvatar(familiarId: string): Promise<void> {
  const response = await fetch(`/api/familiars/${encodeURIComponent(familiarId)}/avatar`, {
    method: 'DELETE',
    credentials: 'same-origin',
    headers: writeHeaders({ accept: 'application/json' }),
  });
  if (!response.ok) throw await errorFrom(response);
}

/** A PNG card's picture as the avatar to upload, when small enough (the server still checks it and strips the card text). */
export function cardPicture(bytes: Uint8Array | undefined): AvatarChoice {
  if (!bytes || bytes.length > AVATAR_MAX_BYTES) return { kind: 'keep' };
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const file = new File([bytes as Uint8Array<ArrayBuffer>], 'card.png', { type: 'image/png' });
  return { kind: 'file', file, preview: `data:image/png;base64,${btoa(binary)}` };
}

/** Whether a card's picture can become the avatar. */
export const pictureFits = (bytes: Uint8Array) => bytes.length <= AVATAR_MAX_BYTES;

/** The avatar choice: `keep` what is there, a new `file`, or `remove` it. */
export type AvatarChoice = { kind: 'keep' } | { kind: 'file'; file: File; preview?: string } | { kind: 'remove' };

/** Picks an avatar image: PNG, JPEG or WebP up to 512 KB, previewed (as a data: URL, which the CSP allows for images). */
export function AvatarPicker(props: {
  id: string;
  name: string;
  current?: string | undefined;
  choice: AvatarChoice;
  onChoice: (c: AvatarChoice) => void;
}): JSX.Element {
  const [error, setError] = useState<string | null>(null);
  const pick = (file: File | undefined) => {
    setError(null);
    if (!file) return props.onChoice({ kind: 'keep' });
    if (!AVATAR_TYPES.includes(file.type)) {
      props.onChoice({ kind: 'keep' });
      return setError(`${file.name} is not a PNG, JPEG or WebP image.`);
    }
    if (file.size > AVATAR_MAX_BYTES) {
      props.onChoice({ kind: 'keep' });
      return setError(`${file.name} is larger than 512 KB.`);
    }
    props.onChoice({ kind: 'file', file });
    const reader = new FileReader();
    reader.onload = () => typeof reader.result === 'string' && props.onChoice({ kind: 'file', file, preview: reader.result });
    reader.readAsDataURL(file);
  };
  const shown = props.choice.kind === 'remove' ? undefined : props.choice.kind === 'file' ? props.choice.preview : props.current;
  return (
    <div class="field avatar-field">
      <label for={props.id}>Avatar image (PNG, JPEG or WebP, up to 512 KB)</label>
      <div class="inline-row">
        <Avatar name={props.name || '?'} size="large" src={shown} />
        <input
          id={props.id}
          type="file"
          accept="image/png,image/jpeg,image/webp"
          onChange={(e) => pick((e.currentTarget as HTMLInputElement).files?.[0])}
        />
        {props.current && props.choice.kind !== 'remove' && (
          <button type="button" class="secondary small" onClick={() => props.onChoice({ kind: 'remove' })}>
            Remove picture
          </button>
        )}
      </div>
      {props.choice.kind === 'remove' && <span class="counter">The picture is removed when you save.</span>}
      {error && (
        <p class="meta error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** Lorebook entries: keywords that, when mentioned, bring a piece of background into the model's context (as data). */
export function LorebookEditor(props: { prefix: string; entries: LoreEntry[]; onChange: (entries: LoreEntry[]) => void }): JSX.Element {
  const { entries, onChange, prefix } = props;
  const set = (i: number, patch: Partial<LoreEntry>) => onChange(entries.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  return (
    <fieldset class="lorebook">
      <legend>Lorebook (background the familiar is given when a keyword comes up)</legend>
      {entries.length === 0 && <p class="meta">No entries.</p>}
      <ol class="lore-entries">
        {entries.map((e, i) => {
          const id = `${prefix}lore-${i}`;
          const problems = loreProblems(e);
          return (
            <li key={i} class="lore-entry">
              <div class="field">
                <label for={`${id}-keys`}>Keywords of entry {i + 1} (comma-separated)</label>
                <input
                  id={`${id}-keys`}
                  value={e.keys.join(', ')}
                  onInput={(ev) => set(i, { keys: (ev.currentTarget as HTMLInputElement).value.split(',').map((k) => k.trimStart()) })}
                />
              </div>
              <div class="field">
                <label for={`${id}-content`}>Text of entry {i + 1}</label>
                <textarea
                  id={`${id}-content`}
                  rows={3}
                  value={e.content}
                  onInput={(ev) => set(i, { content: (ev.currentTarget as HTMLTextAreaElement).value })}
                />
              </div>
              <div class="inline-row">
                <label class="inline">
                  <input
                    type="checkbox"
                    checked={e.enabled !== false}
                    onChange={(ev) => set(i, { enabled: (ev.currentTarget as HTMLInputElement).checked })}
                  />{' '}
                  Used
                </label>
                <button type="button" class="secondary small" onClick={() => onChange(entries.filter((_, j) => j !== i))}>
                  Remove entry {i + 1}
                </button>
              </div>
              {problems.length > 0 && (
                <p class="meta error" role="alert">
                  Entry {i + 1}: {problems.join('; ')}
                </p>
              )}
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        class="secondary small"
        disabled={entries.length >= LORE_LIMITS.entries}
        onClick={() => onChange([...entries, { keys: [], content: '', enabled: true }])}
      >
        Add lorebook entry
      </button>
    </fieldset>
  );
}

/** The entry as saved: empty keywords dropped, surrounding spaces trimmed. */
export const cleanLore = (e: LoreEntry): LoreEntry => ({
  keys: e.keys.map((k) => k.trim()).filter(Boolean),
  content: e.content,
  enabled: e.enabled !== false,
});

/** What keeps an entry from being saved (the server's limits). */
export function loreProblems(e: LoreEntry): string[] {
  const c = cleanLore(e);
  const out: string[] = [];
  if (c.keys.length === 0) out.push('add at least one keyword');
  if (c.keys.length > LORE_LIMITS.keys) out.push(`at most ${LORE_LIMITS.keys} keywords`);
  if (c.keys.some((k) => k.length > LORE_LIMITS.key)) out.push(`a keyword is at most ${LORE_LIMITS.key} characters`);
  if (!c.content.trim()) out.push('the text is empty');
  if (c.content.length > LORE_LIMITS.content) out.push(`the text is at most ${LORE_LIMITS.content.toLocaleString('en')} characters`);
  return out;
}
