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
  /** Shows the owner a shell command waiting for approval, with Approve/Deny buttons (EXEC-1); bots that can. */
  offerApproval?(target: string, prompt: ApprovalPrompt): Promise<void>;
}

/** What a bot shows the owner: the whole command, why it asks, and two buttons whose data are only nonces. */
export interface ApprovalPrompt {
  readonly command: string;
  readonly reasons: readonly string[];
  /** Who asked and for which familiar, as plain words. */
  readonly context: string;
  readonly approveNonce: string;
  readonly denyNonce: string;
  readonly expiresAt: number;
}

/** What an adapter knows about who wrote to it. */
export interface ChannelSender {
  readonly channel: ChannelName;
  readonly externalId: string;
  readonly displayName?: string | null;
  /** The familiar this message is for, when the adapter routed it (issue #22): memory commands act on its memories. */
  readonly familiarId?: string | undefined;
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

/** A person's memories as a file (/export), sent privately by the channel. */
export interface PersonExport {
  readonly name: string;
  /** JSON: every memory with its provenance, source and history. */
  readonly content: string;
  /** One line to send with the file. */
  readonly summary: string;
  readonly count: number;
}

/**
 * The person's own memory rights (/remember, /memories, /why N, /forget N|everything, /export),
 * provided by the memory concern; always for the caller's own person. `via`: who asked on which
 * channel, for the audit entries.
 */
export interface PersonCommands {
  remember(userId: string, text: string, via?: ChannelSender): Promise<string>;
  /** One page (from 1) of what the familiar remembers, numbered for /why and /forget. */
  memories(userId: string, page: number, via?: ChannelSender): Promise<string>;
  /** Where memory `which` (a number from /memories, or an id) came from: origin, channel, time, the turn. */
  why(userId: string, which: string, via?: ChannelSender): Promise<string>;
  /** Forgets memory `which`; empty, `everything` or `all` forgets every memory kept with this familiar. */
  forget(userId: string, which: string | undefined, via?: ChannelSender): Promise<string>;
  /** The newest memories as text (fits one message). */
  export(userId: string, via?: ChannelSender): Promise<string>;
  /** Every memory as a JSON file (audited `memory.export`). */
  exportFile(userId: string, via?: ChannelSender): Promise<PersonExport>;
}
