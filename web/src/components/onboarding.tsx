import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, listOf } from '../api.js';
import { Link } from '../router.js';

interface Progress {
  provider: boolean;
  familiar: boolean;
  chat: boolean;
}

/** After setup, until done: add a provider, create a familiar, start a chat (asked again on every page change). */
export function Onboarding(props: { path: string }): JSX.Element | null {
  const [progress, setProgress] = useState<Progress | null>(null);
  useEffect(() => {
    let live = true;
    const has = (path: string) =>
      api('GET', path).then(
        (r) => listOf(r).length > 0,
        () => true, // an API this server lacks is not a step left undone
      );
    void Promise.all([has('/api/providers'), has('/api/familiars'), has('/api/conversations?limit=1')]).then(
      ([provider, familiar, chat]) => live && setProgress({ provider, familiar, chat }),
    );
    return () => void (live = false);
  }, [props.path]);
  if (!progress || (progress.provider && progress.familiar && progress.chat)) return null;
  const step = (done: boolean, href: string, label: string) => (
    <li class={done ? 'done' : undefined}>
      <span class="sr-only">{done ? 'Done: ' : 'To do: '}</span>
      {done ? label : <Link href={href}>{label}</Link>}
    </li>
  );
  return (
    <section class="onboarding" aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">Getting started</h2>
      <ol>
        {step(progress.provider, '/providers', 'Add a model provider')}
        {step(progress.familiar, '/familiars', 'Create a familiar')}
        {step(progress.chat, '/chat', 'Start a chat')}
      </ol>
    </section>
  );
}
