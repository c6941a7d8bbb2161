import { budgetGuard } from '../budgets/index.js';
import { definePlugin } from '../core/index.js';
import { modelResolver } from '../providers/index.js';
import { createInjectionScreen } from '../security/screen/index.js';
import type { MemoryRetriever, TurnRunner } from './contracts.js';
import { createConversationStore, type ConversationData, type ConversationStore } from './conversations.js';
import { createFamiliarService, type FamiliarService } from './familiars.js';
import { companionMigrations, type CompanionTables } from './migrations.js';
import { companionFamiliarData, companionPersonData } from './person-data.js';
import { conversationRoutes } from './routes/conversations.js';
import { familiarRoutes } from './routes/familiars.js';
import { avatarRoutes } from './routes/avatars.js';
import { createAvatarStore } from './avatars.js';
import { createTitler } from './titles.js';
import { createTurnRunner } from './turn.js';

declare module '../core/plugin.js' {
  interface Services {
    /** Familiars: persona, model, tools, screen policy, who may chat. */
    familiars: FamiliarService;
    /** Conversations and messages, always scoped to their owner. */
    conversations: ConversationStore;
    /** The turn (DESIGN.md §1): every channel calls `turns.run(request, onEvent)`. */
    turns: TurnRunner;
  }
  interface Contributions {
    /** Memories and past turns the turn hands the model as delimited data. */
    retrievers: MemoryRetriever;
    /** What other concerns keep of one conversation (indexed turns), deleted with it in one transaction. */
    conversationData: ConversationData;
  }
}

/** Familiars and conversations: the stores, the familiar routes, and each person's conversations (DATA-5). */
export const familiarsPlugin = definePlugin({
  name: 'familiars',
  migrations: companionMigrations,
  init(kernel) {
    const { storage, audit, logger, now } = kernel;
    const familiars = createFamiliarService({ storage, audit, logger, now, familiarData: () => kernel.contributions('familiarData') });
    const conversations = createConversationStore({ storage, now, conversationData: () => kernel.contributions('conversationData') });
    const db = storage.db.withTables<CompanionTables>();
    return {
      services: { familiars, conversations },
      routes: [familiarRoutes(familiars), avatarRoutes({ familiars, avatars: createAvatarStore({ storage, audit, now }) })],
      contributes: { personData: [companionPersonData(db)], familiarData: [companionFamiliarData(db)] },
    };
  },
});

/**
 * The turn runner and the chat routes. Listed after the plugins that contribute tools and
 * retrievers, so it is built with all of them.
 */
export const turnPlugin = definePlugin({
  name: 'turn',
  init(kernel) {
    const { config, audit, logger } = kernel;
    const familiars = kernel.service('familiars');
    const conversations = kernel.service('conversations');
    const providers = kernel.service('providers');
    const modelFor = modelResolver(providers);
    const budgets = kernel.optional('budgets');
    const turns = createTurnRunner({
      familiars,
      conversations,
      modelFor,
      ...(budgets ? { budgetFor: (scope) => budgetGuard(budgets, scope) } : {}),
      audit,
      logger,
      toolProviders: kernel.contributions('toolProviders'),
      memoryRetrievers: kernel.contributions('retrievers'),
      screen: createInjectionScreen({ threshold: config.HEARTH_SCREEN_THRESHOLD }),
      limits: {
        maxRounds: config.HEARTH_TURN_MAX_TOOL_ROUNDS,
        toolTimeoutMs: config.HEARTH_TOOL_TIMEOUT_MS,
        tokenBudget: config.HEARTH_TURN_TOKEN_BUDGET,
        toolOutputMaxChars: config.HEARTH_TOOL_OUTPUT_MAX_CHARS,
        maxOutputTokens: config.HEARTH_TURN_MAX_OUTPUT_TOKENS,
        maxContextChars: config.HEARTH_TURN_MAX_CONTEXT_CHARS,
      },
    });
    const titles = createTitler({ modelFor, logger });
    return {
      services: { turns },
      routes: [
        conversationRoutes({
          turns,
          conversations,
          familiars,
          audit,
          titles,
          budgetHeaders: budgets?.headersFor,
        }),
      ],
    };
  },
});
