import type { Familiar } from '../../src/companions/index.js';
import { STRONG } from '../identity/helpers.js';
import type { TestHearth } from '../support/hearth.js';

/**
 * What the several-familiars tests start from: the owner olive with an admin API key, a provider
 * on the fake model, and the familiars Luna and Sol on it.
 */
export async function ownerWithLunaAndSol(
  t: TestHearth,
  modelUrl: string,
): Promise<{ owner: { id: string }; headers: Record<string, string>; providerId: string; luna: Familiar; sol: Familiar }> {
  const owner = await t.hearth.identity.createUser({ name: 'olive', password: STRONG, role: 'owner' });
  const { key } = await t.hearth.identity.createApiKey({ userId: owner.id, scopes: ['read', 'write', 'admin'] });
  const headers = { 'x-api-key': key };
  const p = await t.app.inject({
    method: 'POST',
    url: '/api/providers',
    headers,
    payload: { name: 'fake', baseUrl: modelUrl, maxRetries: 0 },
  });
  if (p.statusCode !== 201) throw new Error(`creating the provider answered ${p.statusCode}: ${p.body}`);
  const providerId = (p.json() as { id: string }).id;
  const system = { type: 'system' as const };
  const luna = await t.hearth.familiars.create({ slug: 'luna', name: 'Luna', persona: 'You are Luna.', providerId, model: 'm' }, system);
  const sol = await t.hearth.familiars.create({ slug: 'sol', name: 'Sol', persona: 'You are Sol.', providerId, model: 'm' }, system);
  return { owner, headers, providerId, luna, sol };
}
