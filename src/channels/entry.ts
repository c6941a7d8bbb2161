import type { ChannelName } from '../companions/index.js';
import type { Config } from '../config/index.js';
import type { LeasedState } from '../cluster/index.js';
import type { Logger } from '../logging/index.js';
import type { AuditLog } from '../security/audit/index.js';
import type { ApprovalButtons } from './approval-buttons.js';
import type { FamiliarRouter } from './familiars/index.js';
import {
  ChannelError,
  type ChannelAdapter,
  type ChannelHub,
  type PersonCommands,
  type SecretScrubber,
  type StoredChannelSettings,
} from './core/index.js';

/** The chat platforms with an adapter (the web, API and OpenAI surfaces are not adapters). */
export type ChatChannel = Extract<ChannelName, 'telegram' | 'discord' | 'twitch'>;

/** Access the environment grants on a channel; stored settings add allowed ids on top. */
export interface EnvAccess {
  readonly allowedIds: readonly string[];
  readonly ownerIds: readonly string[];
}

/** Voice notes (the voice concern, CH-5): an upload transcribed, a reply spoken as OGG/Opus. */
export interface VoiceNotes {
  /** The largest voice note accepted, in bytes. */
  readonly maxBytes: number;
  /** `payer`: who is charged the note's seconds (voice budget, issue #22); BUDGET_EXCEEDED when spent. */
  transcribe(
    upload: Buffer,
    payer?: { readonly userId: string; readonly familiarId: string; readonly channel: string },
  ): Promise<{ readonly text: string; readonly seconds?: number; readonly provider?: string }>;
  /** `wav`: 16-bit PCM (Discord voice channels re-encode it to Opus themselves). */
  speak(text: string, format: 'ogg' | 'wav'): Promise<{ readonly audio: Buffer; readonly provider?: string }>;
}

/** Everything an adapter may need, handed over by the channels service when it starts one. */
interface ChannelDeps {
  readonly token: string;
  readonly config: Config;
  readonly hub: ChannelHub;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  /** This channel's stored settings as they are now (read per event: the dashboard may change them). */
  readonly stored: () => StoredChannelSettings;
  /** The person's own memory commands (Discord /remember, /forget, /export); absent = "not available". */
  readonly personCommands?: PersonCommands | undefined;
  /** Shell approval buttons for the owner (EXEC-1); absent = no buttons. */
  readonly approvals?: ApprovalButtons | undefined;
  /** Voice notes in and out (CH-5); absent = voice notes are answered with a "write instead". */
  readonly voice?: VoiceNotes | undefined;
  /** Which familiar answers where (issue #22); absent = the channel's one familiar everywhere. */
  readonly familiars?: FamiliarRouter | undefined;
  /** The audit log, for what an adapter does beyond the hub (Discord's `voice.turn`). */
  readonly audit?: AuditLog | undefined;
  /** What this connection's next owner must know (Telegram's update offset, the Twitch pause): in the database, fenced by the lease (#19). */
  readonly state: LeasedState;
}

/** What the service knows about one platform; each lives next to its adapter (e.g. telegram/entry.ts). */
export interface ChannelEntry {
  readonly name: ChatChannel;
  rules(config: Config): EnvAccess;
  /** The token from the environment, if any; it is sealed into the vault at start and read from there. */
  envToken(config: Config): string | undefined;
  /** Whether everything besides the token is configured; if not, why (logged, and the channel stays off). */
  ready(config: Config): { readonly ok: true } | { readonly ok: false; readonly reason: string };
  /** Builds the adapter, loading the platform library only now so unconfigured channels cost nothing. */
  create(deps: ChannelDeps): Promise<ChannelAdapter>;
}

type Present<K extends keyof Config> = { readonly [P in K]: NonNullable<Config[P]> };
export type Readiness<K extends keyof Config> =
  { readonly ok: true; readonly values: Present<K> } | { readonly ok: false; readonly reason: string };

/** The named settings when all are set (an entry's `ready`), else which are missing. */
export function requireSettings<K extends keyof Config>(config: Config, keys: readonly K[]): Readiness<K> {
  const missing = keys.filter((k) => !config[k]);
  if (missing.length > 0) return { ok: false, reason: `${missing.join(', ')} not set` };
  return { ok: true, values: Object.fromEntries(keys.map((k) => [k, config[k]])) as Present<K> };
}

/** The values of a readiness check, for `create` (only called once ready, so a miss is a bug in the caller). */
export function configured<K extends keyof Config>(channel: ChatChannel, readiness: Readiness<K>): Present<K> {
  if (!readiness.ok) throw new ChannelError('CHANNEL_NOT_CONFIGURED', `${channel}: ${readiness.reason}`);
  return readiness.values;
}
