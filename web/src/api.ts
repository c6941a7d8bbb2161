/** The one way the app talks to Hearth: same-origin fetch, JSON, CSRF header on state changes. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;

/** Remembers the session's CSRF token (from login or GET /api/auth/session). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Told when the session turned out to be gone (expired or revoked): the app then asks to sign in again. */
const expiredListeners = new Set<() => void>();
export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener);
  return () => void expiredListeners.delete(listener);
}
let checking: Promise<void> | undefined;
/**
 * A 401 while signed in: asks the server whether the session still stands (a wrong service key or
 * a spent reset link is a 401 too, and must not sign anybody out); when it does not, tells the app.
 */
function checkSession(): void {
  if (!csrfToken || checking) return;
  checking = fetch('/api/auth/session', { headers: { accept: 'application/json' }, credentials: 'same-origin' })
    .then(async (r) => {
      const body = r.ok ? ((await r.json()) as { user?: unknown }) : {};
      if (!body.user) {
        csrfToken = undefined;
        for (const l of expiredListeners) l();
      }
    })
    .catch(() => undefined)
    .finally(() => (checking = undefined));
}

/** Headers every state-changing request carries. */
export function writeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}), ...extra };
}

/** Turns a failed response into an ApiError with a message a person can act on. */
export async function errorFrom(response: Response): Promise<ApiError> {
  let code = 'HTTP_' + response.status;
  let message = response.statusText || 'Request failed';
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } | string; code?: string; message?: string };
    const err = typeof body.error === 'object' && body.error ? body.error : body;
    if (typeof err.code === 'string') code = err.code;
    if (typeof err.message === 'string') message = err.message;
    else if (typeof body.error === 'string') message = body.error;
  } catch {
    /* not JSON */
  }
  if (response.status === 401) checkSession();
  const retry = Number(response.headers.get('retry-after'));
  if (response.status === 429) message = `Slow down: ${message}${retry > 0 ? ` (try again in ${retry} s)` : ''}`;
  return new ApiError(response.status, code, message, retry > 0 ? retry : undefined);
}

/** Calls a JSON API; throws ApiError on any non-2xx answer. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const safe = method === 'GET' || method === 'HEAD';
  const headers: Record<string, string> = { accept: 'application/json', ...(safe ? {} : writeHeaders()) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

/** Lists come back either as an array or as `{ items: [...] }` (or another single array field). */
export function listOf<T>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) if (Array.isArray(v)) return v as T[];
  }
  return [];
}

/** A readable message for anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong';
}
