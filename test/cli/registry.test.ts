import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';

describe('hearth command registry', () => {
  it('lists each command once, with the name and summary its module declares (loaded only when run)', async () => {
    expect(new Set(commands.map((c) => c.name)).size).toBe(commands.length);
    for (const entry of commands) {
      const command = await entry.load();
      expect({ name: command.name, summary: command.summary }).toEqual({ name: entry.name, summary: entry.summary });
    }
  });
});
