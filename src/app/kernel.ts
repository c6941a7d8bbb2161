import type {
  Contributions,
  HearthPlugin,
  Kernel,
  KernelBase,
  PluginParts,
  RouteModule,
  Services,
  Authenticator,
  Budget,
} from '../core/index.js';

type ContributionStore = { [K in keyof Contributions]: Contributions[K][] };

/** What the plugin loop gathered: everything the server and shutdown need. */
export interface LoadedPlugins {
  readonly kernel: Kernel;
  readonly routes: readonly RouteModule[];
  readonly authenticator: Authenticator | undefined;
  /** Runs each plugin's start once, in list order. */
  start(): Promise<void>;
  /** Runs each plugin's close in reverse order; every closer runs even when one fails. */
  close(): Promise<void>;
}

/** Every budget the plugins declare; two plugins declaring one name is a mistake caught at start. */
export function pluginBudgets(plugins: readonly HearthPlugin[], config: KernelBase['config']): Record<string, Budget> {
  const budgets: Record<string, Budget> = {};
  for (const plugin of plugins)
    for (const [name, budget] of Object.entries(plugin.budgets?.(config) ?? {})) {
      if (name in budgets) throw new Error(`plugin ${plugin.name} declares budget ${name}, which a plugin before it declares`);
      budgets[name] = budget;
    }
  return budgets;
}

/**
 * The one loop of the composition root: calls each plugin's init in order with the kernel, and
 * collects services, contributions, routes, the authenticator, starters and closers.
 */
export async function loadPlugins(plugins: readonly HearthPlugin[], base: KernelBase & { now: () => number }): Promise<LoadedPlugins> {
  const services = new Map<keyof Services, unknown>();
  const contributions: ContributionStore = {
    personData: [],
    familiarData: [],
    invalidators: [],
    toolProviders: [],
    retrievers: [],
    conversationData: [],
    gauges: [],
  };
  const routes: RouteModule[] = [];
  const starters: Array<NonNullable<PluginParts['start']>> = [];
  const closers: Array<NonNullable<PluginParts['close']>> = [];
  let authenticator: Authenticator | undefined;
  let current = '';
  const kernel: Kernel = {
    ...base,
    service(name) {
      if (!services.has(name)) throw new Error(`plugin ${current} needs the ${String(name)} service, which no plugin before it offers`);
      return services.get(name) as never;
    },
    optional: (name) => services.get(name) as never,
    contributions: (kind) => contributions[kind],
  };
  const close = async () => {
    for (const closer of closers.reverse())
      await Promise.resolve()
        .then(closer)
        .catch((err: unknown) => base.logger.error({ err }, 'plugin failed to close'));
  };
  try {
    for (const plugin of plugins) {
      current = plugin.name;
      const parts = await plugin.init(kernel);
      if (parts.close) closers.push(parts.close);
      for (const [name, service] of Object.entries(parts.services ?? {}) as Array<[keyof Services, unknown]>) {
        if (services.has(name)) throw new Error(`plugin ${plugin.name} offers the ${String(name)} service a plugin before it offers`);
        services.set(name, service);
      }
      for (const [kind, list] of Object.entries(parts.contributes ?? {}) as Array<[keyof Contributions, never[]]>)
        contributions[kind].push(...list);
      if (parts.authenticator) {
        if (authenticator) throw new Error(`plugin ${plugin.name} offers a second authenticator`);
        authenticator = parts.authenticator;
      }
      routes.push(...(parts.routes ?? []));
      if (parts.start) starters.push(parts.start);
    }
  } catch (err) {
    await close();
    throw err;
  }
  let started: Promise<void> | undefined;
  return {
    kernel,
    routes,
    authenticator,
    start: () =>
      (started ??= (async () => {
        for (const start of starters) await start();
      })()),
    close,
  };
}
