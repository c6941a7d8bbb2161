import { estimateTokens, promptChars, type ChatModel, type ChatRequest } from '../providers/index.js';
import type { Tool, ToolResult } from '../tools/index.js';
import { budgetUnpriced } from './errors.js';
import type { Amount } from './ledger.js';
import type { BudgetService, CallScope, ModelPrice } from './service.js';

/** Output tokens reserved for a call that names no limit (the turn always names one). */
const UNCAPPED_OUTPUT = 4096;

/** Micro-units a number of tokens costs, rounded up so the ledger never undercounts. */
const costOf = (price: ModelPrice | undefined, prompt: number, completion: number) =>
  price ? Math.ceil((prompt * price.inputPerMTok + completion * price.outputPerMTok) / 1_000_000) : 0;

const ZERO: Amount = { tokens: 0, cost: 0, toolCalls: 0 };

/**
 * What the turn wraps around its model and tools for one person and familiar: before every model
 * call the expected maximum (the prompt, estimated generously at three characters a token, plus the
 * call's output cap) is reserved on every counter; afterwards the reservation is settled to the
 * provider's reported usage (or the same estimate the meter makes when it reports none), also when
 * the call fails or is stopped. A refused call throws BUDGET_EXCEEDED before the provider is asked.
 */
export function budgetGuard(budgets: BudgetService, scope: CallScope) {
  function guardModel(model: ChatModel): ChatModel {
    return {
      maxOutputTokens: model.maxOutputTokens,
      listModels: (signal) => model.listModels(signal),
      embed: (input) => model.embed(input),
      async *stream(request: ChatRequest) {
        const { charges } = await budgets.chargesFor(scope.userId, scope.familiarId);
        const needsPrice = charges.some((c) => c.limit.cost !== undefined);
        const price = await budgets.priceOf(request.model);
        if (needsPrice && !price) {
          await budgets.refusedUnpriced(scope, request.model);
          throw budgetUnpriced(request.model);
        }
        const chars = promptChars(request);
        const promptMax = Math.ceil(chars / 3);
        const outputMax = request.maxTokens ?? UNCAPPED_OUTPUT;
        const reserved: Amount = { tokens: promptMax + outputMax, cost: costOf(price, promptMax, outputMax), toolCalls: 0 };
        const refusal = await budgets.ledger.reserve(charges, reserved);
        if (refusal) throw await budgets.refused(scope, charges, refusal, 'model');
        let prompt = 0;
        let completion = 0;
        let reported = false;
        let outChars = 0;
        try {
          for await (const event of model.stream(request)) {
            if (event.type === 'usage') {
              reported = true;
              prompt += event.promptTokens;
              completion += event.completionTokens;
            } else if (event.type === 'delta') outChars += event.text.length;
            else if (event.type === 'tool_calls') for (const c of event.calls) outChars += c.name.length + c.arguments.length;
            yield event;
          }
        } finally {
          if (!reported) {
            prompt = estimateTokens(chars);
            completion = estimateTokens(outChars);
          }
          const delta: Amount = {
            tokens: prompt + completion - reserved.tokens,
            cost: costOf(price, prompt, completion) - reserved.cost,
            toolCalls: 0,
          };
          await budgets.ledger.settle(charges, delta).catch((err: unknown) => budgets.logger.error({ err }, 'settling a budget failed'));
        }
      },
    };
  }

  function guardTool(tool: Tool): Tool {
    return {
      ...tool,
      async run(args, context): Promise<ToolResult> {
        const { charges } = await budgets.chargesFor(scope.userId, scope.familiarId);
        const refusal = await budgets.ledger.reserve(charges, { ...ZERO, toolCalls: 1 });
        if (refusal) {
          const err = await budgets.refused(scope, charges, refusal, 'tool');
          return { ok: false, code: 'BUDGET_EXCEEDED', message: err.message };
        }
        return tool.run(args, context);
      },
    };
  }

  return { model: guardModel, tools: (tools: readonly Tool[]) => tools.map(guardTool) };
}
