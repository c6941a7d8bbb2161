import { classifyPath, isBlockDevice, isSecretPath } from './paths.js';
import type { Collector, Invocation } from './types.js';
import type { ShellWord } from './words.js';

/** Where output may go without being a write: the bit bucket, the terminal and the shell's own descriptors. */
const NOT_A_FILE = /^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/;

/**
 * The one check for every write, whatever makes it: a redirection (`>`, `>>`, `&>`, `<>`), or an
 * option or operand of a program that writes a file (`--output=F`, `find -fprint F`, `tee F`,
 * `sed -i`). Writes to disks are refused, credentials refused, the private temp dirs allowed, and
 * every other file asks: truncating one is as destructive as `rm`.
 */
export function checkWrite(target: ShellWord, out: Collector, how: string): void {
  const path = target.text;
  if (path.includes('/dev/tcp/') || path.includes('/dev/udp/')) return out.add('deny', `${how} a network socket`);
  if (isBlockDevice(path)) return out.add('deny', `${how} the device ${path}`);
  if (isSecretPath(path)) return out.add('deny', `${how} a credential or secret: ${path}`);
  if (!target.dynamic && NOT_A_FILE.test(path)) return;
  if (!target.dynamic && classifyPath(path) === 'temp') return;
  out.add('ask', `${how} ${path}${target.dynamic ? ' (a name computed at run time)' : ''}`);
}

/** An option's value, whether glued (`--output=F`, `-oF`) or the next word (`-o F`). */
type Taking = { readonly long?: readonly string[]; readonly short?: readonly string[] };

/** Options that write the file they name, by program (from their manuals); the value is glued or the next word. */
const WRITE_OPTIONS: Record<string, Taking> = {
  git: { long: ['--output'] },
  sort: { long: ['--output'], short: ['o'] },
  shuf: { long: ['--output'], short: ['o'] },
  curl: {
    long: ['--output', '--dump-header', '--cookie-jar', '--trace', '--trace-ascii', '--stderr', '--libcurl'],
    short: ['o', 'D', 'c'],
  },
  wget: { long: ['--output-document', '--output-file', '--append-output'], short: ['O', 'o', 'a'] },
  gcc: { short: ['o'] },
  cc: { short: ['o'] },
  clang: { short: ['o'] },
  tcpdump: { short: ['w'] },
  strace: { short: ['o'] },
  ltrace: { short: ['o'] },
  script: { long: ['--log-out', '--log-io', '--log-timing'] },
};
/** Any program's long option whose name says it writes a file, in the `--name=FILE` form. */
const GENERIC_WRITE_LONG = /^--(output|out|outfile|output-file|output-document|log-file|logfile|save-to|dump-file)$/;
/** Programs whose every operand is a file they write (a redirection by another name). */
const OPERANDS_WRITTEN = new Set(['tee']);
/** find's actions that write a file named by the next word. */
const FIND_WRITES = new Set(['-fprint', '-fprint0', '-fprintf', '-fls']);

function optionValues(args: readonly ShellWord[], taking: Taking): ShellWord[] {
  const values: ShellWord[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const t = a.text;
    if (t === '--') break;
    if (t.startsWith('--')) {
      const eq = t.indexOf('=');
      const name = eq >= 0 ? t.slice(0, eq) : t;
      if (taking.long?.includes(name)) {
        if (eq >= 0) values.push({ text: t.slice(eq + 1), dynamic: a.dynamic });
        else if (args[i + 1]) values.push(args[++i]!);
      } else if (eq >= 0 && GENERIC_WRITE_LONG.test(name)) values.push({ text: t.slice(eq + 1), dynamic: a.dynamic });
      continue;
    }
    if (t.startsWith('-') && t.length > 1 && taking.short) {
      for (let k = 1; k < t.length; k++) {
        if (!taking.short.includes(t[k]!)) continue;
        if (k < t.length - 1) values.push({ text: t.slice(k + 1), dynamic: a.dynamic });
        else if (args[i + 1]) values.push(args[++i]!);
        break;
      }
    }
  }
  return values;
}

const operands = (args: readonly ShellWord[]) => {
  const out: ShellWord[] = [];
  let ended = false;
  for (const a of args) {
    if (!ended && a.text === '--') ended = true;
    else if (ended || !a.text.startsWith('-') || a.text === '-') out.push(a);
  }
  return out;
};

/** Every file one invocation would write through its options or operands, each checked like a redirection. */
export function checkWritingOptions(inv: Invocation, out: Collector): void {
  const { program, args } = inv;
  const how = `${program} writes to`;
  if (program === 'dd') {
    for (const a of args) if (a.text.startsWith('of=')) checkWrite({ text: a.text.slice(3), dynamic: a.dynamic }, out, how);
    return;
  }
  if (program === 'find') {
    for (let i = 0; i < args.length; i++) if (FIND_WRITES.has(args[i]!.text) && args[i + 1]) checkWrite(args[i + 1]!, out, how);
    return;
  }
  if (OPERANDS_WRITTEN.has(program)) {
    for (const op of operands(args)) checkWrite(op, out, how);
    return;
  }
  if (program === 'sed' || program === 'gsed' || program === 'perl') {
    if (args.some((a) => /^-[A-Za-z]*i/.test(a.text) || a.text.startsWith('--in-place')))
      for (const op of operands(args).slice(program === 'perl' ? 0 : 1)) checkWrite(op, out, `${program} -i rewrites`);
    return;
  }
  // uniq IN OUT writes OUT; split IN PREFIX writes PREFIXaa, …
  if (program === 'uniq' || program === 'split') {
    const ops = operands(args);
    if (ops.length >= 2) checkWrite(ops[ops.length - 1]!, out, how);
  }
  for (const value of optionValues(args, WRITE_OPTIONS[program] ?? {})) checkWrite(value, out, how);
}
