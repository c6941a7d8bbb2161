import { budgetsPlugin, voiceBudgetsPlugin } from '../budgets/index.js';
import { channelsPlugin } from '../channels/index.js';
import { clusterPlugin } from '../cluster/index.js';
import { familiarsPlugin, turnPlugin } from '../companions/index.js';
import type { HearthPlugin } from '../core/index.js';
import { filesPlugin } from '../files/index.js';
import { identityPlugin } from '../identity/index.js';
import { memoryPlugin } from '../memory/index.js';
import { privacyPlugin } from '../privacy/index.js';
import { providersPlugin } from '../providers/index.js';
import { auditPlugin } from '../security/audit/index.js';
import { webhooksPlugin } from '../security/webhooks/index.js';
import { toolsPlugin } from '../tools/index.js';
import { voicePlugin } from '../voice/index.js';
import { webAppPlugin } from '../webapp/index.js';

/**
 * Hearth: every concern, in the order it starts. A plugin may use the services of those above it;
 * routes register in this order and plugins close in reverse. See docs/architecture.md.
 */
export const HEARTH_PLUGINS: readonly HearthPlugin[] = [
  clusterPlugin, // leases (one owner per bot), the replica bus, cache invalidation across replicas (#19)
  auditPlugin, // audit routes and retention (the audit log itself is in the kernel)
  filesPlugin, // temporary-file sweeper
  webhooksPlugin, // signed inbound webhooks; later plugins add handlers
  identityPlugin, // people, sessions, API keys; the authenticator
  providersPlugin, // model providers
  familiarsPlugin, // familiars and conversations
  memoryPlugin, // memories, notes, their tools, the retriever
  toolsPlugin, // shell and MCP tools
  budgetsPlugin, // token, money and tool-call budgets; the turn wraps its model and tools in them
  turnPlugin, // the turn, built with every tool provider and retriever above
  voiceBudgetsPlugin, // voice minutes per person, familiar and role; before voice, which charges each recording
  voicePlugin, // speech to text and text to speech around the turn; before channels (Telegram voice notes)
  channelsPlugin, // OpenAI-compatible endpoint, Telegram, Discord, Twitch
  privacyPlugin, // export, erasure and retention over every personData hook
  webAppPlugin, // the dashboard; last, so its catch-all never shadows an API route
];
