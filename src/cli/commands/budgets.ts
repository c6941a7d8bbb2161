import { parseArgs } from 'node:util';
import { sanitizeLogString } from '../../logging/index.js';
import type { Hearth } from '../../app/index.js';
import { CliError, EXIT, println, withHearth, type CliIo, type Command } from '../io.js';

const COUNT_FLAGS = {
  'tokens-per-day': 'tokensPerDay',
  'tokens-per-month': 'tokensPerMonth',
  'tool-calls-per-day': 'toolCallsPerDay',
  'tool-calls-per-month': 'toolCallsPerMonth',
} as const;

/** Money limits, in the prices' currency (e.g. 2.5); stored in micro-units. */
const MONEY_FLAGS = { 'cost-per-day': 'costPerDay', 'cost-per-month': 'costPerMonth' } as const;
const MICRO = 1_000_000;

const shown = (s: string) => sanitizeLogString(s, { maxString: 64 });

/** An amount of money as typed (up to six decimals), in micro-units; `none` removes it. */
function moneyOf(flag: string, value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  if (!/^\d{1,7}(\.\d{1,6})?$/.test(value)) throw new CliError(`--${flag} must be an amount like 2.50, or none`, EXIT.usage);
  return Math.round(Number(value) * MICRO);
}

/** A limit as typed: a whole number, or `none` to remove it. */
function countOf(flag: string, value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  if (!/^\d{1,13}$/.test(value)) throw new CliError(`--${flag} must be a whole number or none`, EXIT.usage);
  return Number(value);
}

async function resolve(hearth: Hearth, person: string, familiar: string | undefined) {
  const user = await hearth.identity.findUserByName(person);
  if (!user) throw new CliError(`no user named ${shown(person)}`);
  if (familiar === undefined) return { user, familiarId: undefined };
  const f = (await hearth.familiars.bySlug(familiar)) ?? (await hearth.familiars.get(familiar));
  if (!f) throw new CliError(`no familiar ${shown(familiar)}`);
  return { user, familiarId: f.id };
}

function service(hearth: Hearth) {
  if (!hearth.budgets) throw new CliError('budgets are not part of this Hearth');
  return hearth.budgets;
}

type Scope =
  | { kind: 'person'; userId: string; familiarId?: string }
  | { kind: 'familiar'; familiarId: string }
  | { kind: 'role'; role: 'admin' | 'member' };
const sameScope = (a: Scope, b: { kind: string; userId?: string; familiarId?: string; role?: string }) =>
  a.kind === b.kind &&
  (a.kind === 'role'
    ? a.role === b.role
    : a.kind === 'familiar'
      ? a.familiarId === b.familiarId && b.userId === undefined
      : a.userId === b.userId && a.familiarId === b.familiarId);

/** Whom `budgets set` names: `--person NAME [--familiar SLUG]`, `--role member|admin`, or `--familiar SLUG` alone (its total). */
async function scopeOf(hearth: Hearth, values: { person?: string; familiar?: string; role?: string }) {
  if (values.role !== undefined) {
    if (values.role !== 'member' && values.role !== 'admin') throw new CliError('--role must be member or admin', EXIT.usage);
    return { scope: { kind: 'role', role: values.role } as Scope, label: `the ${values.role} role` };
  }
  if (values.person === undefined) {
    const f = (await hearth.familiars.bySlug(values.familiar!)) ?? (await hearth.familiars.get(values.familiar!));
    if (!f) throw new CliError(`no familiar ${shown(values.familiar!)}`);
    return { scope: { kind: 'familiar', familiarId: f.id } as Scope, label: `${f.slug} (everyone together)` };
  }
  const { user, familiarId } = await resolve(hearth, values.person, values.familiar);
  return {
    scope: { kind: 'person', userId: user.id, ...(familiarId ? { familiarId } : {}) } as Scope,
    label: `${user.name}${values.familiar ? ` with ${shown(values.familiar)}` : ''}`,
  };
}

async function set(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      person: { type: 'string' },
      familiar: { type: 'string' },
      role: { type: 'string' },
      ...Object.fromEntries([...Object.keys(COUNT_FLAGS), ...Object.keys(MONEY_FLAGS)].map((f) => [f, { type: 'string' as const }])),
    },
    strict: true,
  });
  const named = [values.person !== undefined || values.familiar !== undefined, values.role !== undefined].filter(Boolean).length;
  if (named !== 1 || (values.role !== undefined && values.familiar !== undefined))
    throw new CliError('budgets set needs --person NAME [--familiar SLUG], --familiar SLUG or --role member|admin', EXIT.usage);
  const limits: Record<string, number | null> = {};
  for (const [flag, field] of Object.entries(COUNT_FLAGS)) {
    const v = countOf(flag, values[flag as keyof typeof values] as string | undefined);
    if (v !== undefined) limits[field] = v;
  }
  for (const [flag, field] of Object.entries(MONEY_FLAGS)) {
    const v = moneyOf(flag, values[flag as keyof typeof values] as string | undefined);
    if (v !== undefined) limits[field] = v;
  }
  if (Object.keys(limits).length === 0) throw new CliError('name at least one limit, e.g. --tokens-per-day 50000', EXIT.usage);
  return withHearth(io, async (hearth) => {
    const budgets = service(hearth);
    const { scope, label } = await scopeOf(hearth, values);
    // Limits not named keep their value: the row is read and changed, as the API's PUT replaces it.
    const current = (await budgets.listLimits()).find((l) => sameScope(scope, l.scope as never))?.limits ?? {};
    await budgets.setLimits(scope, { ...current, ...limits }, { type: 'system' });
    println(io.stdout, `budget set for ${label}`);
    return EXIT.ok;
  });
}

/** `budgets price MODEL --input X --output Y` (currency per million tokens), or `budgets price MODEL none`. */
async function price(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { input: { type: 'string' }, output: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [model, none] = positionals;
  if (!model || model.length > 200) throw new CliError('budgets price needs a MODEL', EXIT.usage);
  const remove = none === 'none';
  if (!remove && (values.input === undefined || values.output === undefined))
    throw new CliError('budgets price MODEL needs --input X and --output Y (per million tokens), or none', EXIT.usage);
  const input = remove ? null : moneyOf('input', values.input);
  const output = remove ? null : moneyOf('output', values.output);
  return withHearth(io, async (hearth) => {
    await service(hearth).setPrice(model, input == null || output == null ? null : { inputPerMTok: input, outputPerMTok: output }, {
      type: 'system',
    });
    println(io.stdout, remove ? `price removed for ${shown(model)}` : `price set for ${shown(model)}`);
    return EXIT.ok;
  });
}

/** `budgets list`: every limit row and price, one a line. */
async function list(args: string[], io: CliIo): Promise<number> {
  parseArgs({ args, options: {}, strict: true });
  return withHearth(io, async (hearth) => {
    const budgets = service(hearth);
    const users = new Map((await hearth.identity.listUsers()).map((u) => [u.id, u.name]));
    const familiars = new Map((await hearth.familiars.list()).map((f) => [f.id, f.slug]));
    const money = (v: number | null) => (v === null ? null : (v / MICRO).toFixed(2));
    for (const l of await budgets.listLimits()) {
      const s = l.scope as Scope;
      const who =
        s.kind === 'role'
          ? `role ${s.role}`
          : s.kind === 'familiar'
            ? `familiar ${familiars.get(s.familiarId) ?? s.familiarId}`
            : `person ${shown(users.get(s.userId) ?? s.userId)}${s.familiarId ? ` with ${familiars.get(s.familiarId) ?? s.familiarId}` : ''}`;
      const parts = [
        ['tokens/day', l.limits.tokensPerDay],
        ['tokens/month', l.limits.tokensPerMonth],
        ['cost/day', money(l.limits.costPerDay)],
        ['cost/month', money(l.limits.costPerMonth)],
        ['tool calls/day', l.limits.toolCallsPerDay],
        ['tool calls/month', l.limits.toolCallsPerMonth],
      ].filter(([, v]) => v !== null);
      println(io.stdout, `${who}: ${parts.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    for (const p of await budgets.listPrices())
      println(io.stdout, `price ${shown(p.model)}: input ${money(p.inputPerMTok)}, output ${money(p.outputPerMTok)} per million tokens`);
    return EXIT.ok;
  });
}

async function show(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { familiar: { type: 'string' } }, allowPositionals: true, strict: true });
  const name = positionals[0];
  if (!name) throw new CliError('budgets show needs a NAME', EXIT.usage);
  return withHearth(io, async (hearth) => {
    const budgets = service(hearth);
    const { user, familiarId } = await resolve(hearth, name, values.familiar);
    for (const line of (await budgets.describe(user.id, familiarId)).split('\n')) println(io.stdout, line);
    return EXIT.ok;
  });
}

/** `hearth budgets set|show`: a person's token and tool-call limits from the terminal (issue #22; docs/budgets.md). */
export const budgetsCommand: Command = {
  name: 'budgets',
  summary: 'Set, list or show budgets (tokens, money, tool calls) and model prices',
  usage: `Usage: hearth budgets set (--person NAME [--familiar SLUG] | --familiar SLUG | --role member|admin)
                          [--tokens-per-day N] [--tokens-per-month N] [--cost-per-day X] [--cost-per-month X]
                          [--tool-calls-per-day N] [--tool-calls-per-month N]   (N or X, or none to remove)
       hearth budgets show NAME [--familiar SLUG]   what is left today and this month
       hearth budgets list                          every limit and price
       hearth budgets price MODEL --input X --output Y | none   price per million tokens (money limits need one)

--familiar SLUG alone limits the familiar's total (everyone together); --role sets the default of a role.
Money is in the prices' currency (docs/budgets.md).`,
  async run(args, io) {
    const [sub, ...rest] = args;
    try {
      if (sub === 'set') return await set(rest, io);
      if (sub === 'show') return await show(rest, io);
      if (sub === 'list') return await list(rest, io);
      if (sub === 'price') return await price(rest, io);
    } catch (err) {
      if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
        throw new CliError(err.message, EXIT.usage);
      throw err;
    }
    throw new CliError(`unknown budgets subcommand: ${sub ?? '(none)'} (see hearth budgets --help)`, EXIT.usage);
  },
};
