/// <reference lib="dom" />
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { TestHearthOptions } from '../support/hearth.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { startFakeSpeech, type FakeSpeech } from '../fakes/speech-server.js';
import {
  apiAsPage,
  collectCspViolations,
  ensureWebBuild,
  launchWithMicrophone,
  seedFamiliar,
  signInThroughPage,
  startWebHearth,
  type WebHearth,
} from './support.js';

export const VOICE_OWNER = 'ada';
export const VOICE_PASSWORD = 'correct horse battery staple 18';

/** The web chat of a signed-in owner, in Chromium whose microphone plays `microphoneWav`, with familiar Ember and fake speech providers. */
export interface VoiceChat {
  readonly browser: Browser;
  readonly hearth: WebHearth;
  readonly fake: FakeOpenAI;
  readonly speech: FakeSpeech;
  readonly page: Page;
  /** CSP violations the page reported so far. */
  readonly violations: string[];
  close(): Promise<void>;
}

export async function openVoiceChat(options: {
  readonly microphoneWav: Buffer;
  /** What the fake model answers. */
  readonly reply: string;
  /** What the fake speech-to-text hears. */
  readonly transcript: string;
  readonly hearth?: TestHearthOptions;
  readonly timeoutMs: number;
}): Promise<VoiceChat> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-voice-chat-'));
  const wav = join(dir, 'microphone.wav');
  writeFileSync(wav, options.microphoneWav);
  await ensureWebBuild();
  const [browser, hearth, fake, speech] = await Promise.all([
    launchWithMicrophone(wav),
    startWebHearth(options.hearth),
    startFakeOpenAI({ fallback: { text: options.reply } }),
    startFakeSpeech({ transcript: options.transcript }),
  ]);
  const close = async () => {
    await browser.close();
    await hearth.close();
    await fake.close();
    await speech.close();
    rmSync(dir, { recursive: true, force: true });
  };
  await hearth.hearth.identity.createUser({ name: VOICE_OWNER, password: VOICE_PASSWORD, role: 'owner' });
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
  await context.grantPermissions(['microphone'], { origin: hearth.baseUrl });
  const page = await context.newPage();
  page.setDefaultTimeout(options.timeoutMs);
  const violations = collectCspViolations(page);
  await page.goto(`${hearth.baseUrl}/chat`);
  await signInThroughPage(page, VOICE_OWNER, VOICE_PASSWORD);
  await seedFamiliar(page, fake.url);
  // Speech through the fake OpenAI-compatible speech server: a fixed transcript, a 0.5 s WAV per sentence.
  for (const kind of ['stt', 'tts'] as const)
    await apiAsPage(page, 'POST', '/api/voice/providers', { name: kind, kind, baseUrl: speech.url, model: 'fake', active: true });
  await page.reload();
  await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
  return { browser, hearth, fake, speech, page, violations, close };
}
