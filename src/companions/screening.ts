import { neutralizedNotice, type InjectionScreen } from '../security/screen/index.js';

type ScreenResult = ReturnType<InjectionScreen['screen']>;

export interface TurnScreening {
  /** The whole turn: flagged when any part is; the highest score; every signal seen. */
  readonly overall: ScreenResult;
  /** How many pieces of caller-supplied context were flagged. */
  readonly flaggedContext: number;
  /** The person's words and the context as the model may see them under `neutralize`: flagged parts quoted and labelled. */
  neutralized(): { text: string; context: string[] };
}

/**
 * LLM-2 for every caller-supplied part of a turn, not only its last message: the screen scores the
 * person's words and each piece of context (an OpenAI client's system, earlier user and assistant
 * messages), so an attack moved into any of them meets the familiar's policy just the same.
 */
export function screenTurn(screen: InjectionScreen, text: string, context: readonly string[]): TurnScreening {
  const own = screen.screen(text);
  const parts = context.map((c) => screen.screen(c));
  const all = [own, ...parts];
  const overall: ScreenResult = {
    score: Math.max(...all.map((v) => v.score)),
    flagged: all.some((v) => v.flagged),
    signals: [...new Set(all.flatMap((v) => v.signals))],
  };
  return {
    overall,
    flaggedContext: parts.filter((v) => v.flagged).length,
    neutralized: () => ({
      text: own.flagged ? neutralizedNotice(text, own) : text,
      context: context.map((c, i) => (parts[i]?.flagged ? neutralizedNotice(c, parts[i]) : c)),
    }),
  };
}
