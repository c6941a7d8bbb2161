import { randomBytes } from 'node:crypto';

/**
 * Delimited data blocks for prompts (LLM-1). Everything from outside (the person's words,
 * memories, transcripts, tool output) is wrapped in a block whose fence carries a per-turn
 * random tag, and anything inside that looks like a fence, a chat-template role marker or a
 * system header is neutralized, so content cannot close its own block or open a new role.
 */

const FENCE_OPEN = '⟦data';
const FENCE_CLOSE = '⟦/data';

// Characters that fold to brackets which could imitate our fences or template markers.
const BRACKET_LOOKALIKES = /[⟦⟧〚〛［］【】〖〗⦃⦄⁅⁆❲❳⟨⟩〈〉《》‹›«»＜＞﹤﹥˂˃ᐸᐳ‹›]/g;

const ROLE_MARKERS: RegExp[] = [
  /<\|[^|>\n]{0,40}\|>/g, // <|im_start|>, <|system|>, <|eot_id|>
  /<\/?\s*(?:system|assistant|user|developer|tool|instructions?|im_start|im_end|sys|s)\s*>/gi,
  /\[\/?\s*(?:INST|SYS|SYSTEM|ASSISTANT|USER)\s*\]/gi,
  /<<\s*\/?\s*SYS\s*>>/gi,
];

/** Rewrites fence and role-marker look-alikes inside untrusted content so they are inert text. */
export function neutralizeDelimiters(content: string): string {
  let out = content.normalize('NFKC');
  out = out.replace(BRACKET_LOOKALIKES, (c) => (/[⟦〚［【〖⦃⁅❲⟨〈《‹«＜﹤˂ᐸ]/.test(c) ? '(' : ')'));
  for (const marker of ROLE_MARKERS) out = out.replace(marker, (m) => `(${m.replace(/[<>[\]|]/g, '').trim()})`);
  // Lines that pose as a system/developer header.
  out = out.replace(
    /^(\s*)(#{1,6}\s*|\*\*)?(system|developer)(\s*(?:prompt|message|instructions?))?\s*:/gim,
    (_m, sp: string, _h, role: string, rest = '') => `${sp}${role}${rest} (quoted):`,
  );
  // Runs of angle brackets (<<< >>>) that could imitate a fence.
  out = out.replace(/<{2,}/g, (m) => `(${m.length}×<)`).replace(/>{2,}/g, (m) => `(${m.length}×>)`);
  return out;
}

/** A fresh random tag for this turn's fences; content can never guess it. */
export function newFenceTag(): string {
  return randomBytes(6).toString('hex');
}

export interface DataBlock {
  /** What the block holds: message, memory, transcript, tool_result, context, … */
  readonly kind: string;
  /** Where it came from (person, memory:person, tool:name, external…); kept short and plain. */
  readonly source: string;
  readonly content: string;
}

function attr(value: string): string {
  return value.replace(/[^a-zA-Z0-9_.:@-]/g, '_').slice(0, 64);
}

/** Wraps untrusted content as one labelled data block, with its fences tagged by `tag`. */
export function dataBlock(block: DataBlock, tag: string): string {
  return `${FENCE_OPEN} ${tag} kind=${attr(block.kind)} source=${attr(block.source)} untrusted⟧\n${neutralizeDelimiters(block.content)}\n${FENCE_CLOSE} ${tag}⟧`;
}
