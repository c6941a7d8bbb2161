import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { startFakeSpeech, toneWav, type FakeSpeech } from '../fakes/speech-server.js';

let w: ChatWorld;
let speech: FakeSpeech;

beforeAll(async () => {
  w = await startChatWorld();
  speech = await startFakeSpeech({ transcript: 'tell me about the sea' });
  for (const payload of [
    { name: 'whisper', kind: 'stt', baseUrl: speech.url, model: 'whisper-1', active: true },
    { name: 'tts', kind: 'tts', baseUrl: speech.url, model: 'tts-1', voice: 'nova', active: true },
  ]) {
    const r = await w.t.app.inject({ method: 'POST', url: '/api/voice/providers', headers: w.auth(w.admin.key), payload });
    if (r.statusCode !== 201) throw new Error(`speech provider: ${r.statusCode} ${r.body}`);
  }
}, 60_000);
afterAll(async () => {
  await speech?.close();
  await w?.close();
});

const upload = (key: string, conversationId: string, seconds: number) =>
  w.t.app.inject({
    method: 'POST',
    url: `/api/conversations/${conversationId}/voice`,
    headers: { ...w.auth(key), 'content-type': 'audio/wav' },
    payload: toneWav(seconds),
  });
const setVoice = (payload: Record<string, unknown>, key = w.admin.key) =>
  w.t.app.inject({ method: 'PUT', url: '/api/budgets/voice', headers: w.auth(key), payload });

describe('#22 budgets: voice minutes', () => {
  it('#22 budgets: a recording’s seconds are charged before it is transcribed; past the limit a clear 429, audited, nothing sent to the provider', async () => {
    expect((await setVoice({ userId: w.alice.id, minutesPerDay: 1 })).statusCode).toBe(200);
    const c = await newConversation(w, w.alice.key);
    expect((await upload(w.alice.key, c, 40)).statusCode).toBe(200);
    const me = await w.t.app.inject({ method: 'GET', url: '/api/budgets/voice/me', headers: w.auth(w.alice.key) });
    expect(me.json()).toMatchObject({
      lines: [{ scope: 'person', period: 'day', usedSeconds: 40, limitSeconds: 60, remainingSeconds: 20 }],
    });
    const heardBefore = speech.requests.length;
    const spent = await upload(w.alice.key, c, 30);
    expect(spent.statusCode).toBe(429);
    expect(spent.json()).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(spent.body).toMatch(/Your daily voice budget is spent; it resets at \d{4}-\d{2}-\d{2} 00:00 UTC\./);
    expect(Number(spent.headers['retry-after'])).toBeGreaterThan(0);
    expect(speech.requests.length).toBe(heardBefore); // refused before any transcription
    const [refusal] = await w.t.hearth.audit.list({ action: 'budget.refused' });
    expect(refusal).toMatchObject({ outcome: 'denied', details: { dimension: 'voiceSeconds', call: 'voice' } });
    // what still fits, fits; bob has no limit
    expect((await upload(w.alice.key, c, 19)).statusCode).toBe(200);
    const b = await newConversation(w, w.bob.key);
    expect((await upload(w.bob.key, b, 45)).statusCode).toBe(200);
  }, 60_000);

  it('#22 budgets: a role default and a familiar’s total; admins only set them; bad bodies are refused', async () => {
    expect((await setVoice({ role: 'member', minutesPerMonth: 0 })).statusCode).toBe(200);
    const b = await newConversation(w, w.bob.key);
    expect((await upload(w.bob.key, b, 1)).statusCode).toBe(429); // bob falls under the member default now
    expect((await setVoice({ role: 'member', minutesPerMonth: null })).statusCode).toBe(200);
    expect((await setVoice({ familiarId: w.familiarId, minutesPerDay: 0 })).statusCode).toBe(200);
    expect((await upload(w.bob.key, b, 1)).statusCode).toBe(429);
    expect((await setVoice({ familiarId: w.familiarId, minutesPerDay: null })).statusCode).toBe(200);
    expect((await upload(w.bob.key, b, 1)).statusCode).toBe(200);
    expect((await setVoice({ role: 'member', minutesPerDay: 1 }, w.alice.key)).statusCode).toBe(403);
    expect((await setVoice({ role: 'owner', minutesPerDay: 1 })).statusCode).toBe(400);
    expect((await setVoice({ minutesPerDay: 1 })).statusCode).toBe(400);
    expect((await setVoice({ userId: 'nobody', minutesPerDay: 1 })).statusCode).toBe(404);
    expect((await setVoice({ userId: w.bob.id, minutesPerDay: -1 })).statusCode).toBe(400);
    const list = await w.t.app.inject({ method: 'GET', url: '/api/budgets/voice', headers: w.auth(w.admin.key) });
    expect(list.json()).toEqual({ limits: [{ scope: { kind: 'person', userId: w.alice.id }, minutesPerDay: 1, minutesPerMonth: null }] });
  }, 60_000);
});
