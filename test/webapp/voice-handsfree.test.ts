/// <reference lib="dom" />
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcmToWav } from '../../src/voice/audio.js';
import { parsePcmWav } from '../../src/voice/wav.js';
import { openVoiceChat, type VoiceChat } from './voice-chat.js';

const CHROMIUM = '/usr/bin/chromium';
const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0;
const ready = existsSync(CHROMIUM) && hasEspeak;
// Eight sentences of half a second each: the reply still plays when the looped microphone speaks again.
const REPLY = 'One. Two. Three. Four. Five. Six. Seven. Eight.';

/** espeak-ng speech between silences (1.5 s before, 2 s after), as Chromium's fake microphone plays it, in a loop. */
function microphoneWav(text: string): Buffer {
  const r = spawnSync('espeak-ng', ['-v', 'en-us', '-s', '150', '--stdin', '--stdout'], { input: text });
  const wav = parsePcmWav(r.stdout)!;
  const silence = (seconds: number) => Buffer.alloc(Math.round(seconds * wav.rate) * 2 * wav.channels);
  return pcmToWav(Buffer.concat([silence(1.5), wav.pcm, silence(2)]), wav.rate);
}

describe.skipIf(!ready)(
  '#18 voice in the web chat: hands-free with voice-activity detection, in Chromium with a fake microphone (CH-5)',
  () => {
    let chat: VoiceChat;
    let page: Page;
    let violations: string[];
    const status = () => page.locator('p.hands-free-status[role="status"]');

    beforeAll(async () => {
      chat = await openVoiceChat({
        microphoneWav: microphoneWav('tell me about the sea please'),
        reply: REPLY,
        transcript: 'tell me about the sea',
        hearth: { env: { HEARTH_RATE_CHAT_TURNS: '1000' } },
        timeoutMs: 30_000,
      });
      ({ page, violations } = chat);
    }, 120_000);
    afterAll(async () => {
      await chat?.close();
    });

    it('#18 voice: hands-free on: an utterance is detected, sent as a voice turn, shown, and its reply played; speaking again stops it (barge-in)', async () => {
      const toggle = page.getByRole('button', { name: 'Hands-free' });
      await toggle.click();
      await expect.poll(() => toggle.getAttribute('aria-pressed'), { timeout: 30_000 }).toBe('true');
      // The looped microphone: speech, silence, speech… Each utterance becomes a turn.
      await expect.poll(() => status().getAttribute('data-turns'), { timeout: 60_000 }).not.toBe('0');
      await page.locator('ol.messages li', { hasText: 'tell me about the sea' }).first().waitFor();
      await page.locator('ol.messages li', { hasText: 'Eight.' }).first().waitFor();
      expect(Number(await status().getAttribute('data-played'))).toBeGreaterThanOrEqual(1);
      const heard = chat.speech.requests.filter((r) => r.path === '/v1/audio/transcriptions');
      expect(heard.length).toBeGreaterThanOrEqual(1);
      expect(heard[0]!.body.riff).toBe('RIFF');
      expect(Number(heard[0]!.body.fileBytes)).toBeGreaterThan(44 + 16_000); // more than half a second of 16 kHz speech
      // The reply (4 s of sentences) still plays when the microphone speaks again: playback stops.
      await expect.poll(() => status().getAttribute('data-barge-ins'), { timeout: 60_000 }).not.toBe('0');
      // Off again: the microphone is released and nothing more is sent.
      await toggle.click();
      await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('false');
      // WebAssembly ran in the worker under its own policy; the page's strict CSP was never broken.
      expect(violations).toEqual([]);
      const pageCsp = await page.evaluate(async () => (await fetch('/chat')).headers.get('content-security-policy'));
      const workerCsp = await page.evaluate(async () => (await fetch('/voice/vad/vad-worker.js')).headers.get('content-security-policy'));
      expect(pageCsp).not.toContain('wasm-unsafe-eval');
      expect(workerCsp).toContain("'wasm-unsafe-eval'");
    }, 150_000);
  },
);
