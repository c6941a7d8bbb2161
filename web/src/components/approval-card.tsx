import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import { decideApproval, useApprovalStream, useSecondsLeft, type Approval } from '../approvals.js';
import type { Me } from '../session.js';
import './approval-card.css';

/**
 * One shell command waiting for the owner: the whole command (never truncated), why it asks, the
 * time left, and, for the owner, Approve and Deny (EXEC-1). Others see that it waits.
 */
export function ApprovalCard(props: { approval: Approval; canDecide: boolean; onDecided?: (text: string) => void }): JSX.Element {
  const { approval: a } = props;
  const seconds = useSecondsLeft(a.expiresAt);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const decide = async (decision: 'approve' | 'deny') => {
    setBusy(true);
    setError(null);
    try {
      await decideApproval(a, decision);
      props.onDecided?.(decision === 'approve' ? 'Approved: the command runs now.' : 'Denied: nothing runs.');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const titleId = `approval-${a.id}`;
  return (
    <article class="approval-card" aria-labelledby={titleId}>
      <h2 id={titleId} class="approval-title">
        {props.canDecide ? 'A shell command needs your approval' : "Waiting for the owner's approval"}
      </h2>
      <pre class="plain approval-command">
        <code>{a.command}</code>
      </pre>
      {a.reasons.length > 0 && (
        <ul class="approval-reasons">
          {a.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      <p class="approval-time" aria-live="off">
        {seconds > 0 ? `Expires in ${seconds} s.` : 'Expired: nothing ran.'}
      </p>
      {error && (
        <p class="notice error" role="alert">
          {error}
        </p>
      )}
      {props.canDecide && a.nonce && seconds > 0 && (
        <div class="actions">
          <button type="button" class="small" disabled={busy} onClick={() => void decide('approve')}>
            Approve
          </button>
          <button type="button" class="danger small" disabled={busy} onClick={() => void decide('deny')}>
            Deny
          </button>
        </div>
      )}
    </article>
  );
}

/**
 * The chat's live cards for one conversation: the person who asked sees their command waiting;
 * the owner sees Approve/Deny on the same card (their own stream carries the nonces).
 */
export function ApprovalCards(props: { conversationId: string | null; me: Me }): JSX.Element | null {
  const owner = props.me.role === 'owner';
  const id = props.conversationId;
  const mine = useApprovalStream(id ? `/api/approvals/waiting?conversationId=${encodeURIComponent(id)}` : null, 'waiting');
  const all = useApprovalStream(id && owner ? '/api/approvals/events' : null, 'approvals');
  const [info, setInfo] = useState<string | null>(null);
  const decidable = new Map((all ?? []).filter((a) => a.conversationId === id).map((a) => [a.id, a]));
  const shown = [...(mine ?? []).filter((a) => !decidable.has(a.id)), ...decidable.values()];
  if (shown.length === 0 && !info) return null;
  return (
    <section class="approval-cards" aria-label="Shell commands waiting for approval" aria-live="polite">
      {shown.map((a) => (
        <ApprovalCard key={a.id} approval={a} canDecide={owner && decidable.has(a.id)} onDecided={setInfo} />
      ))}
      {info && shown.length === 0 && (
        <p class="notice info" role="status">
          {info}
        </p>
      )}
    </section>
  );
}
