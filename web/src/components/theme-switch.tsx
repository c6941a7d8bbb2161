import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { currentTheme, setTheme, type Theme } from '../theme.js';

/** One button: switches between light and dark and remembers the choice in this browser. */
export function ThemeSwitch(): JSX.Element {
  const [theme, set] = useState<Theme>(currentTheme());
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      class="secondary theme-switch"
      aria-pressed={theme === 'dark' ? 'true' : 'false'}
      onClick={() => {
        setTheme(next);
        set(next);
      }}
    >
      Dark theme
    </button>
  );
}
