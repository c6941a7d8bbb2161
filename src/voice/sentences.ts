/**
 * Cuts a streamed reply into sentences as its text arrives, so each can be spoken while the model
 * is still writing the next (CH-5: the first audio follows the first sentence, not the whole reply).
 * A sentence ends at `.`, `!`, `?` or `…` followed by white space, or at a line break; nothing is cut
 * inside a fenced code block (it is spoken as "(code)" once closed).
 */
export function createSentenceSplitter(): {
  push(text: string): string[];
  end(): string[];
  /** The text after the last sentence when it already ends like one ("It is sunny."): likely, not sure, to be the next sentence. */
  pending(): string | undefined;
} {
  let buffer = '';
  const take = (final: boolean): string[] => {
    const out: string[] = [];
    let start = 0;
    let inFence = false;
    for (let i = 0; i < buffer.length; i++) {
      if (buffer.startsWith('```', i)) {
        inFence = !inFence;
        i += 2;
        continue;
      }
      if (inFence) continue;
      const c = buffer[i]!;
      const next = buffer[i + 1];
      const boundary = c === '\n' || (/[.!?…]/.test(c) && next !== undefined && /\s/.test(next));
      if (!boundary) continue;
      const sentence = buffer.slice(start, i + 1).trim();
      if (/[\p{L}\p{N}]/u.test(sentence)) out.push(sentence);
      start = i + 1;
    }
    buffer = buffer.slice(start);
    if (final) {
      const rest = buffer.trim();
      buffer = '';
      if (/[\p{L}\p{N}]/u.test(rest)) out.push(rest);
    }
    return out;
  };
  return {
    push(text) {
      buffer += text;
      return take(false);
    },
    end: () => take(true),
    pending() {
      const rest = buffer.trim();
      const fences = rest.split('```').length - 1;
      return fences % 2 === 0 && /[.!?…]$/.test(rest) && /[\p{L}\p{N}]/u.test(rest) ? rest : undefined;
    },
  };
}
