import { api, setCsrfToken } from './api.js';

export interface Me {
  id: string;
  name: string;
  role: 'owner' | 'admin' | 'member';
}

interface SessionAnswer {
  user?: Me;
  csrfToken?: string;
  session?: { csrfToken?: string };
}

/** Takes the user and CSRF token from a login, setup or session answer. */
export function adoptSession(answer: SessionAnswer | undefined): Me | null {
  setCsrfToken(answer?.csrfToken ?? answer?.session?.csrfToken);
  return answer?.user ?? null;
}

/** Who is signed in (null when nobody); also picks up the CSRF token. */
export async function loadSession(): Promise<Me | null> {
  try {
    return adoptSession(await api<SessionAnswer>('GET', '/api/auth/session'));
  } catch {
    setCsrfToken(undefined);
    return null;
  }
}

/** Signs in with a name and password. */
export async function login(name: string, password: string): Promise<Me | null> {
  const answer = await api<SessionAnswer>('POST', '/api/auth/login', { name, password });
  return adoptSession(answer) ?? (await loadSession());
}

/** Ends this session on the server. */
export async function logout(): Promise<void> {
  await api('POST', '/api/auth/logout', {});
  setCsrfToken(undefined);
}

export const isAdmin = (me: Me | null): boolean => me?.role === 'admin' || me?.role === 'owner';
