import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProviderUrl } from '../../src/providers/index.js';
import { startChatWorld, type ChatWorld } from '../companions/helpers.js';

describe('#20.4 trusted local network: plain http to a LAN model server only when the operator says so (LLM-5)', () => {
  it('private-network http needs the option; public http, link-local and look-alike names never pass', () => {
    const lan = [
      'http://192.168.1.10:11434/v1',
      'http://10.0.0.5:8080/v1',
      'http://172.20.3.4/v1',
      'http://100.101.102.103:11434/v1',
      'http://[fd12:3456::1]:1234/v1',
      'http://ollama.lan:11434/v1',
      'http://studio.local:1234/v1',
      'http://gpu-box:8080/v1',
    ];
    for (const url of lan) {
      expect(() => checkProviderUrl(url), url).toThrow(/trusted local network/);
      expect(checkProviderUrl(url, { trustedLocalNetwork: true }), url).toBe(url);
    }
    const never = [
      'http://example.com/v1',
      'http://8.8.8.8/v1',
      'http://169.254.169.254/latest',
      'http://[fe80::1]/v1',
      'http://10.0.0.5.evil.com/v1',
      'http://172.32.0.1/v1',
      'http://192.169.0.1/v1',
      'http://[2001:db8::1]/v1',
      'http://ollama.lan.evil.com/v1',
    ];
    for (const url of never) expect(() => checkProviderUrl(url, { trustedLocalNetwork: true }), url).toThrow();
  });

  let w: ChatWorld;
  beforeAll(async () => {
    w = await startChatWorld();
  });
  afterAll(async () => {
    await w?.close();
  });

  it('the option is stored, shown, audited on its own, and cannot be dropped while the URL needs it', async () => {
    const refused = await w.t.app.inject({
      method: 'POST',
      url: '/api/providers',
      headers: w.auth(w.admin.key),
      payload: { name: 'lan', baseUrl: 'http://192.168.1.10:11434/v1' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    const created = await w.t.app.inject({
      method: 'POST',
      url: '/api/providers',
      headers: w.auth(w.admin.key),
      payload: { name: 'lan', baseUrl: 'http://192.168.1.10:11434/v1', trustedLocalNetwork: true },
    });
    expect(created.statusCode).toBe(201);
    const provider = created.json() as { id: string; trustedLocalNetwork: boolean };
    expect(provider.trustedLocalNetwork).toBe(true);
    const [entry] = await w.t.hearth.audit.list({ action: 'provider.trusted_local_network', target: provider.id });
    expect(entry).toMatchObject({ outcome: 'success', details: { enabled: true, baseUrl: 'http://192.168.1.10:11434/v1' } });
    // Untrusting while the URL is plain http to the LAN is refused, and nothing changes.
    const untrust = await w.t.app.inject({
      method: 'PATCH',
      url: `/api/providers/${provider.id}`,
      headers: w.auth(w.admin.key),
      payload: { trustedLocalNetwork: false },
    });
    expect(untrust.statusCode).toBe(400);
    expect((await w.t.hearth.providers.get(provider.id))?.trustedLocalNetwork).toBe(true);
    // With an https URL in the same request it goes, audited again.
    const https = await w.t.app.inject({
      method: 'PATCH',
      url: `/api/providers/${provider.id}`,
      headers: w.auth(w.admin.key),
      payload: { trustedLocalNetwork: false, baseUrl: 'https://models.example.org/v1' },
    });
    expect(https.statusCode).toBe(200);
    expect(https.json()).toMatchObject({ trustedLocalNetwork: false, baseUrl: 'https://models.example.org/v1' });
    const entries = await w.t.hearth.audit.list({ action: 'provider.trusted_local_network', target: provider.id });
    expect(entries.map((e) => (e.details as { enabled: boolean }).enabled).sort()).toEqual([false, true]);
    // A public plain-http address stays refused even with the option.
    const pub = await w.t.app.inject({
      method: 'PATCH',
      url: `/api/providers/${provider.id}`,
      headers: w.auth(w.admin.key),
      payload: { trustedLocalNetwork: true, baseUrl: 'http://models.example.org/v1' },
    });
    expect(pub.statusCode).toBe(400);
  });
});
