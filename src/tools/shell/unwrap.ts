import { programName, SHELLS } from './programs.js';
import type { Collector } from './types.js';
import type { ShellWord } from './words.js';

/** What unwrapping needs from the analyser: a way to check a nested shell string. */
export interface UnwrapContext {
  readonly out: Collector;
  readonly depth: number;
  /** Parses and checks `text` as a whole shell script (sh -c, eval, env -S, su -c, watch). */
  checkScript(text: string, depth: number, what: string): void;
  /** Splits `text` into words like the shell would (used for env -S). */
  splitWords(text: string): ShellWord[] | null;
  /** Set when the command is a shell reading its script from standard input. */
  onShellStdin(program: string): void;
}

type Options = { readonly withValue: ReadonlySet<string>; readonly longWithValue?: ReadonlySet<string> };

/** Skips options; returns the index of the first operand. */
function skipOptions(words: readonly ShellWord[], start: number, opts: Options): number {
  let i = start;
  while (i < words.length) {
    const t = words[i]!.text;
    if (t === '--') return i + 1;
    if (!t.startsWith('-') || t === '-') return i;
    if (t.startsWith('--')) {
      const name = t.split('=')[0]!;
      i += !t.includes('=') && opts.longWithValue?.has(name) ? 2 : 1;
      continue;
    }
    // short cluster: a value-taking letter consumes the rest or the next word
    let consumed = 1;
    for (let k = 1; k < t.length; k++) {
      if (opts.withValue.has(t[k]!)) {
        if (k === t.length - 1) consumed = 2;
        break;
      }
    }
    i += consumed;
  }
  return i;
}

const set = (...x: string[]) => new Set(x);
const SUDO: Options = {
  withValue: set('u', 'g', 'C', 'D', 'h', 'p', 'r', 't', 'U', 'T'),
  longWithValue: set('--user', '--group', '--chdir', '--prompt', '--host'),
};
const NICE: Options = { withValue: set('n'), longWithValue: set('--adjustment') };
const TIMEOUT: Options = { withValue: set('s', 'k'), longWithValue: set('--signal', '--kill-after') };
const STDBUF: Options = { withValue: set('i', 'o', 'e'), longWithValue: set('--input', '--output', '--error') };
const XARGS: Options = {
  withValue: set('I', 'L', 'n', 'P', 'd', 'E', 's', 'a', 'i', 'l', 'e'),
  longWithValue: set('--max-args', '--max-procs', '--delimiter', '--arg-file', '--max-lines', '--max-chars', '--eof', '--replace'),
};
const IONICE: Options = { withValue: set('c', 'n', 'p', 'P', 'u') };
const SETSID: Options = { withValue: set() };
const EXEC: Options = { withValue: set('a') };
const TIME: Options = { withValue: set('f', 'o'), longWithValue: set('--format', '--output') };

/**
 * Peels wrappers off a simple command until the program that really runs is reached, and
 * records it (and any program a wrapper runs on the side) in the collector (EXEC-1).
 */
export function unwrap(words: readonly ShellWord[], ctx: UnwrapContext): void {
  const { out } = ctx;
  if (ctx.depth > 8) return out.add('deny', 'commands nested too deeply to check');
  let rest = words;
  for (let guard = 0; guard < 32 && rest.length > 0; guard++) {
    const program = programName(rest[0]!, out);
    if (program === null) return;
    const args = rest.slice(1);
    const next = (index: number) => (rest = args.slice(index));
    switch (program) {
      case 'sudo':
      case 'doas':
      case 'pkexec':
      case 'run0':
        out.add('ask', `${program} asks for elevated privileges`);
        next(skipOptions(args, 0, SUDO));
        continue;
      case 'su':
      case 'runuser': {
        const c = args.findIndex((a) => a.text === '-c' || a.text === '--command');
        out.add('ask', `${program} switches user`);
        if (c >= 0 && args[c + 1]) checkString(args[c + 1]!, ctx, program);
        else out.add('ask', `${program} without -c starts an interactive shell`);
        return;
      }
      case 'env': {
        let i = 0;
        for (; i < args.length; i++) {
          const t = args[i]!.text;
          if (t === '-S' || t === '--split-string' || t.startsWith('-S') || t.startsWith('--split-string=')) {
            const value =
              t === '-S' || t === '--split-string'
                ? args[++i]
                : { text: t.startsWith('-S') ? t.slice(2) : t.slice(15), dynamic: args[i]!.dynamic };
            if (!value || value.dynamic) return out.add('deny', 'env -S with a computed string');
            const split = ctx.splitWords(value.text);
            if (!split) return out.add('deny', 'env -S string cannot be parsed');
            return unwrap([...split, ...args.slice(i + 1)], { ...ctx, depth: ctx.depth + 1 });
          }
          if (t === '-u' || t === '--unset' || t === '-C' || t === '--chdir') {
            i++;
            continue;
          }
          if (t === '--') {
            i++;
            break;
          }
          if (t.startsWith('-')) continue;
          if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) {
            checkAssignmentName(t.slice(0, t.indexOf('=')), out);
            continue;
          }
          break;
        }
        next(i);
        // with no command to run, env prints every variable it was given
        if (rest.length === 0) return out.add('ask', 'env without a command prints the whole environment');
        continue;
      }
      case 'command':
      case 'builtin':
        next(skipOptions(args, 0, { withValue: set() }));
        continue;
      case 'exec':
        next(skipOptions(args, 0, EXEC));
        continue;
      case 'nice':
      case 'renice': {
        let i = skipOptions(args, 0, NICE);
        if (args[0] && /^-\d+$/.test(args[0].text)) i = Math.max(i, 1);
        next(i);
        continue;
      }
      case 'nohup':
        next(args[0]?.text === '--' ? 1 : 0);
        continue;
      case 'time':
        next(skipOptions(args, 0, TIME));
        continue;
      case 'setsid':
        next(skipOptions(args, 0, SETSID));
        continue;
      case 'ionice':
        next(skipOptions(args, 0, IONICE));
        continue;
      case 'stdbuf':
        next(skipOptions(args, 0, STDBUF));
        continue;
      case 'timeout':
        next(skipOptions(args, 0, TIMEOUT) + 1);
        continue;
      case 'chrt':
      case 'taskset': {
        const i = skipOptions(args, 0, { withValue: set() });
        next(i + 1);
        continue;
      }
      case 'xargs': {
        out.invocations.push({ program, args });
        const i = skipOptions(args, 0, XARGS);
        if (i >= args.length) return;
        // xargs appends words read from its input: an operand nobody can see in advance
        rest = [...args.slice(i), { text: '<xargs input>', dynamic: true }];
        continue;
      }
      case 'find':
        return unwrapFind(args, ctx);
      case 'eval': {
        if (args.some((a) => a.dynamic)) return out.add('deny', 'eval of a computed string');
        return ctx.checkScript(args.map((a) => a.text).join(' '), ctx.depth + 1, 'eval');
      }
      case 'watch': {
        const i = skipOptions(args, 0, { withValue: set('n', 'd', 'q'), longWithValue: set('--interval') });
        if (args.slice(i).some((a) => a.dynamic)) return out.add('deny', 'watch of a computed string');
        return ctx.checkScript(
          args
            .slice(i)
            .map((a) => a.text)
            .join(' '),
          ctx.depth + 1,
          'watch',
        );
      }
      case 'source':
      case '.':
        out.invocations.push({ program, args });
        return out.add('ask', `${program} runs a file as shell code`);
      case 'busybox':
        if (args.length === 0) return (out.invocations.push({ program, args }), undefined);
        next(0);
        continue;
      default:
        if (SHELLS.has(program)) return unwrapShell(program, args, ctx);
        out.invocations.push({ program, args });
        return;
    }
  }
}

function checkString(word: ShellWord, ctx: UnwrapContext, what: string): void {
  if (word.dynamic) return ctx.out.add('deny', `${what} runs a computed string`);
  ctx.checkScript(word.text, ctx.depth + 1, what);
}

function unwrapShell(program: string, args: readonly ShellWord[], ctx: UnwrapContext): void {
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    if (t === '--') break;
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(t)) {
      const script = args[i + 1];
      if (!script) return ctx.out.add('deny', `${program} -c without a command`);
      return checkString(script, ctx, `${program} -c`);
    }
    if (t === '-o' || t === '+o' || t === '-O' || t === '+O') {
      i++;
      continue;
    }
    if (t.startsWith('-') || t.startsWith('+')) continue;
    ctx.out.invocations.push({ program, args });
    return ctx.out.add('ask', `${program} runs the script file ${t}, which cannot be checked`);
  }
  ctx.out.invocations.push({ program, args });
  ctx.onShellStdin(program);
}

function unwrapFind(args: readonly ShellWord[], ctx: UnwrapContext): void {
  ctx.out.invocations.push({ program: 'find', args });
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    if (t === '-delete') ctx.out.add('ask', 'find -delete removes files');
    if (t === '-exec' || t === '-execdir' || t === '-ok' || t === '-okdir') {
      let end = i + 1;
      while (end < args.length && args[end]!.text !== ';' && args[end]!.text !== '+') end++;
      unwrap(args.slice(i + 1, end), { ...ctx, depth: ctx.depth + 1 });
      i = end;
    }
  }
}

/** Variables that make the next program run something else, or change how names resolve. */
const DANGEROUS_VARIABLES = new Set([
  'PATH',
  'IFS',
  'BASH_ENV',
  'ENV',
  'PROMPT_COMMAND',
  'PS4',
  'SHELLOPTS',
  'BASHOPTS',
  'PAGER',
  'GIT_PAGER',
  'EDITOR',
  'VISUAL',
  'GIT_EDITOR',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_EXEC_PATH',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
  'GIT_CONFIG',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_PARAMETERS',
  'GIT_EXTERNAL_DIFF',
  'GIT_PROXY_COMMAND',
  'LESSOPEN',
  'LESSCLOSE',
  'PYTHONSTARTUP',
  'PYTHONPATH',
  'NODE_OPTIONS',
  'PERL5OPT',
  'PERL5LIB',
  'RUBYOPT',
  'BROWSER',
  'MANPAGER',
  'HOME',
]);

/** Refuses assignments to variables that run programs (LD_PRELOAD, GIT_SSH_COMMAND, PAGER, …). */
export function checkAssignmentName(name: string, out: Collector): void {
  if (DANGEROUS_VARIABLES.has(name) || name.startsWith('LD_') || name.startsWith('DYLD_') || name.startsWith('GIT_CONFIG_')) {
    out.add('deny', `setting ${name} can make another program run`);
  }
}
