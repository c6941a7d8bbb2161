import { z } from 'zod';
import { type RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { AuditLog } from '../../security/audit/types.js';
import { actorOf } from '../actor.js';
import type { AllowRule } from './allowlist.js';
import type { Approvals } from './approvals.js';
import type { ShellEnablement } from './enablement.js';
import type { AsyncShellPolicy } from './policy.js';
import type { Sandbox } from './sandbox.js';

const idParams = z.strictObject({ id: z.string().min(1).max(100) });
const familiarParams = z.strictObject({ familiarId: z.string().min(1).max(100) });
const decisionBody = z.strictObject({
  nonce: z.string().min(1).max(200),
  decision: z.enum(['approve', 'deny']),
  commandHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
const checkBody = z.strictObject({ command: z.string().max(16_384) });

/**
 * /api/approvals (the owner decides pending shell commands) and /api/tools/shell (the owner
 * switches the shell on per familiar, sees the allowlist and tries the policy) — EXEC-1.
 */
export function shellRoutes(options: {
  approvals: Approvals;
  enablement: ShellEnablement;
  policy: AsyncShellPolicy;
  sandbox: Sandbox;
  allowlist: readonly AllowRule[];
  audit: AuditLog;
}): RouteModule {
  const { approvals, enablement, audit } = options;
  return (app) => {
    app.get('/api/approvals', { config: { policy: policy.owner() } }, async () => ({ approvals: approvals.pending() }));

    app.post(
      '/api/approvals/:id',
      { config: { policy: policy.owner() }, schema: { params: idParams, body: decisionBody } },
      async (request) => {
        const { id } = request.params as z.infer<typeof idParams>;
        const body = request.body as z.infer<typeof decisionBody>;
        const view = await approvals.decide({
          id,
          nonce: body.nonce,
          approve: body.decision === 'approve',
          commandHash: body.commandHash,
          actor: actorOf(requirePrincipal(request)),
        });
        return { approval: view };
      },
    );

    app.get('/api/tools/shell', { config: { policy: policy.owner() } }, async () => ({
      available: options.sandbox.unavailableReason() === null,
      unavailableReason: options.sandbox.unavailableReason(),
      allowlist: options.allowlist.map((r) => (r.args === undefined ? r.program : `${r.program} ${r.args}`)),
      familiars: await enablement.list(),
    }));

    app.put(
      '/api/tools/shell/familiars/:familiarId',
      { config: { policy: policy.owner() }, schema: { params: familiarParams } },
      async (request) => {
        const { familiarId } = request.params as z.infer<typeof familiarParams>;
        const principal = requirePrincipal(request);
        await enablement.enable(familiarId, principal.userId);
        await audit.record({
          actor: actorOf(principal),
          action: 'shell.enable',
          target: familiarId,
          outcome: 'success',
          requestId: request.id,
        });
        return { familiarId, enabled: true };
      },
    );

    app.delete(
      '/api/tools/shell/familiars/:familiarId',
      { config: { policy: policy.owner() }, schema: { params: familiarParams } },
      async (request) => {
        const { familiarId } = request.params as z.infer<typeof familiarParams>;
        const principal = requirePrincipal(request);
        const removed = await enablement.disable(familiarId);
        await audit.record({
          actor: actorOf(principal),
          action: 'shell.disable',
          target: familiarId,
          outcome: 'success',
          requestId: request.id,
          details: { wasEnabled: removed },
        });
        return { familiarId, enabled: false };
      },
    );

    app.post('/api/tools/shell/check', { config: { policy: policy.owner() }, schema: { body: checkBody } }, async (request) => {
      const { command } = request.body as z.infer<typeof checkBody>;
      return options.policy.classify(command);
    });
  };
}
