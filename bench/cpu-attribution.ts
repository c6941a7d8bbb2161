import { AsyncResource, createHook, executionAsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

const TASK = Symbol('bench-task');
/** Task ids of `chargeApart` phases: far below any turn or background id. */
const PHASE_BASE = -4_000_000_000;
type Tagged = { [TASK]?: number };

/**
 * Per-task CPU accounting on the one event loop: every callback (promise reaction, I/O, timer)
 * runs in the async context of the task that caused it, and its duration is charged to that task.
 * Time a task spends waiting (for the model, or behind other tasks) is not charged to it.
 */
export function createCpuAttribution() {
  const charged = new Map<number, number>();
  const phaseIds = new Map<string, number>();
  // Callbacks can nest (a scope entered inside another callback): time goes to the innermost task.
  const stack: Array<number | undefined> = [];
  let since = 0;
  const charge = () => {
    const now = performance.now();
    const task = stack[stack.length - 1];
    if (task !== undefined) charged.set(task, (charged.get(task) ?? 0) + now - since);
    since = now;
  };
  const hook = createHook({
    init(_id, _type, _trigger, resource: Tagged) {
      const task = (executionAsyncResource() as Tagged)[TASK];
      if (task !== undefined) resource[TASK] = task;
    },
    before() {
      charge();
      stack.push((executionAsyncResource() as Tagged)[TASK]);
    },
    after() {
      charge();
      stack.pop();
    },
  });
  return {
    enable: () => hook.enable(),
    disable: () => hook.disable(),
    /** Runs `fn` as task `id`: everything it starts, directly or not, is charged to it. */
    run<T>(id: number, fn: () => Promise<T>): Promise<T> {
      const scope = new AsyncResource('bench-task') as AsyncResource & Tagged;
      scope[TASK] = id;
      return scope.runInAsyncScope(fn);
    },
    /**
     * Charges every call of `methods` on `target` to a task of its own named `name.method` (for a
     * breakdown of where a turn's time goes); `phases()` reports them. Those calls then no longer
     * count in the calling task's own time.
     */
    chargeApart(target: object, name: string, methods: readonly string[]): void {
      const o = target as Record<string, (...args: unknown[]) => unknown>;
      for (const m of methods) {
        const original = o[m]!.bind(target);
        const id = PHASE_BASE - phaseIds.size;
        phaseIds.set(`${name}.${m}`, id);
        o[m] = (...args: unknown[]) => this.run(id, async () => original(...args));
      }
    },
    /** Milliseconds charged to each `chargeApart` method so far; forgets them. */
    phases(): Array<{ name: string; ms: number }> {
      return [...phaseIds].map(([name, id]) => ({ name, ms: this.take(id) }));
    },
    /** Milliseconds charged to a task so far; forgets it. */
    take(id: number): number {
      const ms = charged.get(id) ?? 0;
      charged.delete(id);
      return ms;
    },
  };
}
