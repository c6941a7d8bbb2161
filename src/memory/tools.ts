import { z } from 'zod';
import type { Tool, ToolContext, ToolProvider, ToolResult } from '../tools/types.js';
import { isNoteError, type NotesStore } from './notes/index.js';
import { MemoryError } from './errors.js';
import type { MemoryRepository } from './types.js';

const ok = (content: unknown): ToolResult => ({ ok: true, content: typeof content === 'string' ? content : JSON.stringify(content) });
const fail = (code: string, message: string): ToolResult => ({ ok: false, code, message });

interface Spec<S extends z.ZodType> {
  name: string;
  description: string;
  schema: S;
  run(args: z.infer<S>, ctx: ToolContext): Promise<ToolResult>;
}

function tool<S extends z.ZodType>(spec: Spec<S>): Tool {
  return {
    name: spec.name,
    description: spec.description,
    parameters: z.toJSONSchema(spec.schema) as Record<string, unknown>,
    async run(args, ctx) {
      const parsed = spec.schema.safeParse(args);
      if (!parsed.success)
        return fail(
          'INVALID_ARGUMENTS',
          parsed.error.issues
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ')
            .slice(0, 500),
        );
      try {
        return await spec.run(parsed.data, ctx);
      } catch (e) {
        // Typed failures go back to the model so it can back off (MEM-1); anything else stays generic.
        if (isNoteError(e) || e instanceof MemoryError) return fail(e.code, e.message);
        return fail('TOOL_FAILED', 'the tool failed');
      }
    },
  };
}

const path = z.string().min(1).max(1024);
const content = z.string().max(256 * 1024);

/**
 * The memory tools (MEM-3): notes list/read/search/write/append/delete and remember/recall/forget,
 * scoped to the person and familiar of the turn; and the familiar's shared notes (read: list/read/search;
 * write/append only when the operator names those tools in allowedTools). Nothing the model sends can widen a scope.
 */
export function memoryToolProvider(options: { repo: MemoryRepository; notes: NotesStore }): ToolProvider {
  const { repo, notes } = options;
  const scope = (c: ToolContext) => ({ familiarId: c.familiarId, userId: c.userId });
  /** The familiar's shared notes (the lore admins keep): the same store, path rules and caps, never a person's folder. */
  const shared = (c: ToolContext) => ({ familiarId: c.familiarId, userId: null });
  const writer = (c: ToolContext) => ({
    actor: { type: 'model' as const, familiarId: c.familiarId, userId: c.userId },
    source: 'model' as const,
    ...(c.requestId ? { requestId: c.requestId } : {}),
  });
  const tools: Tool[] = [
    tool({
      name: 'notes_list',
      description: 'List your notes about this person (markdown files).',
      schema: z.strictObject({ folder: z.string().max(1024).optional() }),
      run: async (a, c) => ok(await notes.list(scope(c), a.folder)),
    }),
    tool({
      name: 'notes_read',
      description: 'Read one note.',
      schema: z.strictObject({ path }),
      run: async (a, c) => ok(await notes.read(scope(c), a.path)),
    }),
    tool({
      name: 'notes_search',
      description: 'Find lines in your notes containing the text.',
      schema: z.strictObject({ query: z.string().min(1).max(200) }),
      run: async (a, c) => ok(await notes.search(scope(c), a.query)),
    }),
    tool({
      name: 'notes_write',
      description: 'Create or replace a note (path ends in .md, at most 256 KiB).',
      schema: z.strictObject({ path, content }),
      run: async (a, c) => ok(await notes.write(scope(c), a.path, a.content, writer(c))),
    }),
    tool({
      name: 'notes_append',
      description: 'Append text to a note.',
      schema: z.strictObject({ path, content }),
      run: async (a, c) => ok(await notes.append(scope(c), a.path, a.content, writer(c))),
    }),
    tool({
      name: 'notes_delete',
      description: 'Delete a note.',
      schema: z.strictObject({ path }),
      run: async (a, c) => {
        await notes.delete(scope(c), a.path, writer(c));
        return ok('deleted');
      },
    }),
    // Shared notes: reading is its own tools; writing is two more that an operator must name in allowedTools.
    tool({
      name: 'shared_notes_list',
      description: "List the familiar's shared notes (lore kept by the admins, the same for everyone).",
      schema: z.strictObject({ folder: z.string().max(1024).optional() }),
      run: async (a, c) => ok(await notes.list(shared(c), a.folder)),
    }),
    tool({
      name: 'shared_notes_read',
      description: 'Read one shared note.',
      schema: z.strictObject({ path }),
      run: async (a, c) => ok(await notes.read(shared(c), a.path)),
    }),
    tool({
      name: 'shared_notes_search',
      description: 'Find lines in the shared notes containing the text.',
      schema: z.strictObject({ query: z.string().min(1).max(200) }),
      run: async (a, c) => ok(await notes.search(shared(c), a.query)),
    }),
    tool({
      name: 'shared_notes_write',
      description: 'Create or replace a shared note, seen in every conversation (path ends in .md, at most 256 KiB).',
      schema: z.strictObject({ path, content }),
      run: async (a, c) => ok(await notes.write(shared(c), a.path, a.content, writer(c))),
    }),
    tool({
      name: 'shared_notes_append',
      description: 'Append text to a shared note.',
      schema: z.strictObject({ path, content }),
      run: async (a, c) => ok(await notes.append(shared(c), a.path, a.content, writer(c))),
    }),
    tool({
      name: 'remember',
      description: 'Store a long-term memory about this person.',
      schema: z.strictObject({
        text: z.string().min(1).max(10_000),
        tags: z.record(z.string().regex(/^[A-Za-z0-9_]{1,64}$/), z.union([z.string().max(500), z.number(), z.boolean()])).optional(),
      }),
      run: async (a, c) => {
        const m = await repo.add({ userId: c.userId, familiarId: c.familiarId, text: a.text, metadata: a.tags, provenance: 'familiar' });
        await c.audit.record({
          actor: writer(c).actor,
          action: 'memory.write',
          target: m.id,
          outcome: 'success',
          details: { length: a.text.length, source: 'model' },
          ...(c.requestId ? { requestId: c.requestId } : {}),
        });
        return ok({ id: m.id });
      },
    }),
    tool({
      name: 'recall',
      description: 'Search your long-term memories about this person.',
      schema: z.strictObject({ query: z.string().min(1).max(1000), limit: z.number().int().min(1).max(20).optional() }),
      run: async (a, c) =>
        ok(
          (await repo.search({ userId: c.userId, familiarId: c.familiarId, q: a.query, kinds: ['memory'], limit: a.limit ?? 5 })).map(
            (m) => ({ id: m.id, text: m.text, provenance: m.provenance }),
          ),
        ),
    }),
    tool({
      name: 'forget',
      description: 'Delete one of your memories about this person by id.',
      schema: z.strictObject({ id: z.string().min(1).max(100) }),
      run: async (a, c) => {
        const m = await repo.get(c.userId, a.id);
        if (!m || m.familiarId !== c.familiarId) return fail('MEMORY_NOT_FOUND', 'no such memory');
        await repo.delete(c.userId, a.id);
        await c.audit.record({
          actor: writer(c).actor,
          action: 'memory.delete',
          target: a.id,
          outcome: 'success',
          details: { source: 'model' },
          ...(c.requestId ? { requestId: c.requestId } : {}),
        });
        return ok('forgotten');
      },
    }),
  ];
  return {
    async toolsFor(familiar) {
      return tools.filter((t) => familiar.allowedTools.includes(t.name));
    },
  };
}
