import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A tiny History API router: paths like /chat, /familiars; the server answers index.html for all. */
const listeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  for (const l of listeners) l();
}

window.addEventListener('popstate', () => {
  for (const l of listeners) l();
});

/** A same-origin path to return to after signing in, or null (never another origin: `//x`, `/\\x`, schemes). */
export function safeNext(raw: string | null): string | null {
  if (!raw || !/^\/(?![/\\])[^\s]*$/.test(raw) || raw.startsWith('/login')) return null;
  return raw;
}

/** The current path; re-renders on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = () => setPath(window.location.pathname);
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return path;
}

/** An in-app link that keeps normal link behaviour (new tab, keyboard) but navigates in place. */
export function Link(props: { href: string; children: ComponentChildren; class?: string; current?: boolean }): JSX.Element {
  const onClick = (e: MouseEvent) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} onClick={onClick} aria-current={props.current ? 'page' : undefined}>
      {props.children}
    </a>
  );
}
