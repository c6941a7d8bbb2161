import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';

/** A shell command waiting for the owner, as /api/approvals shows it (EXEC-1). */
export interface Approval {
  id: string;
  /** Absent in the requester's own view: only the owner can decide. */
  nonce?: string;
  command: string;
  commandHash: string;
  reasons: readonly string[];
  familiarId: string;
  userId: string;
  conversationId: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Server-Sent Events from `url`: the latest `{ approvals }` frame of `event`, live (the server sends
 * one whenever the set changes, on any replica). EventSource reconnects by itself after a drop;
 * `null` until the first frame, or when the stream is refused.
 */
export function useApprovalStream(url: string | null, event: 'approvals' | 'waiting'): Approval[] | null {
  const [list, setList] = useState<Approval[] | null>(null);
  useEffect(() => {
    if (!url) return;
    setList(null);
    const source = new EventSource(url, { withCredentials: true });
    const onFrame = (e: MessageEvent<string>) => {
      try {
        const body = JSON.parse(e.data) as { approvals?: Approval[] };
        setList(Array.isArray(body.approvals) ? body.approvals : []);
      } catch {
        /* a damaged frame is skipped; the next one replaces it */
      }
    };
    source.addEventListener(event, onFrame as EventListener);
    return () => {
      source.removeEventListener(event, onFrame as EventListener);
      source.close();
    };
  }, [url, event]);
  return list;
}

/** The owner's decision, bound to the request by its nonce and to the exact command by its hash. */
export function decideApproval(a: Approval, decision: 'approve' | 'deny'): Promise<unknown> {
  return api('POST', `/api/approvals/${encodeURIComponent(a.id)}`, { nonce: a.nonce, decision, commandHash: a.commandHash });
}

/** Seconds left before a request expires (0 when over), ticking once a second. */
export function useSecondsLeft(expiresAt: number): number {
  const left = () => Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
  const [seconds, setSeconds] = useState(left);
  useEffect(() => {
    const timer = setInterval(() => setSeconds(left()), 1000);
    return () => clearInterval(timer);
  }, [expiresAt]);
  return seconds;
}
