import { z } from 'zod';
import { AppError, type Principal, type RouteModule } from '../core/index.js';
import type { AuditActor } from '../security/audit/index.js';
import { policy, requirePrincipal } from '../server/index.js';
import { budgetHeaders } from './headers.js';
import type { BudgetLimits, BudgetScope } from './limits.js';
import type { BudgetService } from './service.js';
import type { VoiceBudget } from './voice.js';

const id = z.string().min(1).max(100);
const count = z.number().int().min(0).max(1e12).nullable().optional();
/** Money in the prices' currency (e.g. 2.5 = 2.50); stored in micro-units. */
const money = z.number().min(0).max(1e6).nullable().optional();
const limitsBody = {
  tokensPerDay: count,
  tokensPerMonth: count,
  costPerDay: money,
  costPerMonth: money,
  toolCallsPerDay: count,
  toolCallsPerMonth: count,
};
/** One scope: a role's default, a person (with one familiar or all), or a familiar's total. All limits null: removed. */
const putBody = z
  .strictObject({ role: z.enum(['admin', 'member']).optional(), userId: id.optional(), familiarId: id.optional(), ...limitsBody })
  .refine((b) => (b.role ? !b.userId && !b.familiarId : Boolean(b.userId ?? b.familiarId)), {
    message: 'name a role, a person (userId, optionally with familiarId), or a familiar',
    path: ['role'],
  });
const priceBody = z.strictObject({
  model: z.string().trim().min(1).max(200),
  /** Currency units per million tokens; null on both removes the price. */
  inputPerMTok: z.number().min(0).max(1e6).nullable(),
  outputPerMTok: z.number().min(0).max(1e6).nullable(),
});
const statusQuery = z.strictObject({ familiarId: id.optional() });
const usageQuery = z.strictObject({
  since: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
    .optional(),
});

const MICRO = 1_000_000;
const toMicro = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * MICRO));
const fromMicro = (v: number | null | undefined) => (v === null || v === undefined ? v : v / MICRO);

function actorOf(p: Principal): AuditActor {
  return p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };
}

/** Limits as the API shows them: money in currency units. */
function shown(limits: BudgetLimits) {
  return { ...limits, costPerDay: fromMicro(limits.costPerDay), costPerMonth: fromMicro(limits.costPerMonth) };
}

export interface BudgetRouteDeps {
  readonly budgets: BudgetService;
  readonly personExists: (userId: string) => Promise<boolean>;
  readonly familiarExists: (familiarId: string) => Promise<boolean>;
}

/** `/api/budgets`: admins set limits and prices; every person reads what is left of their own. */
export function budgetRoutes(deps: BudgetRouteDeps): RouteModule {
  const { budgets } = deps;
  const statusOf = async (userId: string, familiarId: string | undefined) => {
    const status = await budgets.status(userId, familiarId);
    const lines = status.lines.map((l) => ({
      ...l,
      resetsAt: new Date(l.resetsAt).toISOString(),
      used: { ...l.used, cost: l.used.cost / MICRO },
      limit: { ...l.limit, ...(l.limit.cost !== undefined ? { cost: l.limit.cost / MICRO } : {}) },
      remaining: { ...l.remaining, ...(l.remaining.cost !== undefined ? { cost: l.remaining.cost / MICRO } : {}) },
    }));
    return { status: { exempt: status.exempt, lines }, headers: budgetHeaders(status) };
  };
  return (app) => {
    const admin = { policy: policy.admin() };
    app.get('/api/budgets', { config: admin }, async () => ({
      limits: (await budgets.listLimits()).map((l) => ({ scope: l.scope, limits: shown(l.limits), updatedAt: l.updatedAt })),
      prices: (await budgets.listPrices()).map((p) => ({
        ...p,
        inputPerMTok: p.inputPerMTok / MICRO,
        outputPerMTok: p.outputPerMTok / MICRO,
      })),
    }));
    app.put('/api/budgets', { config: admin, schema: { body: putBody } }, async (request) => {
      const { role, userId, familiarId, ...limits } = request.body;
      if (userId && !(await deps.personExists(userId))) throw new AppError('NOT_FOUND', 'Person not found', { field: 'userId' });
      if (familiarId && !(await deps.familiarExists(familiarId)))
        throw new AppError('NOT_FOUND', 'Familiar not found', { field: 'familiarId' });
      const scope: BudgetScope = role
        ? { kind: 'role', role }
        : userId
          ? { kind: 'person', userId, ...(familiarId ? { familiarId } : {}) }
          : { kind: 'familiar', familiarId: familiarId! };
      const stored = { ...limits, costPerDay: toMicro(limits.costPerDay), costPerMonth: toMicro(limits.costPerMonth) };
      const view = await budgets.setLimits(scope, stored, actorOf(requirePrincipal(request)));
      return { scope, limits: view ? shown(view.limits) : null };
    });
    app.put('/api/budgets/prices', { config: admin, schema: { body: priceBody } }, async (request) => {
      const { model, inputPerMTok, outputPerMTok } = request.body;
      if ((inputPerMTok === null) !== (outputPerMTok === null))
        throw new AppError('VALIDATION_FAILED', 'Set both prices, or null both to remove the price', { field: 'inputPerMTok' });
      const price =
        inputPerMTok === null || outputPerMTok === null
          ? null
          : { inputPerMTok: toMicro(inputPerMTok)!, outputPerMTok: toMicro(outputPerMTok)! };
      await budgets.setPrice(model, price, actorOf(requirePrincipal(request)));
      return { model, inputPerMTok, outputPerMTok };
    });
    app.get('/api/budgets/usage', { config: admin, schema: { querystring: usageQuery } }, async (request) => {
      const since = request.query.since ?? new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
      return { since, days: (await budgets.daily(since)).map((d) => ({ ...d, cost: d.cost / MICRO })) };
    });
    app.get(
      '/api/budgets/people/:userId',
      { config: admin, schema: { params: z.strictObject({ userId: id }), querystring: statusQuery } },
      async (request, reply) => {
        if (!(await deps.personExists(request.params.userId))) throw new AppError('NOT_FOUND', 'Person not found');
        const { status } = await statusOf(request.params.userId, request.query.familiarId);
        return reply.send(status);
      },
    );
    // The caller's own: what is left, also as the X-Hearth-Budget-* headers the chat answers carry.
    app.get(
      '/api/budgets/me',
      { config: { policy: policy.member('read') }, schema: { querystring: statusQuery } },
      async (request, reply) => {
        const { status, headers } = await statusOf(requirePrincipal(request).userId, request.query.familiarId);
        return reply.headers(headers).send(status);
      },
    );
  };
}

const minutes = z.number().int().min(0).max(1_000_000).nullable().optional();
const voiceBody = z
  .strictObject({
    role: z.enum(['admin', 'member']).optional(),
    userId: z.string().min(1).max(100).optional(),
    familiarId: z.string().min(1).max(100).optional(),
    minutesPerDay: minutes,
    minutesPerMonth: minutes,
  })
  .refine((b) => (b.role ? !b.userId && !b.familiarId : Boolean(b.userId ?? b.familiarId)), {
    message: 'name a role, a person (userId, optionally with familiarId), or a familiar',
    path: ['role'],
  });

/** `/api/budgets/voice` (admin: limits per role, person, familiar) and `/api/budgets/voice/me` (what is left). */
export function voiceBudgetRoutes(
  budget: VoiceBudget,
  exists: { person(id: string): Promise<boolean>; familiar(id: string): Promise<boolean> },
): RouteModule {
  return (app) => {
    app.get('/api/budgets/voice', { config: { policy: policy.admin() } }, async () => ({ limits: await budget.list() }));
    app.put('/api/budgets/voice', { config: { policy: policy.admin() }, schema: { body: voiceBody } }, async (request) => {
      const body = voiceBody.parse(request.body);
      if (body.userId && !(await exists.person(body.userId))) throw new AppError('NOT_FOUND', 'Person not found', { field: 'userId' });
      if (body.familiarId && !(await exists.familiar(body.familiarId)))
        throw new AppError('NOT_FOUND', 'Familiar not found', { field: 'familiarId' });
      const scope: BudgetScope = body.role
        ? { kind: 'role', role: body.role }
        : body.userId
          ? { kind: 'person', userId: body.userId, ...(body.familiarId ? { familiarId: body.familiarId } : {}) }
          : { kind: 'familiar', familiarId: body.familiarId! };
      const limits = { minutesPerDay: body.minutesPerDay ?? null, minutesPerMonth: body.minutesPerMonth ?? null };
      const p = requirePrincipal(request);
      await budget.set(
        scope,
        limits,
        p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId },
      );
      return { scope, ...limits };
    });
    app.get('/api/budgets/voice/me', { config: { policy: policy.member('read') } }, async (request) => {
      const q = z.strictObject({ familiarId: z.string().min(1).max(100).optional() }).parse(request.query);
      const lines = await budget.status(requirePrincipal(request).userId, q.familiarId);
      return {
        lines: lines.map((l) => ({
          ...l,
          resetsAt: new Date(l.resetsAt).toISOString(),
          remainingSeconds: Math.max(0, l.limitSeconds - l.usedSeconds),
        })),
      };
    });
  };
}
