import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { CardError, MAX_CARD_BYTES, parseCard, type ImportedCard } from '../cards.js';
import { pictureFits } from './familiar-extras.js';

/**
 * Imports a SillyTavern / TavernAI card (PNG, JSON or CHARX) after a preview. Everything is shown as
 * plain text; only the name, persona, greeting, example dialogue and lorebook text go on into the familiar form, for the admin to edit and save.
 */
export function CardImport(props: { onUse: (card: ImportedCard) => void }): JSX.Element {
  const [card, setCard] = useState<ImportedCard | null>(null);
  const [error, setError] = useState<string | null>(null);
  const read = async (file: File | undefined) => {
    setCard(null);
    setError(null);
    if (!file) return;
    if (file.size > MAX_CARD_BYTES) return setError('The card file is larger than 10 MB.');
    try {
      setCard(parseCard(new Uint8Array(await file.arrayBuffer()), file.name));
    } catch (err) {
      setError(err instanceof CardError ? err.message : 'The card could not be read.');
    }
  };
  return (
    <section class="card-import" aria-labelledby="card-import-title">
      <h2 id="card-import-title">Import a character card</h2>
      <div class="field">
        <label for="card-file">Card file (SillyTavern or TavernAI V2/V3: PNG, JSON or CHARX)</label>
        <input
          id="card-file"
          type="file"
          accept=".png,.json,.charx,image/png,application/json"
          onChange={(e) => void read((e.currentTarget as HTMLInputElement).files?.[0])}
        />
      </div>
      {error && (
        <p class="notice error" role="alert">
          {error}
        </p>
      )}
      {card && (
        <div class="card-preview" role="region" aria-label="Card preview">
          <p class="meta">
            {card.spec} · a card is untrusted: its text is shown as text, and scripts, regexes, extensions and HTML are never run.
          </p>
          <h3>{card.name}</h3>
          <h4>Persona</h4>
          <pre class="persona-preview">{card.persona || '(empty)'}</pre>
          <h4>Greeting</h4>
          <pre class="persona-preview">{card.greeting || '(none)'}</pre>
          {card.picture && (
            <p class="meta">
              {pictureFits(card.picture)
                ? "The card's picture becomes the avatar (the server keeps only the image, without the card's text)."
                : "The card's picture is over 512 KB, so it does not become the avatar."}
            </p>
          )}
          <h4>Example dialogue</h4>
          <pre class="persona-preview">{card.exampleDialogue || '(none)'}</pre>
          <h4>Lorebook entries</h4>
          {card.lorebook.length === 0 ? (
            <p class="meta">(none)</p>
          ) : (
            <ul class="lore-preview">
              {card.lorebook.map((e, i) => (
                <li key={i}>
                  <strong>{e.keys.join(', ')}</strong>: {e.content}
                </li>
              ))}
            </ul>
          )}
          {card.truncated.length > 0 && <p class="meta error">Shortened: {card.truncated.join(', ')}.</p>}
          {card.setAside.map((a) => (
            <details key={a.label}>
              <summary>Not imported: {a.label}</summary>
              <pre class="persona-preview">{a.text}</pre>
            </details>
          ))}
          {card.inert.map((a) => (
            <details key={a.label} class="inert">
              <summary>{a.label}</summary>
              <pre class="persona-preview">{a.text}</pre>
            </details>
          ))}
          <div class="actions">
            <button type="button" onClick={() => (props.onUse(card), setCard(null))}>
              Use this card
            </button>
            <button type="button" class="secondary" onClick={() => setCard(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
