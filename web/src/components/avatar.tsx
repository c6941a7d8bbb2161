import type { JSX } from 'preact';

/** The address of a familiar's uploaded avatar (the hash changes with the picture, so it may be cached), or undefined. */
export function avatarUrl(f: { id: string; avatarHash?: string | null } | undefined): string | undefined {
  return f?.avatarHash ? `/api/familiars/${encodeURIComponent(f.id)}/avatar?v=${encodeURIComponent(f.avatarHash)}` : undefined;
}

/**
 * A familiar's picture when it has one, else its initials on one of eight colours picked from its
 * name (classes, not inline styles: the CSP). Decorative: the name is always next to it.
 */
export function Avatar(props: { name: string; size?: 'small' | 'large'; src?: string | undefined }): JSX.Element {
  const large = props.size === 'large' ? ' large' : '';
  if (props.src) return <img class={`avatar picture${large}`} src={props.src} alt="" aria-hidden="true" decoding="async" />;
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
    <span class={`avatar hue-${hash % 8}${large}`} aria-hidden="true">
      {initials}
    </span>
  );
}
