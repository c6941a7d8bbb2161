import type { JSX } from 'preact';

export interface Series {
  label: string;
  /** A CSS class giving the stroke colour (no inline styles under the CSP). */
  class: string;
  values: number[];
}

/** A small SVG line chart with axes; no chart library, no inline styles. */
export function LineChart(props: { title: string; unit: string; times: number[]; series: Series[] }): JSX.Element {
  const W = 600,
    H = 200,
    L = 48,
    B = 24,
    T = 8,
    R = 8;
  const max = Math.max(1, ...props.series.flatMap((s) => s.values.filter(Number.isFinite)));
  const n = props.times.length;
  const x = (i: number) => L + (n <= 1 ? 0 : (i / (n - 1)) * (W - L - R));
  const y = (v: number) => T + (1 - v / max) * (H - T - B);
  const fmt = (t: number | undefined) =>
    t === undefined ? '' : new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const id = props.title.replace(/\W+/g, '-').toLowerCase();
  return (
    <figure class="chart">
      <figcaption id={`${id}-cap`}>{props.title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-cap`} preserveAspectRatio="none">
        <line class="axis" x1={L} y1={H - B} x2={W - R} y2={H - B} />
        <line class="axis" x1={L} y1={T} x2={L} y2={H - B} />
        <text class="tick" x={L - 4} y={T + 10} text-anchor="end">
          {Math.round(max)}
        </text>
        <text class="tick" x={L - 4} y={H - B} text-anchor="end">
          0
        </text>
        <text class="tick" x={L} y={H - 6}>
          {fmt(props.times[0])}
        </text>
        <text class="tick" x={W - R} y={H - 6} text-anchor="end">
          {fmt(props.times[n - 1])}
        </text>
        {props.series.map((s) => (
          <polyline
            key={s.label}
            class={`line ${s.class}`}
            fill="none"
            points={s.values.map((v, i) => `${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : 0).toFixed(1)}`).join(' ')}
          />
        ))}
      </svg>
      <ul class="legend">
        {props.series.map((s) => (
          <li key={s.label}>
            <span class={`swatch ${s.class}`} aria-hidden="true" /> {s.label} ({props.unit}): latest{' '}
            {Math.round(s.values[s.values.length - 1] ?? 0)}
          </li>
        ))}
      </ul>
    </figure>
  );
}
