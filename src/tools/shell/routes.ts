import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { type RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { streamSse, type SseWriter } from '../../server/sse.js';
import type { AuditLog } from '../../security/audit/types.js';
import { actorOf } from '../actor.js';
import type { AllowRule } from './allowlist.js';
import type { Approvals } from './approvals.js';
import type { ShellEnablement } from './enablement.js';
import type { AsyncShellPolicy } from './policy.js';
import { SANDBOX_WORK_DIR, type Sandbox } from './sandbox.js';
import { AppError } from '../../core/index.js';
import { checkSandboxSettings, type FamiliarSandboxStore } from './familiar-sandbox.js';
import { destinationKey } from './network.js';
import type { Workspace } from './workspaces.js';

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
const waitingQuery = z.strictObject({ conversationId: z.string().min(1).max(100) });
const sandboxBody = z.strictObject({
  workspaces: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(64),
        path: z.string().min(1).max(1024),
        writable: z.boolean().optional(),
      }),
    )
    .max(32),
  network: z.array(z.string().min(1).max(300)).max(64),
});

/**
 * A live stream's connection is not kept alive for another request: a stream that ends while the
 * server closes would otherwise leave a keep-alive socket the shutdown waits for.
 */
function liveStream(reply: FastifyReply): FastifyReply {
  return reply.header('connection', 'close');
}

/** A comment line every so often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/** Sends `snapshot()` now and whenever the approvals may have changed, until the client leaves. */
async function streamChanges(
  sse: SseWriter,
  approvals: Approvals,
  event: string,
  snapshot: () => Promise<unknown>,
  open: Map<() => void, Promise<void>>,
): Promise<void> {
  let last = '';
  let busy = Promise.resolve();
  const push = () => {
    busy = busy
      .then(async () => {
        if (sse.signal.aborted) return;
        const data = JSON.stringify(await snapshot());
        if (data !== last) {
          last = data;
          sse.send(data, event);
        }
      })
      .catch(() => undefined);
  };
  push();
  let closed!: () => void;
  const ended = new Promise<void>((resolve) => (closed = resolve));
  const stop = approvals.watch(push, closed);
  let finished!: () => void;
  open.set(closed, new Promise<void>((resolve) => (finished = resolve)));
  const keepalive = setInterval(() => sse.send({ at: Date.now() }, 'ping'), KEEPALIVE_MS);
  try {
    sse.signal.addEventListener('abort', closed, { once: true });
    if (sse.signal.aborted) closed();
    await ended;
  } finally {
    clearInterval(keepalive);
    stop();
    await busy;
    open.delete(closed);
    finished();
  }
}

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
  workspaces?: readonly Workspace[];
  /** Per-familiar workspaces (under the workspace root) and network destinations, set by admins. */
  familiarSandbox?: {
    store: FamiliarSandboxStore;
    protect: { root: string; dataDir: string; extra?: readonly string[] };
    /** The HEARTH_SHELL_WORKSPACES entries this familiar gets (their names are taken). */
    envWorkspacesFor: (familiarId: string) => Promise<readonly Workspace[]>;
  };
}): RouteModule {
  const { approvals, enablement, audit } = options;
  return (app) => {
    // live streams end when the server starts closing, so a shutdown never waits for an open dashboard
    const open = new Map<() => void, Promise<void>>();
    app.addHook('preClose', async () => {
      const ending = [...open.entries()].map(([close, finished]) => (close(), finished));
      await Promise.all(ending);
      // let each response end before the server closes its idle connections
      await new Promise((resolve) => setImmediate(resolve));
    });
    app.get('/api/approvals', { config: { policy: policy.owner() } }, async () => ({ approvals: await approvals.pending() }));

    // The owner's live list (the Approvals page, its badge, the chat's card): every replica's requests.
    app.get('/api/approvals/events', { config: { policy: policy.owner() } }, (request, reply) =>
      streamSse(request, liveStream(reply), (sse) =>
        streamChanges(sse, approvals, 'approvals', async () => ({ approvals: await approvals.pending() }), open),
      ),
    );

    // The person who asked sees their own request waiting in the chat (no nonce: they cannot decide it).
    app.get(
      '/api/approvals/waiting',
      { config: { policy: policy.member('read') }, schema: { querystring: waitingQuery } },
      (request, reply) => {
        const { conversationId } = request.query as z.infer<typeof waitingQuery>;
        const userId = requirePrincipal(request).userId;
        return streamSse(request, liveStream(reply), (sse) =>
          streamChanges(sse, approvals, 'waiting', async () => ({ approvals: await approvals.waitingFor(userId, conversationId) }), open),
        );
      },
    );

    app.post(
      '/api/approvals/:id',
      { config: { policy: policy.owner() }, schema: { params: idParams, body: decisionBody } },
      async (request) => {
        const { id } = request.params as z.infer<typeof idParams>;
        const body = request.body as z.infer<typeof decisionBody>;
        const principal = requirePrincipal(request);
        const view = await approvals.decide({
          id,
          nonce: body.nonce,
          approve: body.decision === 'approve',
          commandHash: body.commandHash,
          decider: { kind: 'person', userId: principal.userId, actor: actorOf(principal) },
        });
        return { approval: view };
      },
    );

    app.get('/api/tools/shell', { config: { policy: policy.owner() } }, async () => ({
      available: options.sandbox.unavailableReason() === null,
      unavailableReason: options.sandbox.unavailableReason(),
      allowlist: options.allowlist.map((r) => (r.args === undefined ? r.program : `${r.program} ${r.args}`)),
      workspaces: (options.workspaces ?? []).map((w) => ({
        name: w.name,
        path: `${SANDBOX_WORK_DIR}/${w.name}`,
        hostPath: w.hostPath,
        writable: w.writable,
        familiar: w.familiar ?? null,
      })),
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

    const sandboxSettings = options.familiarSandbox;
    if (sandboxSettings) {
      const view = async (familiarId: string) => {
        const saved = await sandboxSettings.store.get(familiarId);
        const fromEnv = await sandboxSettings.envWorkspacesFor(familiarId);
        return {
          familiarId,
          workspaceRoot: sandboxSettings.protect.root,
          workspaces: saved.workspaces,
          network: saved.network,
          // read-only here: the operator's HEARTH_SHELL_WORKSPACES entries for this familiar
          environmentWorkspaces: fromEnv.map((w) => ({ name: w.name, writable: w.writable })),
          updatedAt: saved.updatedAt,
        };
      };
      app.get(
        '/api/tools/shell/familiars/:familiarId/sandbox',
        { config: { policy: policy.admin() }, schema: { params: familiarParams } },
        async (request) => view((request.params as z.infer<typeof familiarParams>).familiarId),
      );
      // Admin-only: workspaces under the workspace root and host:port destinations (EXEC-1); refused with the reason.
      app.put(
        '/api/tools/shell/familiars/:familiarId/sandbox',
        { config: { policy: policy.admin() }, schema: { params: familiarParams, body: sandboxBody } },
        async (request) => {
          const { familiarId } = request.params as z.infer<typeof familiarParams>;
          const body = request.body as z.infer<typeof sandboxBody>;
          const principal = requirePrincipal(request);
          const refuse = async (reason: string) => {
            await audit.record({
              actor: actorOf(principal),
              action: 'shell.sandbox.update',
              target: familiarId,
              outcome: 'denied',
              requestId: request.id,
              details: { reason },
            });
            return new AppError('BAD_REQUEST', reason, { reason: 'SANDBOX_SETTINGS_REFUSED' });
          };
          let checked;
          try {
            checked = checkSandboxSettings(body, sandboxSettings.protect);
          } catch (err) {
            throw await refuse(err instanceof Error ? err.message : 'invalid settings');
          }
          const taken = new Set((await sandboxSettings.envWorkspacesFor(familiarId)).map((w) => w.name));
          const clash = checked.workspaces.find((w) => taken.has(w.name));
          if (clash) throw await refuse(`the workspace name "${clash.name}" is already set by HEARTH_SHELL_WORKSPACES`);
          await sandboxSettings.store.set(
            familiarId,
            { workspaces: body.workspaces, network: checked.network.map(destinationKey) },
            principal.userId,
          );
          await audit.record({
            actor: actorOf(principal),
            action: 'shell.sandbox.update',
            target: familiarId,
            outcome: 'success',
            requestId: request.id,
            details: {
              workspaces: checked.workspaces.map((w) => ({ name: w.name, hostPath: w.hostPath, writable: w.writable })),
              network: checked.network.map(destinationKey),
            },
          });
          return view(familiarId);
        },
      );
    }

    app.post('/api/tools/shell/check', { config: { policy: policy.owner() }, schema: { body: checkBody } }, async (request) => {
      const { command } = request.body as z.infer<typeof checkBody>;
      return options.policy.classify(command);
    });
  };
}
