import { describe, expect, it } from 'vitest';
import { loadPlugins, pluginBudgets } from '../../src/app/kernel.js';
import { definePlugin, type HearthPlugin, type KernelBase } from '../../src/core/index.js';
import { createLogger } from '../../src/logging/index.js';
import { LogCapture } from '../support/hearth.js';

// The loop needs only the logger of the kernel's base to run these plugins.
const base = () =>
  ({ logger: createLogger({ level: 'silent', destination: new LogCapture() }), now: Date.now }) as unknown as KernelBase & {
    now: () => number;
  };

describe('the plugin loop (src/app/kernel.ts)', () => {
  it('a plugin asking for a service no plugin before it offers fails, naming both', async () => {
    const asks = definePlugin({ name: 'asks', init: (k) => (k.service('familiars'), {}) });
    await expect(loadPlugins([asks], base())).rejects.toThrow(/plugin asks needs the familiars service/);
    expect(
      (await loadPlugins([definePlugin({ name: 'quiet', init: (k) => (expect(k.optional('familiars')).toBeUndefined(), {}) })], base()))
        .routes,
    ).toEqual([]);
  });

  it('a second offer of one service, a second authenticator or a budget declared twice is refused', async () => {
    const offers = (name: string): HearthPlugin => definePlugin({ name, init: () => ({ services: { familiars: {} as never } }) });
    await expect(loadPlugins([offers('a'), offers('b')], base())).rejects.toThrow(/plugin b offers the familiars service/);
    const auth = (name: string): HearthPlugin => definePlugin({ name, init: () => ({ authenticator: async () => null }) });
    await expect(loadPlugins([auth('a'), auth('b')], base())).rejects.toThrow(/second authenticator/);
    const budget = (name: string): HearthPlugin =>
      definePlugin({ name, budgets: () => ({ 'x.y': { points: 1, durationSec: 1 } }), init: () => ({}) });
    expect(() => pluginBudgets([budget('a'), budget('b')], {} as never)).toThrow(/plugin b declares budget x.y/);
  });

  it('contributions are live: a later plugin adds to what an earlier one reads at call time', async () => {
    let read: () => number = () => -1;
    const reader = definePlugin({ name: 'reader', init: (k) => ((read = () => k.contributions('invalidators').length), {}) });
    const adder = definePlugin({ name: 'adder', init: () => ({ contributes: { invalidators: [() => undefined, () => undefined] } }) });
    await loadPlugins([reader, adder], base());
    expect(read()).toBe(2);
  });

  it('start runs once in list order; close runs in reverse and every closer runs when one fails', async () => {
    const events: string[] = [];
    const plugin = (name: string, failClose = false): HearthPlugin =>
      definePlugin({
        name,
        init: () => ({
          start: () => void events.push(`start ${name}`),
          close: () => {
            events.push(`close ${name}`);
            if (failClose) throw new Error('close failed');
          },
        }),
      });
    const loaded = await loadPlugins([plugin('a'), plugin('b', true), plugin('c')], base());
    await Promise.all([loaded.start(), loaded.start()]);
    await loaded.close();
    expect(events).toEqual(['start a', 'start b', 'start c', 'close c', 'close b', 'close a']);
  });

  it('a failing init closes the plugins before it', async () => {
    const events: string[] = [];
    const ok = definePlugin({ name: 'ok', init: () => ({ close: () => void events.push('close ok') }) });
    const broken = definePlugin({ name: 'broken', init: () => Promise.reject(new Error('init failed')) });
    await expect(loadPlugins([ok, broken], base())).rejects.toThrow('init failed');
    expect(events).toEqual(['close ok']);
  });
});
