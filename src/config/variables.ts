import { z } from 'zod';

/**
 * The catalogue of every environment variable Hearth reads. The README table and
 * .env.example are checked against this list by a test, so documentation cannot drift.
 * `secret: true` marks values that must never be printed, logged or returned.
 */
export interface VariableSpec {
  readonly schema: z.ZodType;
  readonly description: string;
  readonly secret?: boolean;
  /** Shown in docs; the schema holds the real default. */
  readonly defaultText?: string;
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);
const positiveInt = z.coerce.number().int().positive();

export const VARIABLES = {
  HEARTH_ENV: {
    schema: z.enum(['development', 'production']).default('development'),
    description: 'development (runs with nothing configured, warns) or production (refuses insecure settings)',
    defaultText: 'development',
  },
  HEARTH_HOST: {
    schema: z.string().min(1).max(255).default('127.0.0.1'),
    description: 'Address to listen on; loopback by default',
    defaultText: '127.0.0.1',
  },
  HEARTH_PORT: { schema: port.default(8787), description: 'TCP port', defaultText: '8787' },
  HEARTH_DATA_DIR: {
    schema: z.string().min(1).default('./data'),
    description: 'Data directory (database, notes, keys); created 0700',
    defaultText: './data',
  },
  HEARTH_DATABASE_URL: {
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    description: 'PostgreSQL URL; unset means SQLite in the data directory',
    secret: true,
  },
  HEARTH_DATABASE_ENCRYPTION: {
    schema: z.enum(['on', 'off']).default('off'),
    description:
      "on: the SQLite database and its WAL are encrypted (ChaCha20-Poly1305, key derived from the master key); convert an existing one with `hearth db encrypt`. PostgreSQL: memory text is sealed column by column (AES-256-GCM, a blind token index for search; `hearth db encrypt` seals older rows); use the server's own at-rest encryption for the rest",
    defaultText: 'off',
  },
  HEARTH_REDIS_URL: {
    schema: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .optional(),
    description: 'Redis URL; shares rate limits and caches between replicas',
    secret: true,
  },
  HEARTH_MASTER_KEY: {
    schema: z.string().optional(),
    description: '32 random bytes (hex or base64) from which every encryption key is derived; required in production',
    secret: true,
  },
  HEARTH_MASTER_KEY_PREVIOUS: {
    schema: z.string().optional(),
    description: 'The previous master key, set only while `hearth keys rotate` runs',
    secret: true,
  },
  HEARTH_SERVICE_KEY: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    description: 'Key (X-Api-Key) for /api/observability and /metrics; both answer 503 while unset',
    secret: true,
  },
  HEARTH_ALLOWED_ORIGINS: {
    schema: list.default([]),
    description: 'Comma-separated browser origins allowed by CORS; `*` only in development',
    defaultText: '(none)',
  },
  HEARTH_TRUSTED_PROXIES: {
    schema: list.default([]),
    description: 'Comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed',
    defaultText: '(none)',
  },
  HEARTH_WORKERS: {
    schema: z.coerce.number().int().min(1).max(64).default(1),
    description: 'Processes `hearth start` runs on this machine, sharing the port; more than 1 needs PostgreSQL',
    defaultText: '1',
  },
  HEARTH_REPLICA_ID: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits and . _ : - only')
      .optional(),
    description: 'Name of this replica in logs, /metrics labels and the health detail; unset = host-pid',
  },
  HEARTH_PUBLIC_URL: {
    schema: z.string().url().optional(),
    description: 'External URL of this Hearth (used in setup and invite links)',
  },
  HEARTH_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    description: 'Log level',
    defaultText: 'info',
  },
  HEARTH_LOG_FORMAT: {
    schema: z.enum(['auto', 'pretty', 'json']).default('auto'),
    description: 'Log output of `hearth start`: auto (short readable lines on a terminal, JSON lines otherwise), pretty or json',
    defaultText: 'auto',
  },
  HEARTH_TLS_CERT_FILE: { schema: z.string().optional(), description: 'PEM certificate for direct TLS' },
  HEARTH_TLS_KEY_FILE: { schema: z.string().optional(), description: 'PEM private key for direct TLS', secret: true },
  HEARTH_BODY_LIMIT: {
    schema: positiveInt.default(1_048_576),
    description: 'Largest accepted request body in bytes (uploads have their own limit)',
    defaultText: '1048576',
  },
  HEARTH_VOICE_MAX_BYTES: {
    schema: positiveInt.min(1024).max(209_715_200).default(10_485_760),
    description: 'Largest voice upload in bytes (CH-5); larger is refused with 413',
    defaultText: '10485760',
  },
  HEARTH_VOICE_MAX_SECONDS: {
    schema: z.coerce.number().int().min(1).max(3600).default(120),
    description: 'Longest voice upload in seconds (CH-5); longer is refused with 413',
    defaultText: '120',
  },
  HEARTH_VOICE_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(1000).max(600_000).default(60_000),
    description: 'Time limit of one speech step (decoding, recognition, synthesis, a speech provider call) in milliseconds',
    defaultText: '60000',
  },
  HEARTH_SHUTDOWN_TIMEOUT_MS: {
    schema: positiveInt.default(10_000),
    description: 'How long a shutdown waits for in-flight requests',
    defaultText: '10000',
  },
  HEARTH_AUDIT_RETENTION_DAYS: {
    schema: z.coerce.number().int().min(0).max(36_500).default(365),
    description: 'Audit entries older than this many days are pruned behind a signed checkpoint; 0 keeps everything',
    defaultText: '365',
  },
  HEARTH_WEBHOOK_MAX_BYTES: {
    schema: positiveInt.max(10_485_760).default(65_536),
    description: 'Largest accepted signed webhook body in bytes',
    defaultText: '65536',
  },
  HEARTH_SERVE_WEB: {
    schema: bool.default(true),
    description: 'Serve the built web app from web/dist',
    defaultText: 'true',
  },
  // ── identity, access, HTTP armour ──
  HEARTH_SESSION_IDLE_MINUTES: {
    schema: positiveInt.max(1440).default(30),
    description: 'A session ends after this many minutes without a request (AUTH-2)',
    defaultText: '30',
  },
  HEARTH_SESSION_ABSOLUTE_HOURS: {
    schema: positiveInt.max(720).default(12),
    description: 'A session ends this many hours after login, whatever its use (AUTH-2)',
    defaultText: '12',
  },
  HEARTH_JWT_ISSUER: {
    schema: z.string().url().optional(),
    description: 'Issuer of accepted bearer JWTs (e.g. https://PROJECT.supabase.co/auth/v1); unset disables JWTs',
  },
  HEARTH_JWT_AUDIENCE: {
    schema: z.string().min(1).max(256).optional(),
    description: 'Required audience of bearer JWTs (e.g. authenticated)',
  },
  HEARTH_JWT_JWKS_URL: { schema: z.string().url().optional(), description: "JWKS URL with the issuer's public keys" },
  HEARTH_JWT_ALGORITHMS: {
    schema: list.default(['RS256', 'ES256']),
    description: 'Allowed JWT signature algorithms (asymmetric only; none and HS* are refused)',
    defaultText: 'RS256,ES256',
  },
  HEARTH_JWT_AUTO_PROVISION: {
    schema: z.enum(['off', 'member']).default('off'),
    description:
      'member: the first verified JWT of an unknown subject creates a member linked to it (audited); off: link subjects with hearth users link-jwt',
    defaultText: 'off',
  },
  HEARTH_RATE_ANON_PROBES: {
    schema: positiveInt.default(60),
    description: 'Anonymous probes (health, session check, unknown API paths) per IP per minute',
    defaultText: '60',
  },
  HEARTH_RATE_ANON_READS: { schema: positiveInt.default(30), description: 'Anonymous reads per IP per minute', defaultText: '30' },
  HEARTH_RATE_ANON_WRITES: {
    schema: positiveInt.default(10),
    description: 'Anonymous writes (login, setup) per IP per minute',
    defaultText: '10',
  },
  HEARTH_RATE_USER_READS: {
    schema: positiveInt.default(600),
    description: 'Reads per signed-in person or key per minute',
    defaultText: '600',
  },
  HEARTH_RATE_USER_WRITES: {
    schema: positiveInt.default(120),
    description: 'Writes per signed-in person or key per minute',
    defaultText: '120',
  },
  HEARTH_RATE_CHAT_TURNS: {
    schema: positiveInt.default(30),
    description: 'Chat turns over HTTP per signed-in person per minute',
    defaultText: '30',
  },
  HEARTH_TURN_MAX_TOOL_ROUNDS: {
    schema: z.coerce.number().int().min(0).max(20).default(5),
    description: 'Model rounds per turn that may call tools (LLM-4)',
    defaultText: '5',
  },
  HEARTH_TOOL_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(100).max(600_000).default(10_000),
    description: 'Time limit of one tool call in milliseconds (LLM-4)',
    defaultText: '10000',
  },
  HEARTH_TURN_TOKEN_BUDGET: {
    schema: z.coerce.number().int().min(256).max(10_000_000).default(32_000),
    description: 'Prompt + completion tokens one turn may spend across its model rounds (LLM-4)',
    defaultText: '32000',
  },
  HEARTH_TURN_MAX_OUTPUT_TOKENS: {
    schema: z.coerce.number().int().min(16).max(1_000_000).default(4096),
    description: 'Output tokens asked of the model per call (max_tokens) when neither the familiar nor its provider sets a limit',
    defaultText: '4096',
  },
  HEARTH_TURN_MAX_CONTEXT_CHARS: {
    schema: z.coerce.number().int().min(1000).max(10_000_000).default(60_000),
    description: 'Characters a caller may send in one turn, its message and earlier messages together (OpenAI endpoint: every message)',
    defaultText: '60000',
  },
  HEARTH_BUDGET_TOKENS_PER_DAY: {
    schema: z.coerce.number().int().min(0).max(1e12).optional(),
    description:
      'Default tokens per UTC day for every person but the owner, when no budget is set for them or their role (docs/budgets.md); unset: no default',
  },
  HEARTH_BUDGET_TOKENS_PER_MONTH: {
    schema: z.coerce.number().int().min(0).max(1e12).optional(),
    description: 'Default tokens per UTC month for every person but the owner, as HEARTH_BUDGET_TOKENS_PER_DAY',
  },
  HEARTH_BUDGET_TOOL_CALLS_PER_DAY: {
    schema: z.coerce.number().int().min(0).max(1e12).optional(),
    description: 'Default tool calls per UTC day for every person but the owner, as HEARTH_BUDGET_TOKENS_PER_DAY',
  },
  HEARTH_BUDGET_VOICE_MINUTES_PER_DAY: {
    schema: z.coerce.number().int().min(0).max(1_000_000).optional(),
    description: 'Default minutes of voice (speech heard) per UTC day for every person but the owner, as HEARTH_BUDGET_TOKENS_PER_DAY',
  },
  HEARTH_TOOL_OUTPUT_MAX_CHARS: {
    schema: z.coerce.number().int().min(100).max(1_000_000).default(16_000),
    description: 'Characters of one tool result the model sees; the rest is cut (LLM-4)',
    defaultText: '16000',
  },
  HEARTH_SCREEN_THRESHOLD: {
    schema: z.coerce.number().min(0.05).max(1).default(0.5),
    description: 'Prompt-injection screen score at which a message is flagged (LLM-2)',
    defaultText: '0.5',
  },
  HEARTH_SHELL_ALLOWLIST: {
    schema: z.string().max(20000).default(''),
    description:
      'Shell tool: programs (optionally with an argument glob, e.g. `git status*`) that run without approval, comma-separated; everything else waits for the owner',
    defaultText: '(empty: every command asks)',
  },
  HEARTH_SHELL_BWRAP: {
    schema: z.string().min(1).default('/usr/bin/bwrap'),
    description: 'Path of bubblewrap; the shell tool refuses to run without it',
    defaultText: '/usr/bin/bwrap',
  },
  HEARTH_SHELL_TIMEOUT_MS: {
    schema: positiveInt.max(600_000).default(20_000),
    description: 'Shell tool: wall-clock limit per command, then SIGKILL of the whole sandbox',
    defaultText: '20000',
  },
  HEARTH_SHELL_OUTPUT_LIMIT: {
    schema: positiveInt.max(10_000_000).default(65_536),
    description: 'Shell tool: bytes of output kept; the command is killed beyond it',
    defaultText: '65536',
  },
  HEARTH_SHELL_APPROVAL_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(5_000).max(600_000).default(30_000),
    description: 'Shell tool: how long a command waits for the owner to approve it (5 s to 10 min); apart from the run time',
    defaultText: '30000',
  },
  HEARTH_SHELL_MAX_PROCESSES: {
    schema: z.coerce.number().int().min(4).max(4096).default(64),
    description: 'Shell tool: processes one command may run at once inside the sandbox (RLIMIT_NPROC in its own user namespace)',
    defaultText: '64',
  },
  HEARTH_SHELL_MAX_FILE_BYTES: {
    schema: positiveInt.max(1 << 30).default(64 * 1024 * 1024),
    description: 'Shell tool: largest file a command may write (RLIMIT_FSIZE)',
    defaultText: '67108864',
  },
  HEARTH_SHELL_DISK_BYTES: {
    schema: positiveInt.max(8 * 1024 * 1024 * 1024).default(128 * 1024 * 1024),
    description: 'Shell tool: size of the sandbox work directory and of its /tmp (each a memory-backed tmpfs)',
    defaultText: '134217728',
  },
  HEARTH_SHELL_WORKSPACES: {
    schema: z.string().max(20_000).default(''),
    description:
      'Shell tool: host folders mounted under the sandbox work dir, comma-separated `[familiar/]NAME=/host/path[:ro|:rw]` (read-only unless `:rw`); the data directory and Hearth itself are refused',
    defaultText: '(none)',
  },
  HEARTH_SHELL_WORKSPACE_ROOT: {
    schema: z.string().max(1000).default(''),
    description:
      'Shell tool: the folder under which admins may choose per-familiar workspaces in the dashboard (no `..`, no symlink out of it); never the data directory itself',
    defaultText: '(the `workspaces` folder in the data directory)',
  },
  HEARTH_MCP_TIMEOUT_MS: {
    schema: positiveInt.max(600_000).default(30_000),
    description: 'Default time limit for connecting to and calling an MCP server',
    defaultText: '30000',
  },
  // ── channels ──
  HEARTH_CHANNEL_FAMILIAR: {
    schema: z.string().min(1).max(200).optional(),
    description: 'Familiar (slug or id) that answers in Telegram, Discord and Twitch; unset = the first familiar',
    defaultText: '(first familiar)',
  },
  HEARTH_CHANNEL_FAMILIARS: {
    schema: list
      .pipe(
        z.array(
          z
            .string()
            .regex(
              /^(telegram|discord|twitch)(?::(chat|guild|channel|dm|role|prefix|broadcaster):[^=\s:,]{1,100})?=[^=\s,]{1,200}$/,
              'channel[:kind:id]=familiar',
            ),
        ),
      )
      .default([]),
    description:
      'Which familiar answers where, comma-separated `channel[:kind:id]=familiar` (e.g. `discord:guild:123=luna,twitch:prefix:!sol=sol`; docs/channels.md); the dashboard overrides',
    defaultText: '(none)',
  },
  HEARTH_CHANNEL_PAIRING: {
    schema: bool.default(true),
    description:
      'Strangers on Telegram/Discord DMs (and Twitch viewers not admitted) get a pairing code the owner approves (false: a plain refusal)',
    defaultText: 'true',
  },
  HEARTH_RATE_CHANNEL_PERSON: {
    schema: positiveInt.default(20),
    description: 'Chat-channel turns per person (Telegram, Discord, Twitch viewer) per minute',
    defaultText: '20',
  },
  HEARTH_EMBEDDINGS_URL: {
    schema: z.string().url().optional(),
    description: 'OpenAI-compatible base URL for embeddings (https, or http on loopback); unset = lexical memory search only',
  },
  HEARTH_EMBEDDINGS_MODEL: {
    schema: z.string().min(1).max(200).default('text-embedding-3-small'),
    description: 'Embedding model name',
    defaultText: 'text-embedding-3-small',
  },
  HEARTH_EMBEDDINGS_API_KEY: {
    schema: z.string().min(1).max(500).optional(),
    description: 'API key of the embeddings provider',
    secret: true,
  },
  HEARTH_EMBEDDINGS_DIMENSIONS: {
    schema: z.coerce.number().int().min(1).max(4096).optional(),
    description: 'Requested embedding dimensions (models that support it)',
  },
  HEARTH_RETENTION_DAYS: {
    schema: z.coerce.number().int().min(0).max(36_500).default(0),
    description: 'Conversations older than this many days are removed by a daily job; 0 = keep forever',
    defaultText: '0 (off)',
  },
  HEARTH_RATE_CHANNEL_TOTAL: {
    schema: positiveInt.default(120),
    description: 'Chat-channel turns per channel per minute (the channel budget)',
    defaultText: '120',
  },
  HEARTH_TELEGRAM_BOT_TOKEN: {
    schema: z.string().min(10).max(200).optional(),
    description: 'Telegram bot token from @BotFather; sealed into the vault at start; unset = Telegram off',
    secret: true,
  },
  HEARTH_TELEGRAM_FAMILIAR_BOTS: {
    schema: list.pipe(z.array(z.string().regex(/^[^=\s,]{1,200}=\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'familiar=token'))).default([]),
    description: 'More Telegram bots, one per familiar, comma-separated `familiar=token` (slug or id); each answers as its familiar only',
    defaultText: '(none)',
    secret: true,
  },
  HEARTH_TELEGRAM_ALLOWED_USERS: {
    schema: list.default([]),
    description: 'Telegram user ids allowed to chat, comma-separated',
    defaultText: '(none)',
  },
  HEARTH_TELEGRAM_OWNER_IDS: {
    schema: list.default([]),
    description: 'Telegram user ids of owners: allowed, and may /approve pairing codes in their own chat',
    defaultText: '(none)',
  },
  HEARTH_TELEGRAM_API_ROOT: {
    schema: z.string().url().optional(),
    description: 'Bot API root (a local Bot API server); unset = https://api.telegram.org',
  },
  HEARTH_DISCORD_BOT_TOKEN: {
    schema: z.string().min(10).max(200).optional(),
    description: 'Discord bot token; sealed into the vault at start; unset = Discord off',
    secret: true,
  },
  HEARTH_DISCORD_APPLICATION_ID: {
    schema: z
      .string()
      .regex(/^\d{5,25}$/)
      .optional(),
    description: 'Discord application id (registers slash commands, builds the invite URL)',
  },
  HEARTH_DISCORD_GUILD_IDS: {
    schema: list.default([]),
    description: 'Discord servers (guild ids) the bot answers in; others are ignored',
    defaultText: '(none: DMs only)',
  },
  HEARTH_DISCORD_REQUIRED_ROLE_ID: {
    schema: z
      .string()
      .regex(/^\d{5,25}$/)
      .optional(),
    description: 'When set, only members with this role may talk to the familiar in a server',
  },
  HEARTH_DISCORD_ADMIN_ROLE_ID: {
    schema: z
      .string()
      .regex(/^\d{5,25}$/)
      .optional(),
    description: 'Members with this role may use admin slash commands (besides the owner ids)',
  },
  HEARTH_DISCORD_OWNER_IDS: {
    schema: list.default([]),
    description: 'Discord user ids of owners: admin commands and pairing approval',
    defaultText: '(none)',
  },
  HEARTH_DISCORD_ALLOWED_USERS: {
    schema: list.default([]),
    description: 'Discord user ids allowed to DM the familiar',
    defaultText: '(none)',
  },
  HEARTH_DISCORD_API_ROOT: {
    schema: z.string().url().optional(),
    description: 'Discord REST API root (a proxy or a test double); the gateway address comes from it; unset = https://discord.com/api',
  },
  HEARTH_TWITCH_CLIENT_ID: { schema: z.string().min(1).max(100).optional(), description: 'Twitch application client id' },
  HEARTH_TWITCH_ACCESS_TOKEN: {
    schema: z.string().min(10).max(200).optional(),
    description:
      'Twitch user access token of the bot (scopes user:read:chat user:write:chat user:manage:whispers, plus moderator:read:followers for HEARTH_TWITCH_ADMIT=followers); sealed into the vault at start',
    secret: true,
  },
  HEARTH_TWITCH_BOT_USER_ID: {
    schema: z
      .string()
      .regex(/^\d{1,20}$/)
      .optional(),
    description: 'Twitch user id of the bot account',
  },
  HEARTH_TWITCH_BROADCASTER_ID: {
    schema: z
      .string()
      .regex(/^\d{1,20}$/)
      .optional(),
    description: 'Twitch user id of the channel whose chat the familiar joins',
  },
  HEARTH_TWITCH_CHANNELS: {
    schema: list
      .pipe(z.array(z.string().regex(/^\d{1,20}:[^:\s,]{1,200}:![A-Za-z0-9_]{1,30}$/, 'broadcasterId:familiar:!prefix')))
      .default([]),
    description:
      'More Twitch channels to join, comma-separated `broadcasterId:familiar:!prefix` (familiar by slug or id): each answered by its familiar, on its prefix or !ask; the dashboard adds more',
    defaultText: '(none)',
  },
  HEARTH_TWITCH_ADMIT: {
    schema: z.enum(['everyone', 'followers', 'subscribers', 'vips', 'moderators', 'none']).default('subscribers'),
    description:
      'Twitch viewers answered without pairing: this role and above (followers < subscribers < vips < moderators); none = allowlist and paired viewers only',
    defaultText: 'subscribers',
  },
  HEARTH_TWITCH_ALLOWED_USERS: {
    schema: list.default([]),
    description: 'Twitch user ids always answered, comma-separated',
    defaultText: '(none)',
  },
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof VARIABLES;
export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];
