/** A tiny memory trend for the apps list: SVG, no chart library. */
import { sparklinePoints } from './format.js';

export function Sparkline(props: { values: (number | null)[]; label: string }) {
  const points = sparklinePoints(props.values, 100, 24);
  if (!points) return <span class="muted">No metrics yet</span>;
  return (
    <svg class="sparkline" viewBox="0 0 100 24" preserveAspectRatio="none" role="img" aria-label={props.label}>
      <polyline
        points={points}
        fill="none"
        stroke="currentColor"
        stroke-width="1.5"
        vector-effect="non-scaling-stroke"
      />
    </svg>
  );
}
