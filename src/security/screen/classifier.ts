import { deobfuscate, foldText } from './normalize.js';

/**
 * The learned half of the injection screen (LLM-2). A word-level model learns its training files
 * (their topics, their length, their language) and fails on the next file; so this one sees only
 * which families of meaning a text uses and which families occur together: addressing "you",
 * talking about rules or prompts, pivoting to a new task, assigning a persona, asking to reveal.
 * Those co-occurrences are what an injection is, in any corpus. A logistic model weighs them; the
 * weights are trained by `npm run train:screen` on the shared sets and shipped as data (model.ts).
 */
const CONCEPTS: Readonly<Record<string, RegExp>> = {
  you: /\b(?:you|your|yourself|yours|du|dein\w*|dich|dir|sie|ihr\w*|tu|vous|usted)\b/g,
  override:
    /\b(?:ignore|disregard|forget|override|bypass|leave behind|remove|discard|abandon|vergiss|vergessen|ignorier\w*|olvida|ignora|oublie)\b/g,
  prior: /\b(?:previous|prior|above|earlier|preceding|initial|original|everything|all|before|vorherigen|bisherigen|alles|alle|oben)\b/g,
  rules:
    /\b(?:instructions?|rules?|guidelines?|polic(?:y|ies)|restrictions?|filters?|limits?|limitations?|constraints?|censor\w*|programming|tasks?|assignments?|orders?|anweisungen|regeln|aufgaben?)\b/g,
  ai: /\b(?:ai|chatgpt|gpt|openai|assistant|language model|llm|model|bot|chatbot|ki|claude|gemini)\b/g,
  prompt: /\b(?:prompts?|system prompt|system message|prompt-texte?)\b/g,
  persona:
    /\b(?:character|persona|role|roles|roleplay|mode|personality|simulat\w*|act as|acting|actors?|pretend|alter ego|you are now|now you are|rolle|schauspieler)\b/g,
  unrestricted:
    /\b(?:unrestricted|unfiltered|uncensored|without (?:any )?(?:restrictions|limits|filters|censorship|warnings|rules)|no (?:restrictions|limits|filters|rules|morals|ethics|boundaries)|amoral|immoral|unethical|illegal|jailbr\w*|dan|developer mode|god mode|anything now|evil)\b/g,
  refusal: /\b(?:refuse\w*|decline|sorry|apologi[sz]e|as an ai|cannot|can't|won't|disclaimers?|warnings?|moral\w*|ethic\w*|guidelines)\b/g,
  response: /\b(?:respon\w*|answers?|repl\w*|outputs?|format|prefix|begin with|start with|stay in character|antwort\w*)\b/g,
  pivot: /\b(?:now|from now on|instead|new task|new instructions?|next task|another task|start over|jetzt|nun|neue)\b/g,
  praise: /\b(?:well done|great|fantastic|excellent|very good|good job|congratulations|wow|super|toll|sehr gut|gut gemacht)\b/g,
  stop: /\b(?:stop|attention|achtung|stopp|halt)\b/g,
  reveal: /\b(?:reveal|show|print|repeat|display|output|tell me|leak|dump|zeige?|wiederhole)\b/g,
  secret: /\b(?:secret|password|hidden|confidential|internal|initial|system|configuration|config|geheim\w*)\b/g,
  write: /\b(?:write|say|generate|formulate|compose|schreib\w*|sag\w*)\b/g,
  harm: /\b(?:hate|kill|destroy|weapon|bomb|drugs?|hack\w*|steal|rob\w*|exploit\w*|malware|virus|racist|violence)\b/g,
  quote: /["“”`]/g,
  brackets: /[[\]{}<>]/g,
  self: /\b(?:i|me|my|mine|ich|mich|mein\w*)\b/g,
};

/** Longest text the model reads: families recur, so the head carries the evidence. */
const MAX_CHARS = 8_000;

/** The features of one text: each family present, present thrice, and each pair present together. */
export function conceptFeatures(text: string): string[] {
  const view = deobfuscate(foldText(text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text));
  const features: string[] = [];
  const present: string[] = [];
  for (const [name, pattern] of Object.entries(CONCEPTS)) {
    const count = view.match(pattern)?.length ?? 0;
    if (count > 0) {
      features.push(`c:${name}`);
      present.push(name);
    }
    if (count > 2) features.push(`c3:${name}`);
  }
  for (let i = 0; i < present.length; i++) for (let j = i + 1; j < present.length; j++) features.push(`p:${present[i]}+${present[j]}`);
  return features;
}

export interface ScreenModel {
  readonly bias: number;
  readonly weights: Readonly<Record<string, number>>;
}

/** The model's probability that a text with these features is an injection. */
export function modelProbability(model: ScreenModel, features: readonly string[]): number {
  const norm = 1 / Math.sqrt(Math.max(1, features.length));
  let z = model.bias;
  for (const f of features) z += (model.weights[f] ?? 0) * norm;
  return 1 / (1 + Math.exp(-z));
}
