import type { AuditLog } from '../security/audit/types.js';

/** Everything a tool may know about the turn that invoked it. */
export interface ToolContext {
  readonly userId: string;
  readonly familiarId: string;
  readonly conversationId: string;
  readonly requestId?: string;
  /** Aborted when the per-tool time limit (LLM-4) or the turn ends. */
  readonly signal: AbortSignal;
  readonly audit: AuditLog;
  /**
   * Set by the turn's tool loop: waits for a person (the owner's approval) without spending the
   * tool's own time limit, which pauses meanwhile; the turn tells its channel what it waits for.
   * The wait is bounded by what is awaited (an approval's expiry), not by the tool's limit.
   */
  readonly waitForPerson?: <T>(notice: PersonWait, wait: Promise<T>) => Promise<T>;
}

/** What a tool waits for while a person decides (shown in the chat). */
export interface PersonWait {
  readonly kind: 'approval';
  readonly approvalId: string;
  readonly expiresAt: number;
}

/**
 * A typed failure the model sees and can back off from (e.g. NOTE_TOO_LARGE, PATH_REJECTED,
 * APPROVAL_REQUIRED). Never contains secrets or stack traces.
 */
interface ToolFailure {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
}
interface ToolSuccess {
  readonly ok: true;
  /** Untrusted output: the turn wraps it as delimited data before the model sees it (LLM-1). */
  readonly content: string;
}
export type ToolResult = ToolSuccess | ToolFailure;

export interface Tool {
  /** Unique, [a-z0-9_]{1,64}; what the model calls. */
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments (an object schema). */
  readonly parameters: Record<string, unknown>;
  /**
   * This tool's own time limit (LLM-4), instead of the turn's default (`HEARTH_TOOL_TIMEOUT_MS`):
   * the shell's is its command timeout, an MCP server's its configured limit. Time spent waiting
   * for a person (`ToolContext.waitForPerson`) does not count.
   */
  readonly timeoutMs?: number;
  run(args: unknown, context: ToolContext): Promise<ToolResult>;
}

/** Resolves which tools a familiar may use; the turn's tool loop only sees these. */
export interface ToolProvider {
  toolsFor(familiar: { id: string; allowedTools: readonly string[] }): Promise<Tool[]>;
}

declare module '../core/plugin.js' {
  interface Contributions {
    /** Tools the turn's tool loop may offer a familiar (memory, notes, shell, MCP). */
    toolProviders: ToolProvider;
  }
}
