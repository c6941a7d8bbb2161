import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/**
 * The unit of work a log line belongs to (HTTP-4: the request id), carried through every async
 * call by AsyncLocalStorage, so a service that logs through the kernel's logger (the turn's "model
 * call failed", memory and channel warnings) needs no request logger passed down to it. Each
 * logger from `createLogger` has its own storage, kept on the logger itself (no module state).
 */
type Bindings = Readonly<Record<string, unknown>>;

const STORAGE = Symbol('hearth.logContext');

export interface LogContext {
  /** pino's mixin: the current bindings, unless this logger's own bindings already carry them. */
  bindingsFor(instance: object): Record<string, unknown>;
  /** Called for each new child: one bound to a request id (Fastify's request logger) writes its own. */
  adopt<L extends object>(parent: object, child: L, bindings: Bindings): L;
  /** Keeps the storage on the root logger; children find it through their prototype. */
  install<L extends object>(logger: L): L;
}

const OWN_ID_KEYS = ['requestId', 'reqId'];

export function attachLogContext(): LogContext {
  const storage = new AsyncLocalStorage<Bindings>();
  const selfBound = new WeakSet<object>();
  return {
    // A fresh object each time: pino merges the call's fields into it. A logger bound to its own id
    // (a request's) is answered first: the async-context lookup costs more than the WeakSet's.
    bindingsFor: (instance) => {
      if (selfBound.has(instance)) return {};
      const store = storage.getStore();
      return store === undefined ? {} : { ...store };
    },
    adopt(parent, child, bindings) {
      if (selfBound.has(parent) || OWN_ID_KEYS.some((k) => k in bindings)) selfBound.add(child);
      return child;
    },
    install(logger) {
      Object.defineProperty(logger, STORAGE, { value: storage });
      return logger;
    },
  };
}

/**
 * Runs `fn` so that every line written through `logger` or anything derived from it (children,
 * the same root passed to services) during `fn` and every async call it starts carries `bindings`.
 * A logger not made by `createLogger` just runs `fn`.
 */
export function runWithLogContext<T>(logger: Logger, bindings: Bindings, fn: () => T): T {
  const storage = (logger as unknown as Record<symbol, AsyncLocalStorage<Bindings> | undefined>)[STORAGE];
  return storage ? storage.run(bindings, fn) : fn();
}
