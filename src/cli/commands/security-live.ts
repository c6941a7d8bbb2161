import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isAbsolute, resolve } from 'node:path';
import { isLoopbackHost } from '../../core/index.js';
import { auditPosture, npmAudit } from '../../security/posture/index.js';
import {
  failsAudit,
  formatJson,
  formatSarif,
  formatText,
  ProbeError,
  runLiveAudit,
  type LiveFinding,
} from '../../security/probes/index.js';
import { CliError, EXIT, type CliIo } from '../io.js';

interface LiveArgs {
  url: string;
  apiKeyFile?: string;
  serviceKeyFile?: string;
  caFile?: string;
  webhookSecrets: Array<[string, string]>;
  format: 'text' | 'json' | 'sarif';
  aggressive: boolean;
  yes: boolean;
  thorough: boolean;
  local: boolean | undefined;
  deps: boolean;
}

const VALUE_FLAGS = new Set(['--live', '--api-key', '--service-key', '--ca', '--webhook-secret']);

function parse(args: readonly string[]): LiveArgs {
  const out: LiveArgs = {
    url: '',
    webhookSecrets: [],
    format: 'text',
    aggressive: false,
    yes: false,
    thorough: false,
    local: undefined,
    deps: true,
  };
  for (let i = 1; i < args.length; i++) {
    const raw = args[i]!;
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    let value: string | undefined;
    if (VALUE_FLAGS.has(flag)) {
      value = eq > 0 && raw.startsWith('--') ? raw.slice(eq + 1) : args[++i];
      if (value === undefined || value === '') throw new CliError(`${flag} needs a value`, EXIT.usage);
    }
    if (flag === '--live') out.url = value!;
    else if (flag === '--api-key') out.apiKeyFile = value;
    else if (flag === '--service-key') out.serviceKeyFile = value;
    else if (flag === '--ca') out.caFile = value;
    else if (flag === '--webhook-secret') {
      const at = value!.indexOf('=');
      if (at <= 0) throw new CliError('--webhook-secret takes NAME=FILE', EXIT.usage);
      out.webhookSecrets.push([value!.slice(0, at), value!.slice(at + 1)]);
    } else if (flag === '--json') out.format = 'json';
    else if (flag === '--sarif') out.format = 'sarif';
    else if (flag === '--aggressive') out.aggressive = true;
    else if (flag === '--yes') out.yes = true;
    else if (flag === '--thorough') out.thorough = true;
    else if (flag === '--local') out.local = true;
    else if (flag === '--no-local') out.local = false;
    else if (flag === '--no-deps') out.deps = false;
    else throw new CliError(`unknown option: ${raw} (see hearth security --help)`, EXIT.usage);
  }
  if (args.includes('--json') && args.includes('--sarif')) throw new CliError('choose one of --json and --sarif', EXIT.usage);
  return out;
}

/** A secret from a file: its first line, trimmed (so `echo KEY > file` works). */
function secretFrom(io: CliIo, file: string, what: string): string {
  try {
    const value = readFileSync(isAbsolute(file) ? file : resolve(io.cwd, file), 'utf8')
      .split('\n')[0]!
      .trim();
    if (!value) throw new CliError(`${what} file ${file} is empty`, EXIT.usage);
    return value;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read the ${what} file ${file}`, EXIT.usage);
  }
}

async function confirmAggressive(io: CliIo, url: string): Promise<boolean> {
  if ((io.stdin as { isTTY?: boolean }).isTTY !== true) return false;
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await new Promise<string>((done) =>
      rl.question(`--aggressive creates and deletes a throwaway familiar, conversation and notes on ${url}. Type yes to go on: `, done),
    );
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

/** The posture checks as findings of the same shape, for one report. */
function hostFindings(io: CliIo, deps: boolean): LiveFinding[] {
  return auditPosture({ env: io.env, cwd: io.cwd, ...(deps ? { dependencyAudit: () => npmAudit(io.cwd) } : {}) }).map((f) => ({
    id: `host.${f.check}`,
    severity: f.severity,
    subject: '',
    message: f.message,
    fix: f.fix ?? '',
    evidence: [],
  }));
}

/** `hearth security audit --live URL …`: the live probes, plus the on-host checks when the URL is this machine. */
export async function runLiveCommand(args: readonly string[], io: CliIo): Promise<number> {
  const a = parse(args);
  if (!a.url) throw new CliError('--live needs the instance URL, e.g. --live https://hearth.example', EXIT.usage);
  if (a.aggressive && !a.apiKeyFile) throw new CliError('--aggressive needs --api-key FILE (an admin or owner key)', EXIT.usage);
  if (a.aggressive && !a.yes && !(await confirmAggressive(io, a.url)))
    throw new CliError('--aggressive creates and deletes throwaway data: confirm with --yes (or answer yes on a terminal)', EXIT.usage);
  const apiKey = a.apiKeyFile ? secretFrom(io, a.apiKeyFile, 'API key') : undefined;
  const serviceKey = a.serviceKeyFile ? secretFrom(io, a.serviceKeyFile, 'service key') : undefined;
  const webhookSecrets = new Map(a.webhookSecrets.map(([name, file]) => [name, secretFrom(io, file, `webhook ${name} secret`)]));
  const ca = a.caFile ? readFileSync(isAbsolute(a.caFile) ? a.caFile : resolve(io.cwd, a.caFile)) : undefined;
  let report;
  try {
    report = await runLiveAudit({
      url: a.url,
      ...(apiKey ? { apiKey } : {}),
      ...(serviceKey ? { serviceKey } : {}),
      webhookSecrets,
      ...(ca ? { ca } : {}),
      aggressive: a.aggressive,
      thorough: a.thorough,
    });
  } catch (err) {
    if (err instanceof ProbeError) throw new CliError(`audit of ${a.url} failed: ${err.message}`, EXIT.failure);
    throw err;
  }
  let local = a.local;
  if (local === undefined) {
    try {
      local = isLoopbackHost(new URL(a.url).hostname);
    } catch {
      local = false;
    }
  }
  const host = local ? hostFindings(io, a.deps) : [];
  const text = a.format === 'json' ? formatJson(report, host) : a.format === 'sarif' ? formatSarif(report, host) : formatText(report, host);
  io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return failsAudit([...report.findings, ...host]) ? EXIT.failure : EXIT.ok;
}
