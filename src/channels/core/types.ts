import type { ChannelName } from '../../companions/index.js';

/** The small interface every channel adapter implements (one folder per channel). */
export interface ChannelAdapter {
  readonly name: ChannelName;
  /** Connects to the platform; resolves once it is receiving. */
  start(): Promise<void>;
  /** Disconnects; safe to call twice. */
  stop(): Promise<void>;
  /** Sends one already-authorized message to a chat/channel on this platform (e.g. "you are approved"). */
  deliver(target: string, text: string): Promise<void>;
}

/** What an adapter knows about who wrote to it. */
export interface ChannelSender {
  readonly channel: ChannelName;
  readonly externalId: string;
  readonly displayName?: string | null;
}

/** Per-channel access rules, from the environment or the channel's stored settings. */
export interface AccessRules {
  /** External ids always allowed (e.g. Telegram user ids). */
  readonly allowedIds: readonly string[];
  /** External ids of owners: allowed, and may approve pairings from their own chat. */
  readonly ownerIds: readonly string[];
  /** Strangers get a pairing code when true, a plain refusal otherwise. */
  readonly pairing: boolean;
}

/** The person's own memory commands (Discord /remember, /forget, /export), provided by the memory concern. */
export interface PersonCommands {
  /** `via`: who asked on which channel, for the audit entry (`memory.write`). */
  remember(userId: string, text: string, via?: ChannelSender): Promise<string>;
  /** `via`: who asked on which channel, for the audit entries (`memory.delete`, one per memory). */
  forget(userId: string, via?: ChannelSender): Promise<string>;
  export(userId: string): Promise<string>;
}
