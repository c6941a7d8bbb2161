/** Light or dark: the person's choice, remembered in this browser; until they choose, the system's. */
export type Theme = 'light' | 'dark';

const KEY = 'hearth.theme';

function stored(): Theme | null {
  try {
    const v = window.localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

/** The theme in effect now. */
export function currentTheme(): Theme {
  return stored() ?? (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

/** Applies the remembered choice (a data attribute the stylesheet reads; no inline style). */
export function applyStoredTheme(): void {
  const t = stored();
  if (t) document.documentElement.dataset.theme = t;
}

/** Switches and remembers. */
export function setTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  try {
    window.localStorage.setItem(KEY, theme);
  } catch {
    /* private mode: the choice lasts for this page */
  }
}
