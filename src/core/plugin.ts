import type { RouteModule } from './http.js';
import type { Budget } from './limiter.js';
import type { Authenticator } from './principal.js';
import type { Migration, SealedColumn } from './storage.js';

/**
 * What the kernel holds before any plugin runs: config, logger, storage, settings, vault, audit and
 * the rate limiter. The folders that own those types add them here by declaration merging (as
 * Fastify's decorators do), so the kernel imports nothing from them.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface KernelBase {}

/**
 * Services a plugin offers to the plugins after it, by name. Each plugin adds its own entries by
 * declaration merging next to its plugin, e.g. `interface Services { memory: MemoryService }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface Services {}

/** What a plugin holds of one person, for export and erasure (DATA-5). Privacy only iterates these. */
export interface PersonData {
  /** Names the part in reports and errors ("memories", "conversations"). */
  readonly part: string;
  /** Adds what this plugin holds of the person to the export, under keys of its own. */
  export?(userId: string): Promise<Record<string, unknown>>;
  /** Removes everything this plugin holds of the person; counts by table or kind. Runs in reverse list order. */
  erase?(userId: string): Promise<Record<string, number>>;
  /** Retention: removes what is older than `before` (ms since epoch); counts by table or kind. */
  prune?(before: number): Promise<Record<string, number>>;
  /**
   * Moves everything this plugin holds of person `from` to person `to` (a channel-only person
   * merged into the web account they linked, #15): nothing dropped, nothing left under `from`;
   * counts by table or kind. Runs in list order; safe to run again after a failure.
   */
  reassign?(from: string, to: string): Promise<Record<string, number>>;
}

/**
 * What a plugin holds of one familiar (its conversations, memories, notes, tool settings), for the
 * familiar's deletion. The familiars plugin only iterates these, as privacy iterates PersonData.
 */
export interface FamiliarData {
  /** Names the part in reports and errors ("conversations", "memories"). */
  readonly part: string;
  /** How much it holds of the familiar, by table or kind (shown before a deletion is confirmed). */
  count(familiarId: string): Promise<Record<string, number>>;
  /** Removes everything it holds of the familiar; counts by table or kind. Runs in reverse list order. */
  erase(familiarId: string): Promise<Record<string, number>>;
}

/** Drops cached state for `scope` (the signed `invalidate` webhook). */
export type Invalidator = (scope?: string) => Promise<void> | void;

/** A figure read at every /metrics scrape, exported as a Prometheus gauge (HTTP-7). */
export interface Gauge {
  /** Prometheus name, `hearth_…`. */
  readonly name: string;
  readonly help: string;
  read(): Promise<number> | number;
}

/**
 * What plugins hand to each other by kind. Kinds owned by a concern (tool providers, memory
 * retrievers) are added by declaration merging in that concern.
 */
export interface Contributions {
  personData: PersonData;
  familiarData: FamiliarData;
  invalidators: Invalidator;
  gauges: Gauge;
}

type ContributionLists = { readonly [K in keyof Contributions]?: readonly Contributions[K][] };

/** The configuration type, as the config folder declares it on the kernel. */
export type KernelConfig = KernelBase extends { readonly config: infer C } ? C : never;

/** What every plugin's `init` receives. */
export interface Kernel extends KernelBase {
  readonly now: () => number;
  /** A service offered by a plugin earlier in the list; throws naming it when none did. */
  service<K extends keyof Services>(name: K): Services[K];
  /** The same, or undefined when no plugin offers it (an optional concern). */
  optional<K extends keyof Services>(name: K): Services[K] | undefined;
  /** Every plugin's contributions of a kind. The list grows as later plugins start up, so read it when used. */
  contributions<K extends keyof Contributions>(kind: K): readonly Contributions[K][];
}

/** What `init` returns: everything optional. */
export interface PluginParts {
  readonly services?: Partial<Services>;
  /** Registered in list order, each encapsulated in its own Fastify plugin. */
  readonly routes?: readonly RouteModule[];
  readonly contributes?: ContributionLists;
  /** Resolves callers for every signed route; at most one plugin provides it. */
  readonly authenticator?: Authenticator;
  /** Runs when the first server is built (so CLI commands never connect bots), in list order. */
  start?(): Promise<void> | void;
  /** Runs on shutdown, in reverse list order. */
  close?(): Promise<void> | void;
}

/** One concern of Hearth, as the composition root lists it. */
export interface HearthPlugin {
  readonly name: string;
  readonly migrations?: readonly Migration[];
  /** Rate-limit budgets this plugin consumes, by name. */
  readonly budgets?: (config: KernelConfig) => Readonly<Record<string, Budget>>;
  /** Columns this plugin seals with the vault (`hearth keys rotate` re-encrypts them). */
  readonly sealedColumns?: readonly SealedColumn[];
  init(kernel: Kernel): PluginParts | Promise<PluginParts>;
}

/** Identity function that types a plugin object. */
export function definePlugin(plugin: HearthPlugin): HearthPlugin {
  return plugin;
}
