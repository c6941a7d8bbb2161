import { expect } from 'vitest';
import { newConversation, startChatWorld, STRONG, type ChatWorld } from '../companions/helpers.js';

/** A chat world whose familiar may use the shell (enabled by the owner), with the owner's key. */
export interface ShellWorld extends ChatWorld {
  readonly ownerKey: string;
}

export async function startShellWorld(env: Record<string, string> = {}): Promise<ShellWorld> {
  // the shortest approval wait there is, so a test that never approves still ends quickly
  const w = await startChatWorld({ env: { HEARTH_SHELL_APPROVAL_TIMEOUT_MS: '5000', ...env } });
  const owner = await w.t.hearth.identity.createUser({ name: 'olive', password: STRONG, role: 'owner' });
  const { key } = await w.t.hearth.identity.createApiKey({ userId: owner.id, scopes: ['read', 'write', 'chat', 'admin'] });
  const patch = await w.t.app.inject({
    method: 'PATCH',
    url: `/api/familiars/${w.familiarId}`,
    headers: w.auth(w.admin.key),
    payload: { allowedTools: ['shell'] },
  });
  if (patch.statusCode !== 200) throw new Error(`familiar tools: ${patch.statusCode} ${patch.body}`);
  await w.t.hearth.tools.shellEnablement.enable(w.familiarId, 'owner');
  return { ...w, ownerKey: key };
}

/** What the turn handed back to the model as tool results. */
export const toolResults = (w: ChatWorld): string[] =>
  w.fake.requests.flatMap((r) =>
    ((r.body.messages as Array<{ role: string; content: unknown }> | undefined) ?? [])
      .filter((m) => m.role === 'tool')
      .map((m) => JSON.stringify(m.content)),
  );

interface PendingApproval {
  readonly id: string;
  readonly nonce: string;
  readonly command: string;
}

/**
 * Alice asks; the model answers with one shell call carrying `args` (whatever it wants to write in
 * them). Returns the pending approval as the owner sees it on GET /api/approvals, and the turn.
 */
export async function modelCallsShell(w: ShellWorld, args: Record<string, unknown>) {
  w.fake.script.push({ toolCalls: [{ name: 'shell', arguments: JSON.stringify(args) }] }, { text: 'done' });
  const conv = await newConversation(w, w.alice.key);
  const turn = w.t.app.inject({
    method: 'POST',
    url: `/api/conversations/${conv}/messages`,
    headers: w.auth(w.alice.key),
    payload: { text: 'please run it' },
  });
  const pending = async () =>
    (
      (await w.t.app.inject({ method: 'GET', url: '/api/approvals', headers: w.auth(w.ownerKey) })).json() as {
        approvals: PendingApproval[];
      }
    ).approvals;
  await expect.poll(async () => (await pending()).length, { timeout: 10_000 }).toBe(1);
  const [approval] = await pending();
  return { approval: approval!, turn };
}

/** The owner denies on the dashboard's route. */
export async function ownerDenies(w: ShellWorld, approval: PendingApproval) {
  const res = await w.t.app.inject({
    method: 'POST',
    url: `/api/approvals/${approval.id}`,
    headers: w.auth(w.ownerKey),
    payload: { nonce: approval.nonce, decision: 'deny' },
  });
  expect(res.statusCode, res.body).toBe(200);
}
