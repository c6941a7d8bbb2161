import { analyze } from './analyze.js';
import { isAllowed, type AllowRule } from './allowlist.js';
import { createShellParser, type ShellParser } from './parser.js';
import { stricter, type Classification, type ShellVerdict } from './types.js';

/** Classifies commands: allowlist + catalogue of dangerous forms → allow | ask | deny (EXEC-1). */
export interface ShellPolicy {
  classify(command: string): Classification;
}

/**
 * Builds the policy the shell tool and `hearth shell check` share. A command is allowed only
 * when it parses, nothing in the catalogue fires and every program it runs is on the allowlist.
 */
export function createShellPolicy(options: { parser: ShellParser; allowlist: readonly AllowRule[] }): ShellPolicy {
  const { parser, allowlist } = options;
  return {
    classify(command) {
      const out = analyze(parser, command);
      let verdict: ShellVerdict = 'allow';
      const reasons: string[] = [];
      for (const f of out.findings) {
        if (f.verdict === 'allow') continue;
        verdict = stricter(verdict, f.verdict);
        reasons.push(`${f.verdict}: ${f.reason}`);
      }
      for (const inv of out.invocations) {
        if (!isAllowed(allowlist, inv)) {
          verdict = stricter(verdict, 'ask');
          reasons.push(`ask: ${inv.program} is not on the allowlist`);
        }
      }
      if (out.invocations.length === 0 && out.findings.length === 0 && verdict === 'allow') {
        // Only assignments or builtins handled structurally: nothing runs.
      }
      return { verdict, reasons: [...new Set(reasons)], programs: [...new Set(out.invocations.map((i) => i.program))] };
    },
  };
}

/** A policy that may still have to load its parser: what the shell tool and its routes hold. */
export interface AsyncShellPolicy {
  classify(command: string): Classification | Promise<Classification>;
}

/**
 * The server's policy: the bash parser (tree-sitter and its wasm, ~10 MB) loads on the first
 * command classified, not at start; most servers never run one. A failed load is retried next time.
 */
export function lazyShellPolicy(options: { allowlist: readonly AllowRule[]; loadParser?: () => Promise<ShellParser> }): AsyncShellPolicy {
  let ready: Promise<ShellPolicy> | undefined;
  return {
    async classify(command) {
      ready ??= (options.loadParser ?? createShellParser)().then(
        (parser) => createShellPolicy({ parser, allowlist: options.allowlist }),
        (err: unknown) => {
          ready = undefined;
          throw err;
        },
      );
      return (await ready).classify(command);
    },
  };
}
