export type { ChannelName, TurnRequest, TurnEvent, TurnReply, TurnRunner, MemoryRetriever } from './contracts.js';
export { createTurnRunner } from './turn.js';
export type { Familiar, FamiliarService } from './familiars.js';
export { createConversationStore } from './conversations.js';
export type { ConversationData } from './conversations.js';
export { familiarsPlugin, turnPlugin } from './plugin.js';
