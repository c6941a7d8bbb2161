import type { Kysely } from 'kysely';
import { AppError, definePlugin, type PersonData } from '../core/index.js';
import type { AuditActor, AuditLog } from '../security/audit/index.js';
import { columnTypes, type Migration } from '../storage/index.js';
import type { CounterScope } from './errors.js';
import { scopeKey, scopeOf, type BudgetScope } from './limits.js';
import { voiceBudgetRoutes } from './routes.js';
import { PERIOD_KINDS, periodOf, type PeriodKind } from './periods.js';

/**
 * Voice minutes (issue #22): seconds of speech heard per UTC day and month, per person, per person
 * and familiar, per familiar and per role, like the token budgets (docs/budgets.md). The voice
 * concern knows a recording's length once it is decoded, before it is transcribed, so the seconds
 * are charged then, in full, with a conditional update per limited counter (never past a limit,
 * also with concurrent notes); there is nothing to settle.
 */
export type VoiceBudgetTables = {
  budget_voice_limits: {
    /** As budget_limits: `person:<id>`, `person:<id>:<familiar>`, `familiar:<id>`, `role:<role>`. */
    scope: string;
    seconds_per_day: number | null;
    seconds_per_month: number | null;
    updated_at: number;
  };
  budget_voice_counters: {
    /** `u:<id>`, `uf:<id>:<familiar>`, `f:<familiar>`. */
    counter: string;
    period: string;
    seconds: number;
    updated_at: number;
  };
};

const voiceBudgetMigrations: Migration[] = [
  {
    name: '1241_budget_voice',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('budget_voice_limits')
        .addColumn('scope', 'text', (c) => c.primaryKey())
        .addColumn('seconds_per_day', t.bigint)
        .addColumn('seconds_per_month', t.bigint)
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('budget_voice_counters')
        .addColumn('counter', 'text', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('seconds', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('budget_voice_counters_pk', ['counter', 'period'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('budget_voice_counters').execute();
      await db.schema.dropTable('budget_voice_limits').execute();
    },
  },
];

type Db = Kysely<VoiceBudgetTables>;
type Role = 'owner' | 'admin' | 'member';

/** Who pays for a recording. */
export interface VoicePayer {
  readonly userId: string;
  readonly familiarId: string;
  readonly channel: string;
  readonly requestId?: string | undefined;
}

export interface VoiceLimits {
  readonly minutesPerDay: number | null;
  readonly minutesPerMonth: number | null;
}

export interface VoiceLine {
  readonly scope: CounterScope;
  readonly period: PeriodKind;
  readonly resetsAt: number;
  readonly usedSeconds: number;
  readonly limitSeconds: number;
}

const resetText = (at: number) => `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** The voice budget: charge a recording's seconds, set and read limits, per person status. */
export function createVoiceBudget(options: {
  readonly db: Db;
  readonly audit: AuditLog;
  readonly now: () => number;
  readonly roleOf: (userId: string) => Promise<Role | undefined>;
  /** HEARTH_BUDGET_VOICE_MINUTES_PER_DAY: every person but the owner, without a row of their own or their role's. */
  readonly defaultMinutesPerDay?: number | undefined;
}) {
  const { db, audit, now } = options;

  /** The counters a recording is charged to, with their limits in seconds (the same precedence as the token budgets). */
  async function chargesFor(userId: string, familiarId: string, at: number) {
    const role = (await options.roleOf(userId)) ?? 'member';
    const owner = role === 'owner';
    const own = scopeKey({ kind: 'person', userId });
    const withFamiliar = scopeKey({ kind: 'person', userId, familiarId });
    const familiarKey = scopeKey({ kind: 'familiar', familiarId });
    const roleKey = owner ? undefined : scopeKey({ kind: 'role', role });
    const keys = [own, withFamiliar, familiarKey, ...(roleKey ? [roleKey] : [])];
    const rows = new Map(
      (await db.selectFrom('budget_voice_limits').selectAll().where('scope', 'in', keys).execute()).map((r) => [r.scope, r]),
    );
    const envDefault =
      options.defaultMinutesPerDay !== undefined
        ? { seconds_per_day: options.defaultMinutesPerDay * 60, seconds_per_month: null }
        : undefined;
    const personRow = rows.get(own) ?? (owner ? undefined : ((roleKey ? rows.get(roleKey) : undefined) ?? envDefault));
    const counters: [CounterScope, string, { seconds_per_day: number | null; seconds_per_month: number | null } | undefined][] = [
      ['person', `u:${userId}`, personRow],
      ['person_familiar', `uf:${userId}:${familiarId}`, rows.get(withFamiliar)],
      ['familiar', `f:${familiarId}`, owner ? undefined : rows.get(familiarKey)],
    ];
    return PERIOD_KINDS.flatMap((kind) => {
      const period = periodOf(kind, at);
      return counters.map(([scope, counter, row]) => {
        const raw = row ? (kind === 'day' ? row.seconds_per_day : row.seconds_per_month) : null;
        return { scope, counter, period: period.key, kind, resetsAt: period.resetsAt, limit: raw === null ? undefined : Number(raw) };
      });
    });
  }

  class Spent extends Error {
    constructor(readonly charge: Awaited<ReturnType<typeof chargesFor>>[number]) {
      super('voice budget spent');
    }
  }

  const budget = {
    /**
     * Charges `seconds` (rounded up) to every counter, or to none when one limit would be passed:
     * then it audits `budget.refused` and throws the same BUDGET_EXCEEDED (429, Retry-After) as a spent token budget.
     */
    async charge(payer: VoicePayer, seconds: number): Promise<void> {
      const at = now();
      const amount = Math.max(1, Math.ceil(seconds));
      const charges = (await chargesFor(payer.userId, payer.familiarId, at)).sort((a, b) =>
        a.counter === b.counter ? a.period.localeCompare(b.period) : a.counter.localeCompare(b.counter),
      );
      try {
        await db.transaction().execute(async (tx) => {
          for (const c of charges) {
            if (c.limit !== undefined && amount > c.limit) throw new Spent(c);
            const limit = c.limit;
            const r = await tx
              .insertInto('budget_voice_counters')
              .values({ counter: c.counter, period: c.period, seconds: amount, updated_at: at })
              .onConflict((oc) => {
                const update = oc
                  .columns(['counter', 'period'])
                  .doUpdateSet((eb) => ({ seconds: eb('budget_voice_counters.seconds', '+', amount), updated_at: at }));
                return limit === undefined
                  ? update
                  : update.where((eb) => eb(eb('budget_voice_counters.seconds', '+', amount), '<=', limit));
              })
              .executeTakeFirst();
            if (Number(r.numInsertedOrUpdatedRows ?? 0) !== 1) throw new Spent(c);
          }
        });
      } catch (err) {
        if (!(err instanceof Spent)) throw err;
        const c = err.charge;
        await audit.record({
          actor: { type: 'user', id: payer.userId },
          action: 'budget.refused',
          target: payer.familiarId,
          outcome: 'denied',
          ...(payer.requestId ? { requestId: payer.requestId } : {}),
          details: { scope: c.scope, period: c.kind, dimension: 'voiceSeconds', call: 'voice', channel: payer.channel },
        });
        const whose = c.scope === 'familiar' ? 'This familiar’s' : 'Your';
        const which = `${c.kind === 'day' ? 'daily' : 'monthly'} voice budget${c.scope === 'person_familiar' ? ' with this familiar' : ''}`;
        throw new AppError(
          'BUDGET_EXCEEDED',
          `${whose} ${which} is spent; it resets at ${resetText(c.resetsAt)}.`,
          {
            reason: 'BUDGET_EXCEEDED',
            scope: c.scope,
            period: c.kind,
            dimension: 'voiceSeconds',
            resetsAt: new Date(c.resetsAt).toISOString(),
          },
          {
            headers: {
              'retry-after': String(Math.max(1, Math.ceil((c.resetsAt - now()) / 1000))),
              'x-hearth-budget-reset': new Date(c.resetsAt).toISOString(),
            },
          },
        );
      }
    },
    /** What is left of each limited voice counter (without a familiar: the person's own only). */
    async status(userId: string, familiarId?: string): Promise<VoiceLine[]> {
      const charges = (await chargesFor(userId, familiarId ?? '', now())).filter(
        (c) => c.limit !== undefined && (familiarId !== undefined || c.scope === 'person'),
      );
      if (charges.length === 0) return [];
      const rows = await db
        .selectFrom('budget_voice_counters')
        .selectAll()
        .where(
          'counter',
          'in',
          charges.map((c) => c.counter),
        )
        .execute();
      return charges.map((c) => ({
        scope: c.scope,
        period: c.kind,
        resetsAt: c.resetsAt,
        usedSeconds: Number(rows.find((r) => r.counter === c.counter && r.period === c.period)?.seconds ?? 0),
        limitSeconds: c.limit!,
      }));
    },
    /** `/usage` lines for the voice budgets (empty when none is limited), as the token budgets word theirs. */
    async describe(userId: string, familiarId?: string): Promise<string[]> {
      const lines = await budget.status(userId, familiarId);
      const whose = { person: 'Yours', person_familiar: 'Yours with this familiar', familiar: 'This familiar’s' } as const;
      const minutes = (s: number) => (Math.floor(s / 6) / 10).toLocaleString('en-US');
      return lines.map(
        (l) =>
          `${whose[l.scope]} ${l.period === 'day' ? 'today' : 'this month'}: ${minutes(Math.max(0, l.limitSeconds - l.usedSeconds))} of ${minutes(l.limitSeconds)} voice minutes left (resets ${resetText(l.resetsAt)})`,
      );
    },
    async set(scope: BudgetScope, limits: VoiceLimits, actor: AuditActor): Promise<void> {
      const key = scopeKey(scope);
      const at = now();
      if (limits.minutesPerDay === null && limits.minutesPerMonth === null)
        await db.deleteFrom('budget_voice_limits').where('scope', '=', key).execute();
      else {
        const values = {
          seconds_per_day: limits.minutesPerDay === null ? null : limits.minutesPerDay * 60,
          seconds_per_month: limits.minutesPerMonth === null ? null : limits.minutesPerMonth * 60,
          updated_at: at,
        };
        await db
          .insertInto('budget_voice_limits')
          .values({ scope: key, ...values })
          .onConflict((oc) => oc.column('scope').doUpdateSet(values))
          .execute();
      }
      const subjects = scope.kind === 'person' ? { subjects: [scope.userId] } : {};
      await audit.record({
        actor,
        action: 'budget.set',
        target: key,
        outcome: 'success',
        details: { voice: true, ...limits },
        ...subjects,
      });
    },
    async list(): Promise<Array<{ scope: BudgetScope } & VoiceLimits>> {
      const rows = await db.selectFrom('budget_voice_limits').selectAll().orderBy('scope').execute();
      return rows.flatMap((r) => {
        const scope = scopeOf(r.scope);
        const minutes = (s: number | null) => (s === null ? null : Number(s) / 60);
        return scope ? [{ scope, minutesPerDay: minutes(r.seconds_per_day), minutesPerMonth: minutes(r.seconds_per_month) }] : [];
      });
    },
  };
  return budget;
}

export type VoiceBudget = ReturnType<typeof createVoiceBudget>;

declare module '../core/plugin.js' {
  interface Services {
    /** Voice minutes per person, familiar and role (issue #22); the voice concern charges each recording. */
    voiceBudgets: VoiceBudget;
  }
}

/** A person's voice rows, for export and erasure (DATA-5), as the token budgets' own. */
function voicePersonData(db: Db): PersonData {
  const limits = (userId: string) =>
    db
      .selectFrom('budget_voice_limits')
      .where((eb) => eb.or([eb('scope', '=', `person:${userId}`), eb('scope', 'like', `person:${userId}:%`)]));
  const counters = (userId: string) =>
    db
      .selectFrom('budget_voice_counters')
      .where((eb) => eb.or([eb('counter', '=', `u:${userId}`), eb('counter', 'like', `uf:${userId}:%`)]));
  return {
    part: 'budgets_voice',
    export: async (userId) => ({
      voiceLimits: await limits(userId).selectAll().execute(),
      voiceUsage: await counters(userId).selectAll().execute(),
    }),
    async erase(userId) {
      const l = await db
        .deleteFrom('budget_voice_limits')
        .where((eb) => eb.or([eb('scope', '=', `person:${userId}`), eb('scope', 'like', `person:${userId}:%`)]))
        .executeTakeFirst();
      const c = await db
        .deleteFrom('budget_voice_counters')
        .where((eb) => eb.or([eb('counter', '=', `u:${userId}`), eb('counter', 'like', `uf:${userId}:%`)]))
        .executeTakeFirst();
      return { budget_voice_limits: Number(l.numDeletedRows), budget_voice_counters: Number(c.numDeletedRows) };
    },
  };
}

/** Voice minutes as a concern of its own beside `budgets` (listed before `voice`, which charges through it). */
export const voiceBudgetsPlugin = definePlugin({
  name: 'voiceBudgets',
  migrations: voiceBudgetMigrations,
  init(kernel) {
    const db = kernel.storage.db.withTables<VoiceBudgetTables>() as unknown as Db;
    const identity = kernel.service('identity');
    const familiars = kernel.service('familiars');
    const budget = createVoiceBudget({
      db,
      audit: kernel.audit,
      now: kernel.now,
      roleOf: async (userId) => (await identity.findUserById(userId))?.role,
      defaultMinutesPerDay: kernel.config.HEARTH_BUDGET_VOICE_MINUTES_PER_DAY,
    });
    return {
      services: { voiceBudgets: budget },
      routes: [
        voiceBudgetRoutes(budget, {
          person: async (id) => Boolean(await identity.findUserById(id)),
          familiar: async (id) => Boolean(await familiars.get(id)),
        }),
      ],
      contributes: {
        personData: [voicePersonData(db)],
        // a familiar's voice limits and counters go with it (as its token budgets do)
        familiarData: [
          {
            part: 'budgets_voice',
            count: async () => ({}),
            async erase(id: string) {
              await db
                .deleteFrom('budget_voice_limits')
                .where((eb) => eb.or([eb('scope', '=', `familiar:${id}`), eb('scope', 'like', `person:%:${id}`)]))
                .execute();
              await db
                .deleteFrom('budget_voice_counters')
                .where((eb) => eb.or([eb('counter', '=', `f:${id}`), eb('counter', 'like', `uf:%:${id}`)]))
                .execute();
              return {};
            },
          },
        ],
      },
    };
  },
});
