import type { JSX } from 'preact';
import { listOf } from '../api.js';
import { NotYet, Page, useResource, when } from '../ui.js';

interface Row { id: string; channel?: string; code?: string; name?: string; tool?: string; status?: string; createdAt?: number }

function Listing(props: { title: string; path: string; later: string }): JSX.Element {
  const res = useResource<unknown>(props.path);
  if (res.missing || res.error) return <Page title={props.title}><NotYet what={props.later} /></Page>;
  const rows = listOf<Row>(res.data);
  return (
    <Page title={props.title}>
      {rows.length === 0 && <p>Nothing waiting.</p>}
      <ul>{rows.map((r) => <li key={r.id}>{r.channel ?? r.tool ?? ''} {r.name ?? r.code ?? ''} {r.status ?? ''} {when(r.createdAt)}</li>)}</ul>
    </Page>
  );
}

/** Channel pairings (Telegram, Discord, Twitch); the page says so when the API is not here yet. */
export function PairingsPage(): JSX.Element {
  return <Listing title="Pairings" path="/api/pairings" later="Pairings arrive with the channel work (issue 6); this server does not offer them yet." />;
}

/** Tool approvals; the page says so when the API is not here yet. */
export function ApprovalsPage(): JSX.Element {
  return <Listing title="Approvals" path="/api/approvals" later="Approvals arrive with the tool work (issue 8); this server does not offer them yet." />;
}
