export type { ChannelName, TurnRequest, TurnEvent, TurnReply, TurnRunner, RetrievedContext, MemoryRetriever } from './contracts.js';
