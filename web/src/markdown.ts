import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import { highlightCode } from './highlight.js';

/**
 * Markdown for chat and notes (LLM-3): rendered by marked, then always through DOMPurify.
 * Links only http, https and mailto (opened safely in a new tab); no images from anywhere
 * (a remote image is a tracking beacon); raw HTML is escaped, and DOMPurify keeps only plain
 * formatting tags whatever marked produces.
 */
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Raw HTML in the markdown is shown as text, and images as their alt text, so not even the
// sanitizer's detached parsing document ever holds a foreign tag or handler.
const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ text }) => escapeHtml(text ? `[image: ${text}]` : '[image]'),
    // highlight.js escapes the code and marks tokens with `hljs-*` classes only (no style), checked again below.
    code: ({ text, lang }) => {
      const { html, language } = highlightCode(text, lang);
      return `<pre><code class="hljs${language ? ` language-${language}` : ''}">${html}</code></pre>\n`;
    },
  },
});

/** The only class names kept: highlight.js's token classes (`hljs-keyword`, `function_`) and `language-x`. */
const SAFE_CLASS = /^(hljs|hljs-[a-z0-9_-]+|[a-z]+_+|language-[a-z0-9+#-]+)$/;

const ALLOWED_TAGS = [
  'a',
  'p',
  'br',
  'strong',
  'em',
  'del',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'span',
];
const SAFE_LINK = /^(https?:|mailto:)/i;

const purify = DOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  const cls = node.getAttribute('class');
  if (cls !== null) {
    const kept = cls.split(/\s+/).filter((c) => SAFE_CLASS.test(c));
    if (kept.length && (node.nodeName === 'SPAN' || node.nodeName === 'CODE')) node.setAttribute('class', kept.join(' '));
    else node.removeAttribute('class');
  }
  if (node.nodeName === 'A') {
    const href = node.getAttribute('href') ?? '';
    if (!SAFE_LINK.test(href.trim())) node.removeAttribute('href');
    else {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow');
    }
  }
});

/** Safe HTML for a markdown text; the only function that may feed dangerouslySetInnerHTML. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text) as string;
  return purify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ['href', 'title', 'target', 'rel', 'class'],
    ALLOWED_URI_REGEXP: SAFE_LINK,
    FORBID_TAGS: ['style', 'img', 'svg', 'math', 'form', 'input', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
}
