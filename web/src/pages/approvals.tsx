import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useApprovalStream } from '../approvals.js';
import { ApprovalCard } from '../components/approval-card.js';
import { Notice, Page } from '../ui.js';

const OWNER_STREAM = '/api/approvals/events';

/** Shell commands waiting for the owner, live from every replica: the whole command, why, Approve/Deny (EXEC-1). */
export function ApprovalsPage(): JSX.Element {
  const list = useApprovalStream(OWNER_STREAM, 'approvals');
  const [info, setInfo] = useState<string | null>(null);
  return (
    <Page title="Approvals">
      <Notice info={info} />
      {list === null && <p aria-busy="true">Connecting…</p>}
      {list?.length === 0 && <p>No commands are waiting for approval.</p>}
      <div class="approvals-list">
        {(list ?? []).map((a) => (
          <ApprovalCard key={a.id} approval={a} canDecide onDecided={setInfo} />
        ))}
      </div>
    </Page>
  );
}

/** The live count beside "Approvals" in the navigation (owners only). */
export function ApprovalsBadge(): JSX.Element | null {
  const list = useApprovalStream(OWNER_STREAM, 'approvals');
  const n = list?.length ?? 0;
  if (n === 0) return null;
  return (
    <span class="approval-badge" aria-label={`${n} waiting`}>
      {n}
    </span>
  );
}
