/// <reference lib="dom" />
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { startFakeSpeech, type FakeSpeech } from '../fakes/speech-server.js';
import {
  apiAsPage,
  collectCspViolations,
  ensureWebBuild,
  seedFamiliar,
  seriousA11yViolations,
  sidewaysScroll,
  signInThroughPage,
  startWebHearth,
  type WebHearth,
} from '../webapp/support.js';
import { spoken, tempLeft } from './fixtures.js';

const OWNER = 'ada';
const PASSWORD = 'correct horse battery staple 18';
const REPLY = 'The sea is wide. It is deep and blue! Do you like it?';

/** Chromium whose microphone is a WAV file (the fake device, no permission prompt shown but the request still made). */
function launchWithMicrophone(wav: string): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

describe('#18 voice in the web chat: push-to-talk with a fake microphone in Chromium (CH-5)', () => {
  let dir: string;
  let browser: Browser;
  let hearth: WebHearth;
  let fake: FakeOpenAI;
  let speech: FakeSpeech;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-voice-web-'));
    const wav = join(dir, 'microphone.wav');
    writeFileSync(wav, spoken('tell me about the sea please, tell me about the sea'));
    await ensureWebBuild();
    [browser, hearth, fake, speech] = await Promise.all([
      launchWithMicrophone(wav),
      startWebHearth(),
      startFakeOpenAI({ fallback: { text: REPLY } }),
      startFakeSpeech({ transcript: 'tell me about the sea' }),
    ]);
    await hearth.hearth.identity.createUser({ name: OWNER, password: PASSWORD, role: 'owner' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    await context.grantPermissions(['microphone'], { origin: hearth.baseUrl });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/chat`);
    await signInThroughPage(page, OWNER, PASSWORD);
    await seedFamiliar(page, fake.url);
    // Speech through the fake OpenAI-compatible speech server: a fixed transcript, a 0.5 s WAV per sentence.
    for (const kind of ['stt', 'tts'] as const)
      await apiAsPage(page, 'POST', '/api/voice/providers', { name: kind, kind, baseUrl: speech.url, model: 'fake', active: true });
    await page.reload();
    await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
    await fake?.close();
    await speech?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
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
