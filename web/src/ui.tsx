import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';

/** An error or notice region that screen readers announce. */
export function Notice(props: { error?: string | null; info?: string | null }): JSX.Element | null {
  if (props.error)
    return (
      <p class="notice error" role="alert">
        {props.error}
      </p>
    );
  if (props.info)
    return (
      <p class="notice info" role="status">
        {props.info}
      </p>
    );
  return null;
}

/** A labelled text field; with `max`, a live length counter announced politely. */
export function Field(props: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  type?: 'text' | 'password' | 'url' | 'email' | 'search';
  max?: number;
  multiline?: boolean;
  required?: boolean;
  autocomplete?: string;
  name?: string;
  placeholder?: string;
}): JSX.Element {
  const id = `f-${(props.name ?? props.label).replace(/\W+/g, '-').toLowerCase()}`;
  const over = props.max !== undefined && props.value.length > props.max;
  const common = {
    id,
    name: props.name ?? id,
    value: props.value,
    required: props.required,
    placeholder: props.placeholder,
    'aria-invalid': over ? ('true' as const) : undefined,
    'aria-describedby': props.max !== undefined ? `${id}-count` : undefined,
    onInput: (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={6} />
      ) : (
        <input {...common} type={(props.type ?? 'text') as 'text'} autocomplete={props.autocomplete} />
      )}
      {props.max !== undefined && (
        <span id={`${id}-count`} class={over ? 'counter over' : 'counter'} aria-live="polite">
          {props.value.length.toLocaleString('en')} / {props.max.toLocaleString('en')}
        </span>
      )}
    </div>
  );
}

/** Loads a resource; `missing` is true when the API does not exist on this server yet (404). */
export function useResource<T>(path: string | null): { data: T | undefined; error: string | null; missing: boolean; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    api<T>('GET', path).then(
      (d) => live && (setData(d), setError(null), setMissing(false)),
      (e: unknown) => {
        if (!live) return;
        const status = (e as { status?: number }).status;
        setMissing(status === 404 || status === 405);
        setError(messageOf(e));
      },
    );
    return () => void (live = false);
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, missing, reload };
}

/** A page heading plus content. */
export function Page(props: { title: string; children: ComponentChildren }): JSX.Element {
  useEffect(() => {
    document.title = `${props.title} · Hearth`;
  }, [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        {props.title}
      </h1>
      {props.children}
    </section>
  );
}

/** Shown when an API this page needs has not landed on this server. */
export function NotYet(props: { what: string }): JSX.Element {
  return (
    <p class="notice info" role="status">
      {props.what}
    </p>
  );
}

/** Formats an epoch-ms or ISO timestamp for people. */
export function when(t: unknown): string {
  if (typeof t !== 'number' && typeof t !== 'string') return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

/** A new password and its repetition, as the account and reset pages ask for it. */
export function NewPasswordFields(props: {
  password: string;
  repeat: string;
  onPassword: (v: string) => void;
  onRepeat: (v: string) => void;
}): JSX.Element {
  return (
    <>
      <Field
        label="New password (at least 12 characters)"
        name="new-password"
        type="password"
        value={props.password}
        onInput={props.onPassword}
        required
        autocomplete="new-password"
      />
      <Field
        label="Repeat the new password"
        name="repeat-password"
        type="password"
        value={props.repeat}
        onInput={props.onRepeat}
        required
        autocomplete="new-password"
      />
    </>
  );
}

/** What is wrong with a new password before the server judges its strength, or null. */
export function newPasswordProblem(password: string, repeat: string): string | null {
  if (password !== repeat) return 'The two new passwords differ.';
  if ([...password].length < 12) return 'Use at least 12 characters for the new password.';
  return null;
}
