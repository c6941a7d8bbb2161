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

const shown = (s: string) => sanitizeLogString(s, { maxString: 64 });

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

async function set(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      person: { type: 'string' },
      familiar: { type: 'string' },
      ...Object.fromEntries(Object.keys(COUNT_FLAGS).map((f) => [f, { type: 'string' as const }])),
    },
    strict: true,
  });
  if (!values.person) throw new CliError('budgets set needs --person NAME', EXIT.usage);
  const limits: Record<string, number | null> = {};
  for (const [flag, field] of Object.entries(COUNT_FLAGS)) {
    const v = countOf(flag, values[flag as keyof typeof values] as string | undefined);
    if (v !== undefined) limits[field] = v;
  }
  if (Object.keys(limits).length === 0) throw new CliError('name at least one limit, e.g. --tokens-per-day 50000', EXIT.usage);
  return withHearth(io, async (hearth) => {
    const budgets = service(hearth);
    const { user, familiarId } = await resolve(hearth, values.person!, values.familiar);
    const scope = { kind: 'person' as const, userId: user.id, ...(familiarId ? { familiarId } : {}) };
    // Limits not named keep their value: the row is read and changed, as the API's PUT replaces it.
    const key = (l: { scope: { kind: string; userId?: string; familiarId?: string } }) =>
      l.scope.kind === 'person' && l.scope.userId === user.id && l.scope.familiarId === familiarId;
    const current = (await budgets.listLimits()).find(key)?.limits ?? {};
    await budgets.setLimits(scope, { ...current, ...limits }, { type: 'system' });
    println(io.stdout, `budget set for ${user.name}${values.familiar ? ` with ${shown(values.familiar)}` : ''}`);
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
  summary: 'Set or show a person’s token and tool-call budgets',
  usage: `Usage: hearth budgets set --person NAME [--familiar SLUG] [--tokens-per-day N] [--tokens-per-month N]
                          [--tool-calls-per-day N] [--tool-calls-per-month N]   (N, or none to remove)
       hearth budgets show NAME [--familiar SLUG]   what is left today and this month

Roles, familiars' totals and money limits are set with PUT /api/budgets (docs/budgets.md).`,
  async run(args, io) {
    const [sub, ...rest] = args;
    try {
      if (sub === 'set') return await set(rest, io);
      if (sub === 'show') return await show(rest, io);
    } catch (err) {
      if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
        throw new CliError(err.message, EXIT.usage);
      throw err;
    }
    throw new CliError(`unknown budgets subcommand: ${sub ?? '(none)'} (see hearth budgets --help)`, EXIT.usage);
  },
};
