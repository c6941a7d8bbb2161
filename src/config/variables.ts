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

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0));
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
    schema: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    description: 'PostgreSQL URL; unset means SQLite in the data directory',
    secret: true,
  },
  HEARTH_REDIS_URL: {
    schema: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
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
  HEARTH_PUBLIC_URL: {
    schema: z.string().url().optional(),
    description: 'External URL of this Hearth (used in setup and invite links)',
  },
  HEARTH_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    description: 'Log level',
    defaultText: 'info',
  },
  HEARTH_TLS_CERT_FILE: { schema: z.string().optional(), description: 'PEM certificate for direct TLS' },
  HEARTH_TLS_KEY_FILE: { schema: z.string().optional(), description: 'PEM private key for direct TLS', secret: true },
  HEARTH_BODY_LIMIT: {
    schema: positiveInt.default(1_048_576),
    description: 'Largest accepted request body in bytes (uploads have their own limit)',
    defaultText: '1048576',
  },
  HEARTH_SHUTDOWN_TIMEOUT_MS: {
    schema: positiveInt.default(10_000),
    description: 'How long a shutdown waits for in-flight requests',
    defaultText: '10000',
  },
  HEARTH_SERVE_WEB: {
    schema: bool.default(true),
    description: 'Serve the built web app from web/dist',
    defaultText: 'true',
  },
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof VARIABLES;
export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];
