import type { Collector, Invocation } from './types.js';
import type { ShellWord } from './words.js';

/** Devices that never end (or never end being read): output drawn from them is endless. */
export const ENDLESS_DEVICE = /^\/dev\/(zero|u?random|full|tty\w*|input\/.*)$/;

/** Beyond this a quantity is "huge": 64 MiB of bytes, 100 million lines or items. */
const HUGE_BYTES = 64 * 1024 * 1024;
const HUGE_COUNT = 100_000_000;
const UNITS: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50, E: 2 ** 60 };

/** A size or count as written in an argument (`1G`, `512MiB`, `count=1e9`, `--bytes=2T`), or null. */
function quantity(text: string): number | null {
  const value = text.includes('=') ? text.slice(text.indexOf('=') + 1) : text.replace(/^-[A-Za-z]/, '');
  const m = /^([0-9]+(?:\.[0-9]+)?)(?:e([0-9]+))?([KMGTPE])?(i?B)?$/i.exec(value);
  if (!m) return null;
  const n = Number(m[1]) * 10 ** Number(m[2] ?? 0) * (m[3] ? UNITS[m[3].toUpperCase()]! : 1);
  return Number.isFinite(n) ? n : Infinity;
}

/** Options that mean "never stop" (follow a file, repeat forever). */
const FOREVER: Record<string, (a: readonly ShellWord[]) => boolean> = {
  tail: (a) => a.some((w) => /^-[A-Za-z]*[fF]/.test(w.text) || w.text.startsWith('--follow') || w.text === '--retry'),
  yes: () => true,
  watch: () => true,
  ping: (a) => !a.some((w) => /^-[A-Za-z]*c/.test(w.text)),
  top: (a) => !a.some((w) => /^-[A-Za-z]*n/.test(w.text)),
  seq: (a) => a.some((w) => /^[+-]?inf(inity)?$/i.test(w.text)),
};

/**
 * Endless or huge output asks (EXEC-1): programs told to run forever (`tail -f`, `yes`), anything
 * reading an endless device without a bound, and any size or count beyond the huge limits
 * (`head -c 1G`, `seq 1 1e12`, `dd count=…`). The sandbox's output cap and rlimits stop what slips by.
 */
export function checkVolume(inv: Invocation, out: Collector): void {
  const { program, args } = inv;
  if (FOREVER[program]?.(args)) out.add('ask', `${program} runs without end`);
  const bounded = (program === 'head' || program === 'dd') && args.some((a) => /^(-[cn]|--bytes|--lines|count=|-[cn]\d)/.test(a.text));
  for (const a of args) {
    const device = a.text.startsWith('if=') ? a.text.slice(3) : a.text;
    if (ENDLESS_DEVICE.test(device) && !bounded) out.add('ask', `${program} reads the endless device ${device}`);
    const n = quantity(a.text);
    if (n === null || !/[0-9]/.test(a.text)) continue;
    const isBytes = /[KMGTPE]i?B?$/i.test(a.text) || /^(bs|obs|ibs|-c|--bytes|-s|--size|--length|-l)/.test(a.text);
    if (n >= (isBytes ? HUGE_BYTES : HUGE_COUNT)) out.add('ask', `${program} is asked for a huge amount (${a.text})`);
  }
  // dd's total is the block size times the count
  if (program === 'dd') {
    const bs = quantity(args.find((a) => /^(bs|obs)=/.test(a.text))?.text ?? 'bs=512') ?? 512;
    const count = quantity(args.find((a) => a.text.startsWith('count='))?.text ?? '') ?? (bounded ? 0 : Infinity);
    if (bs * count >= HUGE_BYTES && Number.isFinite(bs * count)) out.add('ask', `dd copies ${bs * count} bytes`);
  }
}
