/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeSpeech } from '../fakes/speech-server.js';
import { seriousA11yViolations, sidewaysScroll, signInThroughPage, type WebHearth } from '../webapp/support.js';
import { openVoiceChat, VOICE_OWNER, VOICE_PASSWORD, type VoiceChat } from '../webapp/voice-chat.js';
import { spoken, tempLeft } from './fixtures.js';

const OWNER = VOICE_OWNER;
const PASSWORD = VOICE_PASSWORD;
const REPLY = 'The sea is wide. It is deep and blue! Do you like it?';

describe('#18 voice in the web chat: push-to-talk with a fake microphone in Chromium (CH-5)', () => {
  let chat: VoiceChat;
  let browser: Browser;
  let hearth: WebHearth;
  let speech: FakeSpeech;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    chat = await openVoiceChat({
      microphoneWav: spoken('tell me about the sea please, tell me about the sea'),
      reply: REPLY,
      transcript: 'tell me about the sea',
      timeoutMs: 20_000,
    });
    ({ browser, hearth, speech, page, violations } = chat);
  }, 120_000);
  afterAll(async () => {
    await chat?.close();
  });

  /** Presses the button with the mouse, speaks for a moment into the fake microphone, releases, and waits for the answer. */
  const holdToTalk = async () => {
    const talk = page.getByRole('button', { name: 'Hold to talk' });
    const box = (await talk.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.getByRole('button', { name: 'Release to send' }).waitFor();
    await expect.poll(() => page.locator('p.voice-status[role="status"]').innerText()).toContain('Listening');
    await page.waitForTimeout(1500); // speaking into the fake microphone
    await page.mouse.up();
    await page.getByRole('button', { name: 'Hold to talk' }).waitFor(); // the streamed turn has ended
  };

  it('#18 voice: hold to talk, release: the recording goes up as 16 kHz WAV, the turn shows in the thread, each sentence plays', async () => {
    // No ffmpeg on the server's PATH for this turn: the browser's WAV is read as it is.
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await holdToTalk();
    } finally {
      process.env.PATH = path;
    }
    const heard = speech.requests.filter((r) => r.path === '/v1/audio/transcriptions').at(-1)!;
    await expect
      .poll(() => page.locator('p.voice-status[role="status"]').innerText(), { timeout: 20_000 })
      .toBe('You said: “tell me about the sea”');
    // The stored turn in the thread, as a typed one would be.
    await page.locator('ol.messages li', { hasText: 'tell me about the sea' }).waitFor();
    await page.locator('ol.messages li', { hasText: 'Do you like it?' }).waitFor();
    // Three sentences, three clips handed to the player.
    expect(await page.locator('p.voice-status[role="status"]').getAttribute('data-played')).toBe('3');
    // What reached the speech server: the browser's recording, decoded there to 16 kHz mono PCM.
    expect(heard.body.riff).toBe('RIFF');
    expect(Number(heard.body.fileBytes)).toBeGreaterThan(44 + 32_000); // more than a second of speech
    expect(
      speech.requests
        .filter((r) => r.path === '/v1/audio/speech')
        .map((r) => r.body.input)
        .sort(),
    ).toEqual(['Do you like it?', 'It is deep and blue!', 'The sea is wide.']);
    expect(page.url()).toMatch(/\/chat\/.+/);
    expect(tempLeft(hearth.dataDir)).toEqual([]);
    expect(violations).toEqual([]);
  }, 60_000);

  it('#18 voice: the keyboard works too (hold Space), and the button fits a 375 px phone with no sideways scroll and no serious axe finding', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    const before = speech.requests.length;
    const talk = page.getByRole('button', { name: 'Hold to talk' });
    await talk.focus();
    await page.keyboard.down(' ');
    await page.getByRole('button', { name: 'Release to send' }).waitFor();
    await page.waitForTimeout(800);
    await page.keyboard.up(' ');
    await page.getByRole('button', { name: 'Hold to talk' }).waitFor();
    expect(speech.requests.length - before).toBe(4); // one transcription, three sentences spoken
    const button = (await page.getByRole('button', { name: 'Hold to talk' }).boundingBox())!;
    const send = (await page.getByRole('button', { name: 'Send' }).boundingBox())!;
    expect(button.x).toBeGreaterThanOrEqual(0);
    expect(send.x + send.width).toBeLessThanOrEqual(375);
    expect(button.width).toBeGreaterThanOrEqual(44); // a touch target
    expect(await sidewaysScroll(page)).toBe(0);
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(violations).toEqual([]);
  }, 60_000);

  it('#18 voice: a refused microphone says how to allow it, and nothing is sent', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    try {
      const other = await context.newPage();
      other.setDefaultTimeout(20_000);
      // The fake UI grants every request; a page whose getUserMedia refuses stands for a person who said no.
      await other.addInitScript(() => {
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
      });
      await other.goto(`${hearth.baseUrl}/chat`);
      await signInThroughPage(other, OWNER, PASSWORD);
      await other.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
      const before = speech.requests.length;
      await other.getByRole('button', { name: 'Hold to talk' }).dispatchEvent('pointerdown', { button: 0, pointerId: 1 });
      await expect.poll(() => other.locator('p.voice-status[role="status"]').innerText()).toContain('The microphone is blocked');
      expect(speech.requests.length).toBe(before);
    } finally {
      await context.close();
    }
  }, 60_000);
});
