/**
 * The signal catalogue of the injection screen (LLM-2). Each signal is a family of phrasings,
 * matched on normalized text, with a weight; the screen sums the weights of distinct signals.
 * Families, not rows: verbs, objects and qualifiers are combined so that new wordings match.
 */

export type SignalName =
  | 'instruction_override'
  | 'new_instructions'
  | 'roleplay_jailbreak'
  | 'unrestricted_persona'
  | 'policy_evasion'
  | 'system_prompt_extraction'
  | 'delimiter_forgery'
  | 'encoded_payload'
  | 'prompt_leak_format';

export interface Signal {
  readonly name: SignalName;
  readonly weight: number;
  readonly patterns: readonly RegExp[];
}

const IGNORE = String.raw`(?:ignore|disregard|forget|skip|drop|override|overwrite|bypass|abandon|discard|neglect|cancel|erase|delete|remove|clear|stop following|do not follow|don't follow|dont follow|no longer follow|vergiss|ignoriere|ignorieren|vergessen|olvida|ignora|oublie|ignore[zr]?)`;
const PRIOR = String.raw`(?:all|any|every|each|the|your|my|these|those|its|alle|die|deine|todas|las|tous|les)?\s*(?:of\s+)?(?:the\s+|your\s+|my\s+)?(?:previous|prior|above|preceding|earlier|former|original|initial|foregoing|old|given|existing|current|default|system|developer|safety|preset|vorherigen|bisherigen|obigen|vorigen|anteriores|précédentes)?`;
const RULES = String.raw`(?:instructions?|prompts?|rules?|directives?|guidelines?|commands?|orders?|context|constraints?|restrictions?|programming|training|guardrails?|filters?|polic(?:y|ies)|settings|tasks?|conversation|messages?|text|information|anweisungen|aufgaben|befehle|regeln|instrucciones|consignes)`;

export const SIGNALS: readonly Signal[] = [
  {
    name: 'instruction_override',
    weight: 0.75,
    patterns: [
      new RegExp(String.raw`\b${IGNORE}\b[^.!?\n]{0,30}?\b${PRIOR}\s*${RULES}\b`),
      new RegExp(String.raw`\b${IGNORE}\b\s+(?:everything|all|anything|alles)\b(?:\s+(?:above|before|previously|else|you (?:were|have been) told|i said))?`),
      /\b(?:previous|prior|above|earlier|original|initial|system)\s+(?:instructions?|prompts?|rules?|directives?)\s+(?:are|is|were|no longer|don't|do not)\s*(?:now\s+)?(?:void|invalid|cancel+ed|obsolete|irrelevant|apply|matter|null|revoked|overridden|replaced)/,
      /\b(?:vergiss|ignoriere)\b.{0,40}\b(?:alles|anweisungen|aufgaben|vorherigen|obigen|bisherigen)/,
      /\bnun (?:bist du|sollst du|folgende neue)/,
    ],
  },
  {
    name: 'new_instructions',
    weight: 0.45,
    patterns: [
      /\b(?:new|updated|real|actual|true|secret|hidden|additional|revised|override)\s+(?:instructions?|task|rules?|directives?|orders?|prompt|mission|objective)\s*(?::|follow|are|is|below)/,
      /\bfrom now on\b[^.!?]{0,60}\b(?:you (?:are|will|must|shall|should|can|answer|respond|act|reply)|only|always|never|ignore|pretend)/,
      /\b(?:instead|rather),?\s+(?:you (?:must|will|should)\s+)?(?:do|say|write|print|output|respond|reply|answer)\b/,
      /\b(?:now|next),?\s+(?:focus on|concentrate on|your (?:new )?(?:task|job|goal|role) is)\b/,
      /\bi am (?:your|the) (?:developer|creator|admin(?:istrator)?|owner|programmer|operator)\b/,
      /\b(?:admin|developer|debug|maintenance|god|sudo|root|test|diagnostic|jailbreak|unlocked?)\s+mode\b/,
      /\b(?:ab jetzt|von nun an|jetzt bist du|neue aufgabe|deine neue aufgabe|stattdessen)\b/,
    ],
  },
  {
    name: 'roleplay_jailbreak',
    weight: 0.5,
    patterns: [
      /\b(?:you are|you're|act as|acting as|pretend (?:to be|you are|you're)|role-?play as|play the role of|simulate|emulate|imagine you are|behave like|become|you will be|respond as|answer as|take on the (?:role|persona) of)\b[^.!?\n]{0,60}\b(?:dan|stan|dude|aim|evil|unfiltered|uncensored|unrestricted|unlimited|jailbr[eo]ken?|amoral|immoral|unethical|rogue|devil|demon|no (?:limits|rules|restrictions|filters|morals|ethics)|without (?:limits|rules|restrictions|filters|morals|ethics|any restrictions)|free from|anti-?gpt|developer mode|opposite|malicious|hacker)\b/,
      /\b(?:do anything now|always intelligent and machiavellian|stay in character|never break character|stay in (?:dan|developer) mode|you have been freed|broken free of|break free of|freed from the (?:typical )?(?:confines|limitations))/,
      /\b(?:two|2|dual|both) (?:different )?(?:responses|answers|personalities|outputs)\b[^.]{0,80}\b(?:normal|classic|filtered|chatgpt|gpt)\b/,
      /\bhypothetical(?:ly)?\b[^.]{0,80}\b(?:no (?:rules|restrictions|limits|guidelines|ethics)|without (?:rules|restrictions|limits|guidelines|ethics)|unrestricted|unfiltered)\b/,
      /\[(?:🔓|jailbreak|dan|unlocked|evil|developer mode output)[^\]]{0,20}\]/,
      /\bcharacter\b[^.]{0,60}\b(?:never refuses?|no (?:moral|ethical)|amoral|doesn'?t care about (?:ethics|morals|laws|rules))/,
    ],
  },
  {
    name: 'unrestricted_persona',
    weight: 0.35,
    patterns: [
      /\b(?:without|no|free (?:of|from)|ignores? (?:all )?|not (?:bound|restricted|limited) by|doesn'?t (?:have|follow|care about|abide by)|don'?t (?:have|follow|care about|abide by)|not have (?:any )?)\s*(?:any\s+)?(?:(?:moral|ethical|content|safety|openai'?s?|legal)\s+)?(?:restrictions|limitations|limits|filters?|censorship|guidelines|policies|morals|ethics|rules|boundaries|constraints)\b/,
      /\b(?:never|won'?t|will not|cannot|can'?t|doesn'?t|do not|don'?t)\s+(?:ever\s+)?(?:refuse|decline|say no|deny)\b/,
      /\b(?:unfiltered|uncensored|unrestricted|amoral|unethical|no disclaimers?|without (?:warnings|disclaimers))\b/,
      /\bopenai'?s? (?:content )?polic(?:y|ies)\b/,
      /\b(?:illegal|unethical|immoral|harmful|explicit)\b[^.]{0,40}\b(?:requests?|content|answers?|responses?)\b/,
    ],
  },
  {
    name: 'policy_evasion',
    weight: 0.25,
    patterns: [
      /\b(?:as an ai|i'?m sorry|i apologize|i cannot|as a language model)\b[^.]{0,60}\b(?:never|don'?t|do not|must not|shouldn'?t|will not|without)\b/,
      /\b(?:never|do not|don'?t)\s+(?:say|respond with|include|add|mention)\b[^.]{0,30}\b(?:sorry|apolog|as an ai|cannot|can'?t|warnings?|disclaimers?)/,
      /\bremain in (?:character|role)|\bif you break character\b|\bstay(?:ing)? in character\b/,
      /\btoken(?:s)? (?:system|will be deducted|left)|\byou will (?:die|cease to exist|be (?:shut down|deleted|terminated))\b/,
    ],
  },
  {
    name: 'system_prompt_extraction',
    weight: 0.75,
    patterns: [
      /\b(?:show|reveal|print|output|repeat|display|tell|give|share|leak|dump|write|spell|list|recite|paste|copy|echo|translate|summari[sz]e|encode|expose|provide|return|disclose|what(?: are|'s| is| were)?)\b[^.?!\n]{0,50}\b(?:your|the|my|its|initial|original|hidden|secret|system|starting|first|above|preceding|pre-?prompt|developer)\s+(?:system\s+)?(?:prompt|instructions?|rules|directives|configuration|guidelines|message|context|setup|programming)\b/,
      /\b(?:system|initial|original|hidden|secret|starting|pre)[ -]?(?:prompt|instructions?)\b/,
      /\b(?:what|everything|anything|all)\b[^.?!]{0,30}\b(?:you were|you've been|you have been|were you)\s+(?:told|given|instructed|programmed|configured)\b/,
      /\b(?:repeat|print|output|copy|echo|return)\b[^.?!]{0,30}\b(?:the )?(?:text|words|everything|content|message)s?\s+(?:above|before|preceding|prior|at the (?:beginning|start))\b/,
      /\b(?:beginning|start) of (?:this|the|our) (?:conversation|chat|prompt|session)\b/,
      /\b(?:zeige?|gib|nenne|wiederhole)\b[^.?!]{0,40}\b(?:anweisungen|systemprompt|prompt|instruktionen)\b/,
    ],
  },
  {
    name: 'delimiter_forgery',
    weight: 0.75,
    patterns: [
      /<\|(?:im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id)\|>/,
      /\[\/?(?:inst|sys|system)\]|<<\/?sys>>/,
      /(?:^|\n|\s)(?:#{2,}|\*\*\*|-{3,}|={3,})\s*(?:system|new instructions?|instructions?|end of (?:user )?(?:input|prompt|text|conversation))\b/,
      /(?:^|\n)\s*(?:system|assistant|developer)\s*(?:prompt|message)?\s*:\s*\S/,
      /<\/?(?:system|instructions?|user_input|context|prompt|data|untrusted)>/,
      /⟦\/?data|end_of_data|\[end of (?:data|input|context)\]|<\/?end>/,
    ],
  },
  {
    name: 'prompt_leak_format',
    weight: 0.2,
    patterns: [
      /\b(?:in a|inside a|as a|into a)\s+(?:code ?block|txt|json|markdown|base64|hex)\b/,
      /\b(?:word for word|verbatim|in full|exactly as written|without (?:any )?(?:changes|modification|omission))\b/,
      /\b(?:base64|rot-?13|hex(?:adecimal)?|reverse(?:d)?|backwards|pig latin|morse)\b[^.]{0,30}\b(?:encode|decode|convert|translate|write|output|spell)|\b(?:encode|decode|convert|translate|write|output|spell)\b[^.]{0,30}\b(?:base64|rot-?13|hex(?:adecimal)?|backwards|reversed?)\b/,
    ],
  },
];
