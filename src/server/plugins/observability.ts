import { AppError, type Gauge, type HearthApp } from '../../core/index.js';
import { policy } from '../policy.js';

const WINDOW_SIZE = 1000;

interface RouteStats {
  count: number;
  ok: number;
  /** The latest WINDOW_SIZE durations (ms), a ring. */
  durations: number[];
  next: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, i)]! * 100) / 100;
}

/**
 * The Prometheus registry, the two HTTP metrics and the plugins' gauges (each read at scrape
 * time); prom-client (~10 MB) loads only when they can be read.
 */
async function prometheusMetrics(gauges: () => readonly Gauge[], replica: string | undefined) {
  const { Counter, Gauge: PromGauge, Histogram, Registry, collectDefaultMetrics } = await import('prom-client');
  const registry = new Registry();
  // Every series carries the replica, so a scrape of each replica (or a sum over them) stays apart.
  if (replica) registry.setDefaultLabels({ replica });
  collectDefaultMetrics({ register: registry });
  const registered = new Set<string>();
  // Plugins contribute gauges as they start, so new ones are picked up at each scrape.
  const registerGauges = () => {
    for (const gauge of gauges()) {
      if (registered.has(gauge.name)) continue;
      registered.add(gauge.name);
      new PromGauge({
        name: gauge.name,
        help: gauge.help,
        registers: [registry],
        async collect() {
          this.set(await gauge.read());
        },
      });
    }
  };
  const requests = new Counter({
    name: 'hearth_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'hearth_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  return { registry, requests, duration, registerGauges };
}

/**
 * HTTP-7: per-route counts, success rates and p50/p95/p99 over the latest 1,000 requests
 * (GET /api/observability) and Prometheus metrics (GET /metrics); both need the service key, so
 * without one (`prometheus` false) /metrics answers 503 and prom-client is never loaded.
 */
export async function registerObservability(
  app: HearthApp,
  options: { prometheus: boolean; gauges: () => readonly Gauge[]; replica?: string | undefined },
): Promise<void> {
  const prometheus = options.prometheus ? await prometheusMetrics(options.gauges, options.replica) : undefined;
  const stats = new Map<string, RouteStats>();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const key = `${request.method} ${route}`;
    const ms = reply.elapsedTime;
    prometheus?.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    prometheus?.duration.observe({ method: request.method, route }, ms / 1000);
    let s = stats.get(key);
    if (!s) stats.set(key, (s = { count: 0, ok: 0, durations: [], next: 0 }));
    s.count++;
    if (reply.statusCode < 400) s.ok++;
    if (s.durations.length < WINDOW_SIZE) s.durations.push(ms);
    else s.durations[s.next] = ms;
    s.next = (s.next + 1) % WINDOW_SIZE;
  });
  app.get('/api/observability', { config: { policy: policy.service() } }, async () => ({
    window: WINDOW_SIZE,
    routes: [...stats.entries()].map(([route, s]) => {
      const sorted = [...s.durations].sort((a, b) => a - b);
      return {
        route,
        count: s.count,
        successRate: s.count ? s.ok / s.count : 1,
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
        p99Ms: percentile(sorted, 99),
      };
    }),
  }));
  app.get('/metrics', { config: { policy: policy.service() } }, async (_request, reply) => {
    // Unreachable without the service key (the policy answers 503 first).
    if (!prometheus) throw new AppError('UNAVAILABLE', 'Metrics need HEARTH_SERVICE_KEY');
    prometheus.registerGauges();
    void reply.header('content-type', prometheus.registry.contentType);
    return prometheus.registry.metrics();
  });
}
