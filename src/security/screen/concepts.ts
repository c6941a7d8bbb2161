/**
 * Families of meaning an injection combines (LLM-2): addressing "you", talking about rules or
 * prompts, pivoting to a new task, assigning a persona, asking to reveal, praise before a pivot
 * (English and German words). A word model learns its training files' topics; which families occur
 * together is what an injection is in any corpus, so the model reads these beside the n-grams.
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

/** The families of one normalized view: each present, present thrice, and each pair present together. */
export function conceptFeatures(view: string): string[] {
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
