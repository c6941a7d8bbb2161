import type { AuditActor, AuditLog } from '../../security/audit/types.js';
import type { Tool, ToolProvider, ToolResult } from '../types.js';
import type { Approvals } from './approvals.js';
import { hashCommand } from './approvals.js';
import type { ShellEnablement } from './enablement.js';
import type { AsyncShellPolicy } from './policy.js';
import type { Sandbox } from './sandbox.js';
import type { Destination, EgressEvent } from './network.js';
import type { Workspace } from './workspaces.js';

const SHELL_TOOL_NAME = 'shell';

export interface ShellToolOptions {
  readonly policy: AsyncShellPolicy;
  readonly sandbox: Sandbox;
  readonly approvals: Approvals;
  readonly audit: AuditLog;
  /** Wall-clock limit of one sandboxed run; the tool's own limit is this plus a margin (the approval wait is apart). */
  readonly runTimeoutMs?: number;
  /** The operator's host folders for this familiar, mounted under the sandbox's work dir. */
  readonly workspaces?: readonly Workspace[];
  /** host:port destinations this familiar may reach through the egress proxy; none: no network. */
  readonly network?: readonly Destination[];
  /** Why this familiar's sandbox settings cannot be used now (a workspace gone or swapped); every run is refused with it. */
  readonly refused?: string | undefined;
}

/** One familiar's sandbox, as the provider hands it to the tool. */
export interface ShellFamiliarSetup {
  readonly workspaces: readonly Workspace[];
  readonly network: readonly Destination[];
  readonly refused?: string | undefined;
}

/** Time for the policy and the sandbox's start and clean-up, on top of the command's own limit. */
const TOOL_MARGIN_MS = 5_000;

/** Egress refusals audited one by one per run; beyond, only their count (in `shell.result`). */
const MAX_AUDITED_REFUSALS = 20;

const fail = (code: string, message: string): ToolResult => ({ ok: false, code, message });

/**
 * The shell tool (EXEC-1): classify → deny, or wait for the owner's approval, or run in the
 * sandbox. Only the `command` argument is read; fields such as `approved` or `confirmation` that
 * the model adds are ignored (and audited), because nothing the model writes counts as approval.
 */
export function createShellTool(options: ShellToolOptions): Tool {
  const { policy, sandbox, approvals, audit } = options;
  return {
    name: SHELL_TOOL_NAME,
    timeoutMs: (options.runTimeoutMs ?? 20_000) + TOOL_MARGIN_MS,
    description:
      'Run one shell command in an isolated sandbox (private work directory; no network unless the operator allowed destinations, reached through the https_proxy it sets). Commands outside the operator allowlist wait for the owner to approve them; dangerous ones are refused.',
    parameters: {
      type: 'object',
      properties: { command: { type: 'string', description: 'The command line to run', maxLength: 16384 } },
      required: ['command'],
      additionalProperties: false,
    },
    async run(args, context) {
      const actor: AuditActor = { type: 'model', familiarId: context.familiarId, userId: context.userId };
      const base = { actor, ...(context.requestId ? { requestId: context.requestId } : {}) };
      const record = (action: string, outcome: 'success' | 'failure' | 'denied' | 'pending', details: Record<string, unknown>) =>
        audit.record({ ...base, action, target: context.familiarId, outcome, details });
      if (typeof args !== 'object' || args === null || typeof (args as { command?: unknown }).command !== 'string') {
        await record('shell.request', 'denied', { reason: 'missing command' });
        return fail('INVALID_ARGUMENTS', 'Expected {"command": "<command line>"}');
      }
      const command = (args as { command: string }).command;
      const ignored = Object.keys(args).filter((k) => k !== 'command');
      const commandHash = hashCommand(command);
      await record('shell.request', 'pending', { command, length: command.length, commandHash, ignoredFields: ignored });

      const verdict = await policy.classify(command);
      await record('shell.verdict', verdict.verdict === 'deny' ? 'denied' : verdict.verdict === 'ask' ? 'pending' : 'success', {
        verdict: verdict.verdict,
        reasons: verdict.reasons,
        programs: verdict.programs,
        commandHash,
      });
      if (verdict.verdict === 'deny') return fail('COMMAND_DENIED', `Refused: ${verdict.reasons.join('; ')}`);
      const unavailable = sandbox.unavailableReason();
      if (unavailable) {
        await record('shell.result', 'failure', { reason: unavailable, commandHash });
        return fail('SANDBOX_UNAVAILABLE', `The shell cannot run: ${unavailable}`);
      }

      if (options.refused) {
        await record('shell.result', 'failure', { reason: options.refused, commandHash });
        return fail('SANDBOX_REFUSED', `The shell cannot run for this familiar: ${options.refused}`);
      }

      let toRun = command;
      if (verdict.verdict === 'ask') {
        const { view, outcome } = await approvals.request(
          {
            command,
            reasons: verdict.reasons,
            familiarId: context.familiarId,
            userId: context.userId,
            conversationId: context.conversationId,
            requestId: context.requestId,
          },
          context.signal,
        );
        await record('shell.approval.requested', 'pending', { approvalId: view.id, commandHash, expiresAt: view.expiresAt });
        const notice = { kind: 'approval' as const, approvalId: view.id, expiresAt: view.expiresAt };
        const decided = await (context.waitForPerson ? context.waitForPerson(notice, outcome) : outcome);
        if (decided.status !== 'approved') {
          // not awaited: at shutdown the database may close under this entry, and the answer must still go back
          void record('shell.result', 'denied', { approvalId: view.id, status: decided.status, commandHash }).catch(() => undefined);
          return fail(
            decided.status === 'expired' ? 'APPROVAL_EXPIRED' : 'APPROVAL_DENIED',
            `The owner did not approve this command (${decided.status}); nothing ran.`,
          );
        }
        // Run exactly what was approved; refuse if it is not byte-for-byte the requested command.
        if (hashCommand(decided.command) !== commandHash) {
          await record('shell.result', 'denied', { approvalId: view.id, reason: 'approved command differs', commandHash });
          return fail('APPROVAL_MISMATCH', 'The approval does not match this command; nothing ran.');
        }
        toRun = decided.command;
      }

      try {
        // refusals of the egress proxy are audited as they happen; not awaited, the tunnel never waits for the log
        let connected = 0;
        let refused = 0;
        const onEvent = (e: EgressEvent) => {
          if (e.outcome === 'connected') return void connected++;
          // the first refusals one by one; a flood of them is counted in shell.result, not logged entry by entry
          if (++refused > MAX_AUDITED_REFUSALS) return;
          void record('shell.network.refused', 'denied', {
            commandHash,
            destination: e.destination,
            reason: e.reason,
            ...(e.address ? { address: e.address } : {}),
          }).catch(() => undefined);
        };
        const network = options.network?.length ? { destinations: options.network, onEvent } : undefined;
        const result = await sandbox.run(toRun, context.signal, options.workspaces ?? [], network);
        await record('shell.result', result.exitCode === 0 ? 'success' : 'failure', {
          commandHash,
          exitCode: result.exitCode,
          signal: result.signal,
          outputBytes: Buffer.byteLength(result.output),
          truncated: result.truncated,
          timedOut: result.timedOut,
          ...(network ? { connections: connected, refusedConnections: refused } : {}),
        });
        const notes = [result.timedOut ? '[timed out: killed]' : '', result.truncated ? '[output truncated]' : '']
          .filter(Boolean)
          .join(' ');
        return { ok: true, content: `exit code: ${result.exitCode ?? 'killed'}${notes ? ` ${notes}` : ''}\n${result.output}` };
      } catch (err) {
        const reason =
          err instanceof Error && 'code' in err && err.code === 'SANDBOX_UNAVAILABLE' ? err.message : 'the sandbox failed to start';
        await record('shell.result', 'failure', { commandHash, reason });
        return fail('SANDBOX_FAILED', `The shell could not run: ${reason}`);
      }
    },
  };
}

/** Offers the shell tool only to familiars the owner enabled it for (off by default), with that familiar's workspaces and network. */
export function shellToolProvider(options: {
  tool: (setup: ShellFamiliarSetup) => Tool;
  enablement: ShellEnablement;
  /** The familiar's workspaces and destinations, checked again now (environment and dashboard). */
  setupFor: (familiarId: string) => Promise<ShellFamiliarSetup>;
}): ToolProvider {
  return {
    async toolsFor(familiar: { id: string; allowedTools: readonly string[] }) {
      if (!familiar.allowedTools.includes(SHELL_TOOL_NAME)) return [];
      if (!(await options.enablement.isEnabled(familiar.id))) return [];
      return [options.tool(await options.setupFor(familiar.id))];
    },
  };
}
