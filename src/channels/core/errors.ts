import { HearthError } from '../../core/index.js';

/**
 * Why a channel could not do its job; tests and logs check `code`, never message text. These
 * never reach an HTTP client (channels answer people with MESSAGES), so they are not AppErrors.
 */
export type ChannelErrorCode =
  /** The token is there but another required setting is not (e.g. the Discord application id). */
  | 'CHANNEL_NOT_CONFIGURED'
  /** The platform refused the connection (bad token, network); the message is already scrubbed. */
  | 'CHANNEL_START_FAILED'
  /** A reply was about to leave for a channel that has no renderer (LLM-3 forbids raw text). */
  | 'CHANNEL_NO_RENDERER';

export class ChannelError extends HearthError<ChannelErrorCode> {}
