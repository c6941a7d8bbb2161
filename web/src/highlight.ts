import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

// A common set, not all ~190 languages: the bundle stays small and auto-detection stays quick.
const LANGUAGES = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

/** Longer code is shown escaped but not coloured (auto-detection on huge text costs more than it is worth). */
const MAX_HIGHLIGHT = 20_000;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Code as HTML: escaped text with `<span class="hljs-…">` tokens (never a style attribute, so it
 * works under `style-src 'self'`), in the named language when known, else auto-detected.
 */
export function highlightCode(code: string, lang?: string): { html: string; language: string | undefined } {
  const named = lang?.trim().split(/\s+/)[0]?.toLowerCase();
  if (code.length > MAX_HIGHLIGHT) return { html: escapeHtml(code), language: undefined };
  try {
    if (named && hljs.getLanguage(named)) {
      const r = hljs.highlight(code, { language: named, ignoreIllegals: true });
      return { html: r.value, language: named };
    }
    const r = hljs.highlightAuto(code);
    return { html: r.value, language: r.language };
  } catch {
    return { html: escapeHtml(code), language: undefined };
  }
}
