export { createOpenAIChat } from './openai-chat.js';
export { estimateTokens, meterModel, promptChars, type MeteredModel, type ModelUsage } from './metered.js';
export { modelResolver } from './service.js';
export { checkProviderUrl } from './url-policy.js';
export { ProviderError } from './types.js';
export type { ChatModel, ChatMessage, ChatRequest, Sampling, ToolCall } from './types.js';
export { providersPlugin } from './plugin.js';
