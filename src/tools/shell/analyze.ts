import { checkInvocation } from './catalogue.js';
import type { ShellNode, ShellParser } from './parser.js';
import { DOWNLOADERS, hasInvisible, INTERPRETERS, programName, SHELLS } from './programs.js';
import { isSecretPath } from './paths.js';
import { createCollector, type Collector, type Invocation } from './types.js';
import { checkAssignmentName, unwrap } from './unwrap.js';
import { ENDLESS_DEVICE } from './volume.js';
import { resolveWord, type ShellWord } from './words.js';
import { checkWrite } from './writes.js';

/** Longest command the policy reads; anything longer is refused rather than half-checked. */
const MAX_COMMAND_LENGTH = 16_384;

/**
 * Parses `text` and records every finding and every program it would run, descending into
 * pipelines, lists, subshells, substitutions, heredocs fed to shells and nested shell strings.
 */
export function analyze(parser: ShellParser, text: string): Collector {
  const out = createCollector();
  checkScript(parser, text, 0, out, 'command', false);
  return out;
}

function checkScript(parser: ShellParser, text: string, depth: number, out: Collector, what: string, inLoop: boolean): void {
  if (depth > 8) return out.add('deny', 'commands nested too deeply to check');
  if (text.length > MAX_COMMAND_LENGTH) return out.add('deny', `${what} is longer than ${MAX_COMMAND_LENGTH} characters`);
  if (text.includes('\0')) return out.add('deny', `${what} contains a NUL byte`);
  if (hasInvisible(text.replace(/\r?\n/g, ' '))) return out.add('deny', `${what} contains invisible or control characters`);
  if (text.trim().length === 0) return out.add(depth === 0 ? 'deny' : 'allow', `${what} is empty`);
  const tree = parser.parse(text);
  if (!tree) return out.add('deny', `${what} could not be parsed`);
  try {
    walk(tree.rootNode, { parser, depth, out, inLoop });
  } finally {
    tree.delete();
  }
}

interface WalkContext {
  readonly parser: ShellParser;
  readonly depth: number;
  readonly out: Collector;
  /** Inside a loop body: a background job here starts a new process every round (a flood). */
  readonly inLoop: boolean;
}

const LOOPS = new Set(['while_statement', 'for_statement', 'c_style_for_statement']);

function walk(node: ShellNode, ctx: WalkContext): void {
  if (ctx.inLoop && node.children.some((c) => !c.isNamed && c.type === '&'))
    ctx.out.add('deny', 'a background job inside a loop starts processes without limit (a process flood)');
  if (LOOPS.has(node.type)) {
    if (isEndless(node)) ctx.out.add('ask', 'a loop that never ends by itself');
    const body = node.childForFieldName('body');
    for (const child of node.namedChildren) walk(child, child.id === body?.id ? { ...ctx, inLoop: true } : ctx);
    return;
  }
  switch (node.type) {
    case 'command':
      checkCommand(node, ctx);
      checkHeredocToShell(node, ctx);
      break;
    case 'declaration_command':
      // `export -p`, `declare -x`, bare `export`/`readonly`: print every variable
      if (
        !node.namedChildren.some(
          (c) => c.type === 'variable_assignment' || c.type === 'variable_name' || (c.type === 'word' && !c.text.startsWith('-')),
        )
      )
        ctx.out.add('ask', `${node.children[0]?.text ?? 'declare'} without names prints the whole environment`);
      break;
    case 'function_definition':
      ctx.out.add('deny', 'defining shell functions is not allowed (fork bombs, shadowed commands)');
      break;
    case 'variable_assignment': {
      const name = node.childForFieldName('name')?.text ?? '';
      checkAssignmentName(name, ctx.out);
      break;
    }
    case 'file_redirect':
      checkRedirect(node, ctx.out);
      break;
    case 'redirected_statement':
      checkHeredocToShell(node, ctx);
      break;
    case 'pipeline':
      checkPipeline(node, ctx);
      break;
    case 'heredoc_body':
      return;
  }
  for (const child of node.namedChildren) walk(child, ctx);
}

function wordsOf(command: ShellNode): ShellWord[] {
  const words: ShellWord[] = [];
  const name = command.childForFieldName('name');
  if (name) words.push(resolveWord(name));
  for (const arg of command.childrenForFieldName('argument')) words.push(resolveWord(arg));
  return words;
}

function checkCommand(node: ShellNode, ctx: WalkContext): void {
  const words = wordsOf(node);
  if (words.length === 0) return;
  const before = ctx.out.invocations.length;
  unwrap(words, {
    out: ctx.out,
    depth: ctx.depth,
    checkScript: (text, depth, what) => checkScript(ctx.parser, text, depth, ctx.out, what, ctx.inLoop),
    splitWords: (text) => splitWords(ctx.parser, text),
    onShellStdin: (program) => ctx.out.add('ask', `${program} reads its commands from standard input`),
  });
  for (const inv of ctx.out.invocations.slice(before)) checkInvocation(inv, ctx.out);
}

/** Splits a string into words with the real parser (env -S); null when it is not one simple command. */
function splitWords(parser: ShellParser, text: string): ShellWord[] | null {
  const tree = parser.parse(text);
  if (!tree) return null;
  try {
    const stmt = tree.rootNode.namedChildren;
    if (stmt.length !== 1 || stmt[0]!.type !== 'command') return null;
    return wordsOf(stmt[0]!);
  } finally {
    tree.delete();
  }
}

/** The programs that only answer "true": a loop on them never ends by itself. */
const ALWAYS = { while: new Set([':', 'true']), until: new Set(['false']) };

/** `while :`, `while true`, `until false`, `for ((;;))`: nothing in the loop's head can end it. */
function isEndless(loop: ShellNode): boolean {
  if (loop.type === 'c_style_for_statement') return !loop.childForFieldName('condition');
  if (loop.type !== 'while_statement') return false;
  const keyword = loop.children[0]?.type === 'until' ? 'until' : 'while';
  const condition = loop.childForFieldName('condition');
  const commands = condition?.type === 'command' ? [condition] : (condition?.namedChildren.filter((c) => c.type === 'command') ?? []);
  if (commands.length !== 1) return false;
  const words = wordsOf(commands[0]!);
  return words.length === 1 && !words[0]!.dynamic && ALWAYS[keyword].has(words[0]!.text);
}

/**
 * Every redirection that writes is a write, checked like any other (writes.ts): `: > f`,
 * `head -c 0 /dev/null > f`, `exec 3<> f`. Duplicating a descriptor (`2>&1`) writes nothing.
 */
function checkRedirect(node: ShellNode, out: Collector): void {
  const dest = node.childForFieldName('destination');
  if (!dest) return;
  const target = resolveWord(dest);
  const operator = node.children.find((c) => !c.isNamed)?.text ?? '';
  if ((operator === '>&' || operator === '<&') && /^(\d+|-)$/.test(target.text)) return;
  const writes = operator.includes('>');
  if (target.text.includes('/dev/tcp/') || target.text.includes('/dev/udp/')) return out.add('deny', 'redirection to a network socket');
  if (writes) return checkWrite(target, out, 'a redirection writes to');
  if (isSecretPath(target.text)) out.add('deny', `redirection from a credential or secret: ${target.text}`);
  if (ENDLESS_DEVICE.test(target.text)) out.add('ask', `reads the endless device ${target.text}`);
}

/** `sh <<EOF … EOF` and `bash <<< "…"`: the text is a script, so it is checked like one. */
function checkHeredocToShell(node: ShellNode, ctx: WalkContext): void {
  const body = node.type === 'command' ? node : node.childForFieldName('body');
  if (body?.type !== 'command') return;
  const name = body.childForFieldName('name');
  const program = name ? programName(resolveWord(name), createCollector()) : null;
  if (!program || !(SHELLS.has(program) || INTERPRETERS.has(program))) return;
  for (const redirect of node.childrenForFieldName('redirect')) {
    if (redirect.type === 'heredoc_redirect') {
      const text = redirect.namedChildren.find((c) => c.type === 'heredoc_body')?.text ?? '';
      if (SHELLS.has(program)) checkScript(ctx.parser, text, ctx.depth + 1, ctx.out, 'here-document', ctx.inLoop);
    }
    if (redirect.type === 'herestring_redirect') {
      const word = redirect.namedChildren[0];
      if (!word) continue;
      const resolved = resolveWord(word);
      if (resolved.dynamic) ctx.out.add('deny', `${program} fed a computed here-string`);
      else if (SHELLS.has(program)) checkScript(ctx.parser, resolved.text, ctx.depth + 1, ctx.out, 'here-string', ctx.inLoop);
    }
  }
}

/** A download piped into a shell or interpreter is refused outright. */
function checkPipeline(node: ShellNode, ctx: WalkContext): void {
  let downloaded = false;
  for (const stage of node.namedChildren) {
    const probe = createCollector();
    if (stage.type === 'command') {
      unwrap(wordsOf(stage), {
        out: probe,
        depth: ctx.depth,
        checkScript: () => undefined,
        splitWords: (t) => splitWords(ctx.parser, t),
        onShellStdin: () => undefined,
      });
    }
    const programs = probe.invocations.map((i: Invocation) => i.program);
    if (downloaded && programs.some((p) => SHELLS.has(p) || INTERPRETERS.has(p) || /^python\d/.test(p) || p === 'source' || p === '.')) {
      ctx.out.add('deny', 'a download piped into a shell or interpreter');
    }
    if (programs.some((p) => DOWNLOADERS.has(p))) downloaded = true;
  }
}
