import { join } from 'node:path';
import { DOCS, launchBrowser } from '../webapp/support.js';

/** One bot message as the fake platform received it: its text (Telegram HTML or Discord markdown) and its buttons. */
export interface BotMessage {
  readonly html: string;
  readonly buttons: ReadonlyArray<{ label: string; style: 'approve' | 'deny' }>;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Discord content → HTML: code fences become <pre>, the rest is escaped text (what the client shows). */
export function discordHtml(content: string): string {
  const fence = /^```\n([\s\S]*)\n```$/.exec(content);
  return fence ? `<pre>${escape(fence[1]!)}</pre>` : escape(content).replace(/\n/g, '<br>');
}

/**
 * Renders what a fake Telegram or Discord received, as a small chat page in Chromium, and saves a
 * screenshot into docs/ (an honest rendering of the recorded wire messages, not the real client).
 */
export async function screenshotBotChat(file: string, platform: 'Telegram' | 'Discord', messages: readonly BotMessage[]): Promise<void> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 720, height: 200 } });
    const dark = platform === 'Discord';
    const css = `
      body { margin: 0; font: 15px/1.4 system-ui, sans-serif; background: ${dark ? '#313338' : '#b7d3a8'}; color: ${dark ? '#dbdee1' : '#000'}; }
      header { padding: 10px 16px; font-weight: 600; background: ${dark ? '#2b2d31' : '#fff'}; }
      main { padding: 12px 16px; display: flex; flex-direction: column; gap: 8px; }
      .msg { max-width: 640px; padding: 8px 12px; border-radius: 10px; background: ${dark ? 'transparent' : '#fff'}; }
      .msg pre { white-space: pre-wrap; word-break: break-all; margin: 4px 0; padding: 6px 8px; border-radius: 6px;
        background: ${dark ? '#2b2d31' : '#eef'}; font: 13px/1.35 ui-monospace, monospace; }
      .buttons { display: flex; gap: 6px; margin-top: 6px; }
      .buttons span { flex: ${dark ? '0 0 auto' : '1'}; text-align: center; padding: 6px 14px; border-radius: ${dark ? '3px' : '8px'};
        background: ${dark ? '#4e5058' : 'rgba(0,0,0,.25)'}; color: #fff; font-weight: 500; }
      .buttons .approve { background: ${dark ? '#248046' : 'rgba(0,0,0,.25)'}; }
      .buttons .deny { background: ${dark ? '#da373c' : 'rgba(0,0,0,.25)'}; }
      .who { font-weight: 600; color: ${dark ? '#f2f3f5' : '#168acd'}; }`;
    const body = messages
      .map(
        (m, i) =>
          `<div class="msg">${i === 0 ? `<div class="who">Hearth${dark ? ' <small>BOT</small>' : ''}</div>` : ''}${m.html}${
            m.buttons.length
              ? `<div class="buttons">${m.buttons.map((b) => `<span class="${b.style}">${escape(b.label)}</span>`).join('')}</div>`
              : ''
          }</div>`,
      )
      .join('');
    await page.setContent(
      `<!doctype html><style>${css}</style><header>${platform} · Hearth (fake ${platform} on loopback)</header><main>${body}</main>`,
    );
    const height = await page.evaluate(() => document.body.scrollHeight);
    await page.setViewportSize({ width: 720, height: Math.min(1400, height) });
    await page.screenshot({ path: join(DOCS, file), fullPage: true });
  } finally {
    await browser.close();
  }
}
