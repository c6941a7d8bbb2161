import { describe, expect, it } from 'vitest';
import {
  escapeDiscordMarkdown,
  escapeTelegramHtml,
  renderDiscord,
  renderTelegram,
  renderTwitch,
  splitForLimit,
} from '../../src/channels/core/index.js';

describe('reply sanitizing per channel (LLM-3)', () => {
  it('Telegram: every HTML-special character is escaped; no dangerous link survives', () => {
    expect(escapeTelegramHtml(`<a href="x">&</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
    for (const url of [
      'javascript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=',
      'vbscript:msgbox',
      'java\tscript:x',
      '&#106;avascript:x',
    ]) {
      expect(renderTelegram(`[click](${url.replace(/[()]/g, '')})`).join('')).not.toMatch(/script:|data:/i);
    }
  });

  it('splits at the limit on a break, never mid-escape or mid-surrogate', () => {
    const parts = splitForLimit('😀'.repeat(10), 4);
    expect(parts.join('')).toBe('😀'.repeat(10));
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4);
    const tg = renderTelegram('&'.repeat(5000));
    for (const p of tg) {
      expect(p.length).toBeLessThanOrEqual(4096);
      expect(p).toMatch(/^(&amp;)+$/);
    }
  });

  it('Discord: mass and role mentions are defused even in content; embeds escape markdown', () => {
    const out = renderDiscord('@everyone @here <@&123456789012345678> <@123456789012345678>').join('');
    expect(out).not.toMatch(/@everyone|@here|<@&\d|<@\d/);
    expect(escapeDiscordMarkdown('**bold** [x](https://e.com) `c`')).toBe('\\*\\*bold\\*\\* \\[x\\]\\(https://e.com\\) \\`c\\`');
  });

  it('Twitch: one plain line of at most 500 characters that never starts with a chat command', () => {
    const parts = renderTwitch('/ban someone\nnow\r\n' + 'y'.repeat(700));
    expect(parts[0]!.startsWith('/')).toBe(false);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(500);
      expect(p).not.toMatch(/[\r\n]/);
    }
    expect(renderTwitch('.timeout x 10')[0]).toBe('timeout x 10');
  });
});
