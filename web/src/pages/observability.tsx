import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorFrom } from '../api.js';
import { LineChart } from '../components/chart.js';
import { Field, Notice, Page } from '../ui.js';

/** GET /api/observability: per-route counts and latency percentiles over the latest requests. */
interface RouteStats {
  route: string;
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}
interface Sample {
  t: number;
  rate: number;
  p50: number;
  p95: number;
  p99: number;
}

const MAX_SAMPLES = 120;
const POLL_MS = 5_000;

/** Count-weighted percentiles across routes, and the request rate since the previous sample. */
function sampleFrom(
  routes: RouteStats[],
  previous: { t: number; total: number } | null,
  t: number,
): { sample: Sample | null; total: number } {
  const total = routes.reduce((n, r) => n + r.count, 0);
  const weight = (pick: (r: RouteStats) => number) => (total ? routes.reduce((n, r) => n + pick(r) * r.count, 0) / total : 0);
  if (!previous) return { sample: null, total };
  const seconds = Math.max(0.001, (t - previous.t) / 1000);
  return {
    sample: {
      t,
      rate: Math.max(0, total - previous.total) / seconds,
      p50: weight((r) => r.p50Ms),
      p95: weight((r) => r.p95Ms),
      p99: weight((r) => r.p99Ms),
    },
    total,
  };
}

/**
 * Request rate and p50/p95/p99 latency over time, drawn from samples of GET /api/observability
 * taken every 5 s while the page is open. That API needs the operator's service key; it is kept
 * in this tab's memory only and sent as X-Api-Key.
 */
export function ObservabilityPage(): JSX.Element {
  const [serviceKey, setServiceKey] = useState('');
  const [active, setActive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [routes, setRoutes] = useState<RouteStats[]>([]);
  const previous = useRef<{ t: number; total: number } | null>(null);
  const key = useRef('');

  useEffect(() => {
    if (!active) return;
    let live = true;
    const poll = async () => {
      try {
        const response = await fetch('/api/observability', {
          headers: { accept: 'application/json', ...(key.current ? { 'x-api-key': key.current } : {}) },
          credentials: 'same-origin',
        });
        if (!response.ok) throw await errorFrom(response);
        const body = (await response.json()) as { routes?: RouteStats[] };
        if (!live) return;
        const list = body.routes ?? [];
        const t = Date.now();
        const { sample, total } = sampleFrom(list, previous.current, t);
        previous.current = { t, total };
        setRoutes(list);
        setError(null);
        if (sample) setSamples((s) => [...s, sample].slice(-MAX_SAMPLES));
      } catch (e) {
        if (live) setError((e as Error).message);
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [active]);

  const start = (e: Event) => {
    e.preventDefault();
    key.current = serviceKey;
    setServiceKey('');
    previous.current = null;
    setSamples([]);
    setActive(true);
  };
  const times = samples.map((s) => s.t);
  return (
    <Page title="Observability">
      <form onSubmit={start} aria-label="Observability source">
        <p>
          These figures come from <code>GET /api/observability</code>, which needs the operator's service key (HEARTH_SERVICE_KEY). It stays
          in this tab's memory only.
        </p>
        <Field label="Service key" name="service-key" type="password" value={serviceKey} onInput={setServiceKey} autocomplete="off" />
        <button type="submit">{active ? 'Restart' : 'Start'}</button>
      </form>
      <Notice error={error} info={active && samples.length === 0 && !error ? 'Collecting the first samples (every 5 s)…' : null} />
      {samples.length > 0 && (
        <div class="charts">
          <LineChart
            title="Request rate"
            unit="req/s"
            times={times}
            series={[{ label: 'requests', class: 's1', values: samples.map((s) => s.rate) }]}
          />
          <LineChart
            title="Latency"
            unit="ms"
            times={times}
            series={[
              { label: 'p50', class: 's1', values: samples.map((s) => s.p50) },
              { label: 'p95', class: 's2', values: samples.map((s) => s.p95) },
              { label: 'p99', class: 's3', values: samples.map((s) => s.p99) },
            ]}
          />
        </div>
      )}
      {routes.length > 0 && (
        <table tabIndex={0}>
          <caption>Per route (latest requests)</caption>
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">Requests</th>
              <th scope="col">p50 ms</th>
              <th scope="col">p95 ms</th>
              <th scope="col">p99 ms</th>
            </tr>
          </thead>
          <tbody>
            {[...routes]
              .sort((a, b) => b.count - a.count)
              .map((r) => (
                <tr key={r.route}>
                  <td>
                    <code>{r.route}</code>
                  </td>
                  <td>{r.count}</td>
                  <td>{r.p50Ms.toFixed(1)}</td>
                  <td>{r.p95Ms.toFixed(1)}</td>
                  <td>{r.p99Ms.toFixed(1)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
