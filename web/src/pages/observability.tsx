import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { listOf } from '../api.js';
import { LineChart } from '../components/chart.js';
import { NotYet, Page, useResource } from '../ui.js';

interface Point { t?: number; at?: number; time?: number; ts?: number; requests?: number; rate?: number; count?: number; rps?: number; p50?: number; p95?: number; p99?: number; latency?: { p50?: number; p95?: number; p99?: number } }

const num = (...vs: Array<number | undefined>) => vs.find((v) => typeof v === 'number') ?? 0;

/** Request rate and p50/p95/p99 latency over time, from GET /api/observability; refreshes every 10 s. */
export function ObservabilityPage(): JSX.Element {
  const res = useResource<unknown>('/api/observability');
  useEffect(() => {
    const timer = setInterval(res.reload, 10_000);
    return () => clearInterval(timer);
  }, [res.reload]);
  if (res.missing) return <Page title="Observability"><NotYet what="Observability arrives with the identity work; this server does not offer it yet." /></Page>;
  const data = res.data as { series?: unknown; points?: unknown; buckets?: unknown } | undefined;
  const points = listOf<Point>(data?.series ?? data?.points ?? data?.buckets ?? data);
  const times = points.map((p) => num(p.t, p.at, p.time, p.ts));
  return (
    <Page title="Observability">
      {res.error && <NotYet what={res.error} />}
      {points.length === 0 && !res.error && <p>No requests recorded yet.</p>}
      {points.length > 0 && (
        <div class="charts">
          <LineChart title="Request rate" unit="requests" times={times} series={[{ label: 'requests', class: 's1', values: points.map((p) => num(p.requests, p.rate, p.rps, p.count)) }]} />
          <LineChart title="Latency" unit="ms" times={times} series={[
            { label: 'p50', class: 's1', values: points.map((p) => num(p.p50, p.latency?.p50)) },
            { label: 'p95', class: 's2', values: points.map((p) => num(p.p95, p.latency?.p95)) },
            { label: 'p99', class: 's3', values: points.map((p) => num(p.p99, p.latency?.p99)) },
          ]} />
        </div>
      )}
    </Page>
  );
}
