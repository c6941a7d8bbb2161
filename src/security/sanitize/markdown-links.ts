import { createRequire } from 'node:module';
import type { default as MarkdownItFactory, MarkdownIt } from 'markdown-it';

/**
 * Finds the links a CommonMark parser sees in a text (LLM-3): inline links and images, links and
 * images through reference definitions, autolinks, and the reference definitions themselves, each
 * with its destination as the parser resolves it (backslash escapes and entities undone, `<…>`
 * destinations unwrapped) and the source text it was written as. markdown-it does the parsing; its
 * own link validation is switched off so that every destination is reported, not silently kept as
 * text that a more lenient renderer on the receiving side would turn into a link.
 */
export interface FoundLink {
  readonly kind: 'link' | 'image' | 'autolink' | 'definition';
  /** The destination after CommonMark unescaping and entity decoding. */
  readonly href: string;
  /** The source it was parsed from (inline source of the block; a definition's first line). */
  readonly source: string;
  /** The label's source, for links and images. */
  readonly label: string;
}

interface FinderEnv {
  [key: string]: unknown;
  found: FoundLink[];
  references?: Record<string, { href: string }>;
}

function wrapInline(md: MarkdownIt, name: 'link' | 'image' | 'autolink'): void {
  const original = md.inline.ruler.__rules__.find((r) => r.name === name)?.fn;
  if (!original) throw new Error(`markdown-it has no inline rule ${name}`);
  md.inline.ruler.at(name, (state, silent) => {
    const start = state.pos;
    const before = state.tokens.length;
    if (!original(state, silent)) return false;
    if (!silent) {
      const open = state.tokens.slice(before).find((t) => t.type === 'link_open' || t.type === 'image');
      const href = String(open?.attrGet('src') ?? open?.attrGet('href') ?? '');
      const source = state.src.slice(start, state.pos);
      let label = '';
      if (name !== 'autolink') {
        const labelStart = name === 'image' ? start + 1 : start;
        const labelEnd = state.md.helpers.parseLinkLabel(state, labelStart, true);
        label = labelEnd > labelStart ? state.src.slice(labelStart + 1, labelEnd) : '';
      }
      (state.env as unknown as FinderEnv).found.push({ kind: name === 'autolink' ? 'autolink' : name, href, source, label });
    }
    return true;
  });
}

function wrapReference(md: MarkdownIt): void {
  const rule = md.block.ruler.__rules__.find((r) => r.name === 'reference');
  if (!rule) throw new Error('markdown-it has no block rule reference');
  const original = rule.fn;
  md.block.ruler.at(
    'reference',
    (state, startLine, endLine, silent) => {
      const env = state.env as unknown as FinderEnv;
      const known = new Set(Object.keys(env.references ?? {}));
      if (!original(state, startLine, endLine, silent)) return false;
      const source = state.src.slice(state.bMarks[startLine]! + state.tShift[startLine]!, state.eMarks[startLine]);
      for (const [key, ref] of Object.entries(env.references ?? {}))
        if (!known.has(key)) env.found.push({ kind: 'definition', href: ref.href, source, label: '' });
      return true;
    },
    { alt: rule.alt },
  );
}

/** A markdown-it parser (CommonMark preset) that reports every link; loaded on first use, not at start. */
export function createLinkFinder(): (text: string) => FoundLink[] {
  let md: MarkdownIt | undefined;
  const parser = (): MarkdownIt => {
    if (md) return md;
    const load = createRequire(import.meta.url)('markdown-it') as typeof MarkdownItFactory;
    const made = load('commonmark');
    made.validateLink = () => true;
    // Keep the destination as CommonMark resolved it; markdown-it would percent-encode it for HTML.
    made.normalizeLink = (url) => url;
    made.normalizeLinkText = (url) => url;
    wrapInline(made, 'link');
    wrapInline(made, 'image');
    wrapInline(made, 'autolink');
    wrapReference(made);
    return (md = made);
  };
  return (text) => {
    const env: FinderEnv = { found: [] };
    parser().parse(text, env as unknown as Parameters<MarkdownIt['parse']>[1]);
    return env.found;
  };
}
