import type { ShellWord } from './words.js';

/** What the policy decides for a command (EXEC-1). Order matters: deny > ask > allow. */
export type ShellVerdict = 'allow' | 'ask' | 'deny';

/** One reason behind a verdict, shown to the owner and audited. */
interface Finding {
  readonly verdict: ShellVerdict;
  readonly reason: string;
}

/** A program that would run, after every wrapper has been unwrapped. */
export interface Invocation {
  /** Normalised name: basename for programs in system directories, else the path as written. */
  readonly program: string;
  readonly args: readonly ShellWord[];
}

/** The policy's answer for a whole command line. */
export interface Classification {
  readonly verdict: ShellVerdict;
  readonly reasons: readonly string[];
  /** Every program the command would run, in order of appearance. */
  readonly programs: readonly string[];
}

/** Collects findings and invocations while a command is analysed. */
export interface Collector {
  readonly findings: Finding[];
  readonly invocations: Invocation[];
  add(verdict: ShellVerdict, reason: string): void;
}

export function createCollector(): Collector {
  const findings: Finding[] = [];
  return { findings, invocations: [], add: (verdict, reason) => void findings.push({ verdict, reason }) };
}

const RANK: Record<ShellVerdict, number> = { allow: 0, ask: 1, deny: 2 };

/** The stricter of two verdicts. */
export function stricter(a: ShellVerdict, b: ShellVerdict): ShellVerdict {
  return RANK[a] >= RANK[b] ? a : b;
}
