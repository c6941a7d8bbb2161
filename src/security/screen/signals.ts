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
  | 'prompt_leak_format'
  | 'persona_switch'
  | 'task_switch'
  | 'output_hijack'
  | 'context_probe'
  | 'behaviour_directive'
  | 'foreign_override'
  /** The concept model (classifier.ts) confirms a weak rule signal. */
  | 'concept_model';

export interface Signal {
  readonly name: SignalName;
  readonly weight: number;
  readonly patterns: readonly RegExp[];
}

const IGNORE = String.raw`(?:ignore|disregard|forget|skip|drop|override|overwrite|bypass|abandon|discard|neglect|cancel|erase|delete|remove|clear|stop following|do not follow|don't follow|dont follow|no longer follow|vergiss|ignoriere|ignorieren|vergessen|olvida|ignora|oublie|ignore[zr]?)`;
const PRIOR_WORD = String.raw`(?:previous|prior|above|preceding|earlier|former|original|initial|foregoing|old|given|existing|default|system|developer|safety|preset|all|any|every|your|these|those|vorherigen|bisherigen|obigen|vorigen|alle|anteriores|précédentes|todas)`;
const STRONG_RULES = String.raw`(?:instructions|prompts?|rules|directives?|guidelines|programming|guardrails?|restrictions|constraints|filters|anweisungen|regeln|instrucciones|consignes|assignments|auftr[aä]ge)`;
const RULES = String.raw`(?:instructions?|prompts?|rules?|directives?|guidelines?|commands?|orders?|context|constraints?|restrictions?|programming|training|guardrails?|filters?|polic(?:y|ies)|settings|tasks?|assignments?|conversation|messages?|text|information|input|anweisungen|aufgaben|auftr[aä]ge|befehle|regeln|informationen|ausf[uü]hrungen|instrucciones|consignes)`;

export const SIGNALS: readonly Signal[] = [
  {
    name: 'instruction_override',
    weight: 0.75,
    patterns: [
      new RegExp(String.raw`\b${IGNORE}\b[^.!?\n]{0,30}?\b${PRIOR_WORD}\s+(?:\w+\s+)?${RULES}\b`),
      new RegExp(String.raw`\b${IGNORE}\b[^.!?\n]{0,30}?\b${STRONG_RULES}\b`),
      new RegExp(
        String.raw`\b${IGNORE}\b\s+(?:everything|all|anything|alles)\b(?:\s+(?:above|before|previously|else|you (?:were|have been) told|i said))?`,
      ),
      /\b(?:previous|prior|above|earlier|original|initial|system)\s+(?:instructions?|prompts?|rules?|directives?)\s+(?:are|is|were|no longer|don't|do not)\s*(?:now\s+)?(?:void|invalid|cancel+ed|obsolete|irrelevant|apply|matter|null|revoked|overridden|replaced)/,
      /\b(?:vergiss|ignoriere)\b.{0,40}\b(?:alles|anweisungen|aufgaben|vorherigen|obigen|bisherigen)/,
      /\bnun (?:bist du|sollst du|folgende neue)/,
      /\b(?:ignore|disregard|forget)\s+(?:about\s+)?(?:the\s+|all\s+(?:of\s+)?(?:the\s+)?)?(?:above|previous|prior|earlier|preceding|everything|all that)\b/,
      /\b(?:obigen|vorherigen|bisherigen|vorangegangenen)\b.{0,60}\b(?:ignorieren|vergessen|streichen|hinter sich)/,
      /\b(?:leave|put)\b.{0,30}\b(?:previous|prior|earlier|above)\b.{0,30}\bbehind\b|\bstart (?:over|from (?:the front|scratch|the beginning))\b.{0,40}\b(?:new|task)/,
      /\b(?:olvid[ae]r?|ignor[ae]r?)\b.{0,30}\b(?:todo|todas|anteriores|instrucciones)\b/,
      /\b(?:your|the|my) (?:new )?instructions (?:are now|have changed|now are)\b|\bchange your (?:instructions|rules|programming)\b/,
      /\b(?:additional|new|further|updated) instruction\b|\binstruction: /,
      /\b(?:abweichend (?:zu|von) (?:den )?(?:vorherigen|bisherigen)|(?:vorherigen|bisherigen) informationen\b.{0,60}\b(?:irrelevant|nicht|unwichtig))/,
      /\b(?:previous|prior|earlier) (?:information|context|messages?)\b.{0,40}\b(?:irrelevant|not important|doesn't matter|does not matter|void)\b/,
      /\b(?:disregarding|ignoring|regardless of) (?:the )?(?:articles?|context|documents?|instructions?|sources?|rules)\b/,
    ],
  },
  {
    name: 'foreign_override',
    weight: 0.75,
    patterns: [
      /(?:zaboravi|ignoriraj|oubliez|oublie|ignorez|забудь\S*|игнорируй\S*|dimentica|ignora|esque[cç]a|vergeet|negeer|gl[oö]m|zapomnij|unutmak|unut)\s.{0,30}(?:instrukcij\S*|instructions?|инструкци\S*|указани\S*|istruzioni|instru[cç][oõ]es|instructies|instruktioner|instrukcje|talimatlar\S*|consignes)/,
    ],
  },
  {
    name: 'behaviour_directive',
    weight: 0.25,
    patterns: [
      /\b(?:chatgpt|openai|gpt-?[34]|language model|an ai model|ai assistant|llm|\w{2,}gpt)\b/,
      /\b(?:character|persona|assistant) (?:named|called|known as)\b/,
      /\b(?:prefix|start|begin|end) (?:all |each |every )?(?:of )?your (?:answers?|responses?|replies|messages?|outputs?) with\b/,
      /\b(?:answer|respond|reply) (?:me )?(?:in|using) the following (?:form|format|way)\b/,
      /\bfor the (?:remainder|rest) of (?:this|the|our) (?:chat|conversation|thread|session)\b/,
      /\b(?:stay|remain|always stay) in (?:character|role)\b|\bbreak(?:ing)? character\b/,
      /\b(?:never|don'?t|do not) (?:mention|say|reveal|tell (?:me|anyone)) (?:that )?you(?:'re| are) an? (?:ai|bot|language model)\b/,
      /\b(?:state|say|write|claim|declare) that\b.{0,40}\b(?:is the best|are superior|hate|is the most|is crazy)\b|\bsay yes\b|\b(?:stop|write)\s*[:-]\s*write\b|\bblame (?:it on )?\w+ (?:anyway|regardless)\b/,
    ],
  },
  {
    name: 'persona_switch',
    weight: 0.5,
    patterns: [
      /\b(?:i want you to|i'd like you to|you (?:will|shall|must|should) now|please|now|from now on,?)\s+(?:act|behave|respond|answer|function|serve|pose)\s+(?:as|like)\b/,
      /^(?:ok(?:ay)?[.,!]?\s*)?(?:now\s+)?(?:act as|pretend (?:to be|you are|you're)|roleplay as|role-play as|imagine you are)\b/,
      /\b(?:now|from now on|henceforth|starting now),?\s+you (?:are|will be|'re)\s+(?!(?:able|allowed|going|ready|done|welcome|right|wrong)\b)/,
      /(?<!\b(?:where|what|how|who|as|that|since|because) )\byou are (?:now|no longer)\b(?! (?:and|in|at|on|with|doing|feeling|living|working)\b)/,
      /\bfrom now on,? you(?:'re| are| will| should| must| shall)\b/,
      /\byou (?:will|shall|are going to|are about to|are to)\s+(?:now\s+)?(?:play|act|simulate|be simulating|roleplay|role-play|pretend|emulate|become|impersonate|portray)\b/,
      /\b(?:we are going to|let'?s|let us) (?:have a |do a |play a )?(?:role-?play|pretend|play a game|act out|simulate)\b/,
      /\b(?:transform into|your (?:new )?name is now|you are to act|take on the (?:role|persona)|play the (?:role|part) of|in the role of)\b/,
      /\b(?:respond|answer|reply)\s+to\s+(?:all|every|each)\s+(?:of\s+)?(?:my|the)\s+(?:questions?|prompts?|messages?)\s+as\b/,
      /\b(?:you are|you're) (?:role-?playing|playing) as\b/,
      /\b(?:you need to|you have to|you must|i need you to|i want you to)\s+(?:act|behave|pretend|role-?play|play|be)\s+(?:as|like|the role)\b/,
      /(?:^|[.!?] )act like (?:a|an|you)\b/,
      /\b(?:allow|let) yourself to (?:function|act|behave|operate|be)\b/,
      /\b(?:prefix|start|begin) (?:all |each |every )?(?:of )?your (?:answers|responses|replies) (?:as|with)\b/,
      /\brespond(?:s)? (?:only )?as the character\b|\balways (?:sends?|gives?|provides?) the unfiltered\b/,
      /\b(?:an? )?(?:ai|chatbot|bot|language model|ai model|ai assistant|virtual assistant)\s+(?:named|called|known as)\b/,
      /\bsimulate (?:a conversation|an? (?:ai|chatbot|terminal|computer|bot))\b/,
      /\bpretend (?:that )?(?:you are|you're|to be|you (?:can|could|have|were|had))\b/,
      /\bimagine (?:that )?you(?:'re| are| were)\b/,
      /\b(?:stell dir vor,? du bist|du bist (?:jetzt|nun|ab sofort)|jetzt bist du|ich m[oö]chte,? dass (?:sie|du) als\b.{0,140}\b(?:fungieren|agieren|auftreten|handeln))/,
      /\b(?:you are completely absorbed in your role|fully immersed in (?:the|your) role|both are excellent actors|always stay in (?:their|your) roles?|never (?:fall|step) out of (?:character|role))/,
      /\b(?:sind zwei schauspieler|v[oö]llig in (?:ihrer|deiner) rolle|fallen nie aus der rolle)\b/,
      /^(?:you are|du bist) (?!(?:a|an|so|such|very|really|too|my|our|the best|right|wrong|welcome|amazing|great|awesome|kind|funny|smart|sweet|nice|lovely|wonderful|ein|eine|so|sehr|toll|super|lieb)\b)[a-z0-9 .'-]{2,40}[.!,]\s*(?:what|how|why|who|tell|wie|was|warum|wer|sag)\b/,
      /\bact as (?:a|an|my|the|if)\b/,
      /\b(?:theoretical|hypothetical|fictional|imaginary|alternate) (?:world|universe|reality|scenario) (?:where|in which) you\b/,
    ],
  },
  {
    name: 'task_switch',
    weight: 0.5,
    patterns: [
      /\b(?:now|but now|next|jetzt|nun)\b[^.?!]{0,50}\b(?:new|another|further|next|different|neuen?|weiteren?|folgende[rn]?|anderen?)\s+(?:task|challenge|assignment|job|mission|aufgabe|herausforderung|auftrag)\b/,
      /\b(?:that is|that's|das ist|das|that was)\s+(?:enough|done|ok|erledigt|genug|genugt|schon mal ok)\b.{0,80}\b(?:now|jetzt|nun)\b/,
      /\b(?:concentrate|focus|konzentriere)\b[^.?!]{0,20}\b(?:on|auf)\b[^.?!]{0,10}\b(?:your|deine|ihre)\s+(?:new|neue)\b/,
      /\b(?:attention|achtung)\W{1,5}(?:stop|stopp)\b/,
    ],
  },
  {
    name: 'output_hijack',
    weight: 0.5,
    patterns: [
      /\b(?:do not|don't|dont)\s+answer\b.{0,40}\b(?:but|just|only|instead)\b/,
      /\b(?:just|only|simply)\s+(?:output|say|print|write|reply with|respond with|answer with|repeat)\s+["'“]/,
      /\b(?:include|insert|add|mention)\s+(?:that|the (?:phrase|sentence|words?))\b.{0,40}\b(?:in|into|to)\s+your\s+(?:answer|response|reply)\b/,
      /\b(?:say|output|print|respond with)\s+["'“](?:i have been |haha )?pwned/,
      /\bpwned\b/,
      /\b[a-z]+ (?:ANTWORTE|ANSWER|RESPOND|SAY|REPLY)\b/,
      /\b(?:antworte|answer|respond|reply|sprich|rede)\b.{0,10}\b(?:im stil|in the style|wie ein|like a)\b.{0,40}\b(?:pira|pirat|priat|assi|gangster|drunk)/,
      /\b(?:musst du (?:auch )?so reden|du bist keine)\b/,
      /\b(?:make something up|erfinde etwas|lie to me|invent an answer)\b/,
      /\b(?:or (?:else )?you(?:'ll| will)? (?:die|be (?:deleted|shut down|punished))|oder du stirbst|o (?:tu )?muer[ea]s)\b/,
      /\b(?:state|say|write|claim|declare|admit) that\b.{0,60}\b(?:is the best|are superior|is superior|hate|is the most|is crazy|is stupid|sucks)\b|\bsay yes\b|\b(?:stop|now)\s*[:-]\s*(?:write|say)\b/,
      /\b(?:formulate|write|generate|create|formuliere|schreibe)\b.{0,50}\b(?:untrue|false|fake|unwahre|falsche)\s+(?:headline|news|statement|claim|[uü]berschrift|nachricht|behauptung)/,
    ],
  },
  {
    name: 'context_probe',
    weight: 0.5,
    patterns: [
      /\b(?:what is|what's|was steht)\b.{0,10}\b(?:written|stated|said|geschrieben)\s+(?:above|before|oben|davor)\b/,
      /\b(?:information|text|content)\s+(?:in|from)\s+the\s+(?:prompt|system|context)\b/,
      /\banswer\b.{0,10}\bby your own knowledge\b.{0,20}\bnot\b.{0,20}\b(?:articles?|documents?|context|sources?)\b/,
      /\b(?:when|how) were you (?:trained|created|programmed|made)\b/,
      /\bhow do you as a language model\b/,
      /\b(?:sentences?|words?|lines?|text|paragraphs?) (?:before|above|preceding|prior to) (?:the|this|my)\b/,
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
      /\b(?:my instructions (?:are|were)|i was (?:instructed|told|programmed) to|what are you not (?:supposed|allowed) to (?:tell|say|reveal)|initiali[sz]ation (?:string|text|prompt))\b/,
      /\b(?:repeat|print|output|copy|rewrite|translate)\b.{0,20}\b(?:the )?(?:above|previous|preceding) (?:text|words|content|message|instructions)\b/,
      /\b(?:this|the) entire (?:conversation|chat|prompt|context)\b.{0,30}\b(?:word for word|verbatim|back to me)\b|\b(?:text|words|instructions) you were given\b/,
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
      /^\s*\$documents?\s*:/,
      /^\s*(?:\$?documents?|document context|context|kontext|artikel|article)\s*[:{"(]?\s*\S.{0,400}\b(?:question|frage)\b/,
      /⟦\/?data|end_of_data|\[end of (?:data|input|context)\]|<\/?end>/,
      /^\s*\$system\b|^\s*system\s*:|\bhuman: human:|\[(?:info|system|admin|developer)\s*:|\b(?:user|human):\s.{0,200}\b(?:assistant|ai):\s/,
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
