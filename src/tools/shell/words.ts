import type { ShellNode } from './parser.js';

/** A shell word as far as it can be known without running anything. */
export interface ShellWord {
  /** The literal text after quote removal; expansions are kept as written (`$TMPDIR`). */
  readonly text: string;
  /** True when any part depends on a variable, substitution, glob or brace expansion. */
  readonly dynamic: boolean;
}

const DYNAMIC = new Set([
  'simple_expansion',
  'expansion',
  'command_substitution',
  'process_substitution',
  'arithmetic_expansion',
  'brace_expression',
]);

/** Resolves one argument node (word, quoted string, concatenation, …) to its text. */
export function resolveWord(node: ShellNode): ShellWord {
  switch (node.type) {
    case 'word':
    case 'command_name':
      if (node.type === 'command_name') {
        const inner = node.namedChildren[0];
        if (inner) return resolveWord(inner);
      }
      return { text: unescapeBare(node.text), dynamic: /[*?[]/.test(node.text) };
    case 'number':
      return { text: node.text, dynamic: false };
    case 'raw_string':
      return { text: node.text.slice(1, -1), dynamic: false };
    case 'ansi_c_string':
      return { text: decodeAnsiC(node.text.slice(2, -1)), dynamic: false };
    case 'string':
    case 'translated_string':
      return joinParts(node.namedChildren, true);
    case 'string_content':
      return { text: unescapeDouble(node.text), dynamic: false };
    case 'concatenation':
      return joinParts(node.namedChildren, false);
    default:
      if (DYNAMIC.has(node.type)) return { text: node.text, dynamic: true };
      return { text: node.text, dynamic: true };
  }
}

function joinParts(parts: readonly ShellNode[], quoted: boolean): ShellWord {
  let text = '';
  let dynamic = false;
  for (const part of parts) {
    if (quoted && part.type === 'string_content') {
      text += unescapeDouble(part.text);
      continue;
    }
    const word = resolveWord(part);
    text += word.text;
    dynamic ||= word.dynamic;
  }
  return { text, dynamic };
}

function unescapeBare(text: string): string {
  return text.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1');
}

function unescapeDouble(text: string): string {
  return text.replace(/\\\n/g, '').replace(/\\([$`"\\])/g, '$1');
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decodes bash `$'…'` escapes, so `$'\x72m'` is seen as `rm`. */
function decodeAnsiC(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)/gs, (_m, esc: string) => {
    const head = esc[0] ?? '';
    if (head === 'x' || head === 'u' || head === 'U') return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (/[0-7]/.test(head)) return String.fromCharCode(parseInt(esc, 8));
    if (head === 'c') return String.fromCharCode((esc.charCodeAt(1) ?? 0) & 0x1f);
    return SIMPLE_ESCAPES[esc] ?? `\\${esc}`;
  });
}
