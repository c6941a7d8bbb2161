import { AsyncResource, createHook, executionAsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

const TASK = Symbol('bench-task');
type Tagged = { [TASK]?: number };

/**
 * Per-task CPU accounting on the one event loop: every callback (promise reaction, I/O, timer)
 * runs in the async context of the task that caused it, and its duration is charged to that task.
 * Time a task spends waiting (for the model, or behind other tasks) is not charged to it.
 */
export function createCpuAttribution() {
  const charged = new Map<number, number>();
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
    /** Milliseconds charged to a task so far; forgets it. */
    take(id: number): number {
      const ms = charged.get(id) ?? 0;
      charged.delete(id);
      return ms;
    },
  };
}
