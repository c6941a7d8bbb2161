import { readFileSync, existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { z } from 'zod';
import { isLoopbackHost, isTlsOrLoopback } from '../core/index.js';
import { checkTrustedProxies } from './proxies.js';
import { VARIABLES, VARIABLE_NAMES, type VariableName } from './variables.js';

type Parsed = { [K in VariableName]: z.output<(typeof VARIABLES)[K]['schema']> };

export interface Config extends Omit<Parsed, 'HEARTH_MASTER_KEY' | 'HEARTH_MASTER_KEY_PREVIOUS'> {
  /** Decoded master key (32 bytes), or undefined in development before a key file is made. */
  readonly masterKey: Buffer | undefined;
  readonly previousMasterKey: Buffer | undefined;
  /** Absolute data directory. */
  readonly dataDir: string;
  readonly isProduction: boolean;
}

export interface ConfigIssue {
  readonly name: string;
  readonly message: string;
}

/** Thrown when the environment is invalid; lists every problem by variable name, never by value. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i.name}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Directory holding .env and against which relative paths resolve. */
  readonly cwd?: string;
  /** Read .env from cwd (default true). */
  readonly dotenv?: boolean;
}

/** Merges .env, the environment and NAME_FILE secrets, validates them with one schema. */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const issues: ConfigIssue[] = [];
  const merged: Record<string, string | undefined> = {};
  const dotenvPath = resolve(cwd, '.env');
  if (options.dotenv !== false && existsSync(dotenvPath)) {
    try {
      Object.assign(merged, parseEnv(readFileSync(dotenvPath, 'utf8')));
    } catch {
      issues.push({ name: '.env', message: 'could not be read or parsed' });
    }
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;

  const raw: Record<string, string | undefined> = {};
  for (const name of VARIABLE_NAMES) {
    const direct = emptyToUndefined(merged[name]);
    const file = emptyToUndefined(merged[`${name}_FILE`]);
    if (direct !== undefined && file !== undefined) {
      issues.push({ name, message: `set both ${name} and ${name}_FILE; choose one` });
      continue;
    }
    if (file !== undefined) {
      try {
        raw[name] = readFileSync(isAbsolute(file) ? file : resolve(cwd, file), 'utf8').replace(/\r?\n$/, '');
      } catch {
        issues.push({ name: `${name}_FILE`, message: 'file could not be read' });
      }
    } else {
      raw[name] = direct;
    }
  }

  const parsed: Record<string, unknown> = {};
  for (const name of VARIABLE_NAMES) {
    const result = VARIABLES[name].schema.safeParse(raw[name]);
    if (result.success) parsed[name] = result.data;
    else issues.push({ name, message: scrub(result.error.issues[0]?.message ?? 'invalid', raw[name]) });
  }

  const masterKey = decodeKey('HEARTH_MASTER_KEY', raw.HEARTH_MASTER_KEY, issues);
  const previousMasterKey = decodeKey('HEARTH_MASTER_KEY_PREVIOUS', raw.HEARTH_MASTER_KEY_PREVIOUS, issues);
  // CFG-2: the rules across variables run even after a schema error, on what did parse, so one
  // start-up lists every problem (a rule whose inputs failed to parse stays quiet).
  const failed = new Set(issues.map((i) => i.name));
  const view = { ...(parsed as Partial<Parsed>), masterKey, raw: (name: VariableName) => raw[name], failed };
  issues.push(...ruleIssues(view));
  if (view.HEARTH_ENV === 'production') issues.push(...productionIssues(view));
  if (issues.length > 0) throw new ConfigError(issues);

  const p = parsed as Parsed;
  return {
    ...p,
    masterKey,
    previousMasterKey,
    dataDir: resolve(cwd, p.HEARTH_DATA_DIR),
    isProduction: p.HEARTH_ENV === 'production',
  };
}

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** Zod messages should not echo input, but make sure no value ever reaches output. */
function scrub(message: string, value: string | undefined): string {
  return value && value.length > 0 ? message.split(value).join('[value]') : message;
}

/**
 * Decodes a 32-byte key given as 64 hex characters or base64. Refuses short keys and keys
 * with visibly low entropy (repeated or sequential bytes), which are passwords, not keys.
 */
export function decodeKey(name: string, value: string | undefined, issues: ConfigIssue[]): Buffer | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(v)) key = Buffer.from(v, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) key = Buffer.from(v, 'base64');
  if (!key || key.length !== 32) {
    issues.push({ name, message: 'must be 32 random bytes as 64 hex characters or base64 (try: openssl rand -hex 32)' });
    return undefined;
  }
  if (new Set(key).size < 16) {
    issues.push({ name, message: 'looks weak (too few distinct bytes); generate one with: openssl rand -hex 32' });
    return undefined;
  }
  return key;
}

/** What the rules see: every variable that parsed, the decoded master key, and which variables failed. */
type RuleView = Partial<Parsed> & {
  readonly masterKey: Buffer | undefined;
  readonly raw: (name: VariableName) => string | undefined;
  readonly failed: ReadonlySet<string>;
};

const JWT_VARIABLES = ['HEARTH_JWT_ISSUER', 'HEARTH_JWT_AUDIENCE', 'HEARTH_JWT_JWKS_URL'] as const;
/** Never accepted with a JWKS (src/identity/jwt.ts filters them out). */
const REFUSED_JWT_ALGORITHMS = new Set(['none', 'HS256', 'HS384', 'HS512']);

/** Rules across variables in both modes: JWT settings (AUTH-6), the embeddings URL (LLM-5), proxy ranges. */
function ruleIssues(c: RuleView): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const jwtSet = JWT_VARIABLES.filter((name) => c.raw(name) !== undefined);
  if (jwtSet.length > 0 && jwtSet.length < JWT_VARIABLES.length) {
    for (const name of JWT_VARIABLES.filter((n) => !jwtSet.includes(n)))
      out.push({ name, message: `is required with ${jwtSet.join(' and ')}: bearer JWTs need issuer, audience and JWKS URL together` });
  }
  if (
    jwtSet.length === JWT_VARIABLES.length &&
    c.HEARTH_JWT_ALGORITHMS &&
    !c.HEARTH_JWT_ALGORITHMS.some((a) => !REFUSED_JWT_ALGORITHMS.has(a))
  )
    out.push({ name: 'HEARTH_JWT_ALGORITHMS', message: 'allows no asymmetric algorithm (none and HS* are refused); e.g. RS256,ES256' });
  if (c.HEARTH_EMBEDDINGS_URL) {
    // the same rule as the embeddings client itself (src/memory/embeddings/openai.ts)
    if (!isTlsOrLoopback(new URL(c.HEARTH_EMBEDDINGS_URL)))
      out.push({ name: 'HEARTH_EMBEDDINGS_URL', message: 'must use https (plain http only on loopback)' });
  }
  if (c.HEARTH_TRUSTED_PROXIES) {
    const { invalid } = checkTrustedProxies(c.HEARTH_TRUSTED_PROXIES);
    if (invalid) out.push({ name: 'HEARTH_TRUSTED_PROXIES', message: invalid });
  }
  return out;
}

/** CFG-3: what production refuses. */
function productionIssues(c: RuleView): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (!c.masterKey && !c.failed.has('HEARTH_MASTER_KEY') && !c.failed.has('HEARTH_MASTER_KEY_FILE'))
    out.push({ name: 'HEARTH_MASTER_KEY', message: 'is required in production (openssl rand -hex 32)' });
  if (c.HEARTH_ALLOWED_ORIGINS?.includes('*'))
    out.push({ name: 'HEARTH_ALLOWED_ORIGINS', message: '`*` is not allowed in production; list the origins' });
  // Anyone on the path of a plain-http JWKS fetch could hand Hearth their own signing keys (AUTH-6).
  if (c.HEARTH_JWT_JWKS_URL && new URL(c.HEARTH_JWT_JWKS_URL).protocol !== 'https:')
    out.push({ name: 'HEARTH_JWT_JWKS_URL', message: 'must use https in production (the signing keys are fetched from it)' });
  if (c.HEARTH_PUBLIC_URL && new URL(c.HEARTH_PUBLIC_URL).protocol !== 'https:')
    out.push({ name: 'HEARTH_PUBLIC_URL', message: 'must use https in production (setup and invite links carry one-time tokens)' });
  const proxies = c.HEARTH_TRUSTED_PROXIES ?? [];
  const proxyCheck = checkTrustedProxies(proxies);
  if (!proxyCheck.invalid && proxyCheck.catchAll)
    out.push({
      name: 'HEARTH_TRUSTED_PROXIES',
      message: 'trusts every address (a catch-all range), so any client could forge X-Forwarded-For; list only your proxies',
    });
  const tls = Boolean(c.HEARTH_TLS_CERT_FILE && c.HEARTH_TLS_KEY_FILE);
  if (Boolean(c.HEARTH_TLS_CERT_FILE) !== Boolean(c.HEARTH_TLS_KEY_FILE))
    out.push({ name: 'HEARTH_TLS_CERT_FILE', message: 'TLS needs both HEARTH_TLS_CERT_FILE and HEARTH_TLS_KEY_FILE' });
  if (c.HEARTH_HOST !== undefined && !isLoopbackHost(c.HEARTH_HOST) && !tls && proxies.length === 0)
    out.push({
      name: 'HEARTH_HOST',
      message: 'listening beyond loopback in production needs TLS (HEARTH_TLS_*) or a declared HEARTH_TRUSTED_PROXIES',
    });
  return out;
}

/** Insecure-but-allowed settings worth a loud warning in development. */
export function configWarnings(c: Config): string[] {
  const w: string[] = [];
  if (c.isProduction) return w;
  w.push('HEARTH_ENV is development: insecure settings are allowed. Set HEARTH_ENV=production for real use.');
  if (!c.masterKey)
    w.push('HEARTH_MASTER_KEY is not set: a key file in the data directory is used; it does not protect a copied data directory.');
  if (!isLoopbackHost(c.HEARTH_HOST)) w.push(`HEARTH_HOST is not loopback: Hearth is reachable from the network without TLS.`);
  if (c.HEARTH_ALLOWED_ORIGINS.includes('*')) w.push('HEARTH_ALLOWED_ORIGINS contains `*`: any website may call this API.');
  if (checkTrustedProxies(c.HEARTH_TRUSTED_PROXIES).catchAll)
    w.push('HEARTH_TRUSTED_PROXIES trusts every address: any client can choose its own address with X-Forwarded-For.');
  return w;
}
