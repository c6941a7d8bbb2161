import type { JSX } from 'preact';

/** A familiar's initials on one of eight colours picked from its name (classes, not inline styles: the CSP). */
export function Avatar(props: { name: string; size?: 'small' | 'large' }): JSX.Element {
  const initials =
    props.name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => [...w][0]?.toUpperCase() ?? '')
      .join('') || '?';
  let hash = 0;
  for (const ch of props.name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return (
    <span class={`avatar hue-${hash % 8}${props.size === 'large' ? ' large' : ''}`} aria-hidden="true">
      {initials}
    </span>
  );
}
