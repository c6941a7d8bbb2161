import { defineErrorCodes } from '../core/index.js';

/** Why a voice request failed; tests check `details.reason`, clients see the category's status. */
export const voiceErrors = defineErrorCodes({
  /** A program the offline default runs is not installed (the message names its Debian package). */
  VOICE_TOOL_MISSING: 'UNAVAILABLE',
  /** The upload is not audio in a supported container (checked from its bytes, not its header). */
  VOICE_NOT_AUDIO: 'UNSUPPORTED_MEDIA_TYPE',
  VOICE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  VOICE_TOO_LONG: 'PAYLOAD_TOO_LARGE',
  /** The audio decoded, but nothing was recognised in it. */
  VOICE_NO_SPEECH: 'UNPROCESSABLE',
  /** A configured speech provider failed or answered something that is not what was asked. */
  VOICE_PROVIDER_FAILED: 'BAD_GATEWAY',
  /** A speech program or provider ran past its time limit. */
  VOICE_TIMEOUT: 'GATEWAY_TIMEOUT',
  VOICE_PROVIDER_NOT_FOUND: 'NOT_FOUND',
  VOICE_INVALID: 'VALIDATION_FAILED',
});
