/** Metrics: memory (with each process type's limit) and CPU per process type, last hour or day, with uPlot. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ErrorText, Loading } from './common.js';
import { type ChartData, chartData, formatBytes } from './format.js';
import { useLoad } from './hooks.js';
import { useTicks } from './live.js';
import { useSession } from './session.js';

const COLOURS = ['#4b3fa0', '#d9480f', '#2b8a3e', '#1971c2', '#c2255c', '#5f3dc4'];
const RANGES = { '1h': { since: '1h', step: 10 }, '24h': { since: '24h', step: 300 } } as const;

export function MetricsView({ app }: { app: string }) {
  const { client } = useSession();
  const ticks = useTicks();
  const [range, setRange] = useState<keyof typeof RANGES>('1h');
  // Samples come every 10 s; reload on a timer as well as on dyno changes.
  const [minute, setMinute] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setMinute((m) => m + 1), 30_000);
    return () => clearInterval(timer);
  }, []);
  const metrics = useLoad(() => client.metrics(app, RANGES[range]), [app, range, ticks.dyno, minute]);
  const charts = useMemo(() => {
    const series = metrics.data?.series.filter((s) => s.points.length > 0) ?? [];
    return series.length ? { memory: chartData(series, 'memory'), cpu: chartData(series, 'cpu') } : undefined;
  }, [metrics.data]);
  return (
    <section aria-labelledby="metrics-heading" class="stack">
      <h2 id="metrics-heading">Metrics</h2>
      <fieldset class="toolbar">
        <legend class="visually-hidden">Time range</legend>
        {(Object.keys(RANGES) as (keyof typeof RANGES)[]).map((name) => (
          <label key={name} class="radio">
            <input type="radio" name="range" checked={range === name} onChange={() => setRange(name)} />
            {name === '1h' ? 'Last hour' : 'Last 24 hours'}
          </label>
        ))}
      </fieldset>
      <ErrorText error={metrics.error} />
      {!metrics.data && !metrics.error ? (
        <Loading what="metrics" />
      ) : !charts ? (
        <p>No metrics yet: they are sampled every 10 seconds while dynos run.</p>
      ) : (
        <>
          <Chart title="Memory" data={charts.memory} unit="bytes" />
          <Chart title="CPU" data={charts.cpu} unit="percent" />
        </>
      )}
    </section>
  );
}

function formatValue(value: number | null, unit: 'bytes' | 'percent'): string {
  if (value === null) return '–';
  return unit === 'bytes' ? formatBytes(value) : `${value.toFixed(1)} %`;
}

function Chart({ title, data, unit }: { title: string; data: ChartData; unit: 'bytes' | 'percent' }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const format = (value: number | null) => formatValue(value, unit);
    const lines = data.lines.map((line, i) => ({ ...line, colour: COLOURS[i % COLOURS.length]! }));
    const limits =
      unit === 'bytes'
        ? lines
            .filter((line) => data.limits[line.name])
            .map((line) => ({ name: `${line.name} limit`, colour: line.colour, value: data.limits[line.name]! }))
        : [];
    const marks = [
      ...data.restarts.map((at) => ({ at, colour: '#e03131' })),
      ...(unit === 'bytes' ? data.overLimit.map((at) => ({ at, colour: '#f08c00' })) : []),
    ];
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: 220,
      series: [
        {},
        ...lines.map((line) => ({
          label: line.name,
          stroke: line.colour,
          width: 2,
          value: (_: uPlot, v: number | null) => format(v),
        })),
        ...limits.map((limit) => ({
          label: limit.name,
          stroke: limit.colour,
          dash: [6, 4],
          width: 1,
          value: (_: uPlot, v: number | null) => format(v),
        })),
      ],
      axes: [{}, { values: (_: uPlot, ticks: number[]) => ticks.map(format), size: 70 }],
      scales:
        unit === 'bytes'
          ? { y: { range: (_u, _min, max) => [0, Math.max(max, ...limits.map((l) => l.value)) * 1.05] } }
          : {},
      hooks: {
        // Restarts (red) and memory over the limit (R14, orange) as vertical marks.
        draw: [
          (chart: uPlot) => {
            const { ctx } = chart;
            const { top, height } = chart.bbox;
            for (const mark of marks) {
              const x = Math.round(chart.valToPos(mark.at, 'x', true));
              ctx.save();
              ctx.strokeStyle = mark.colour;
              ctx.lineWidth = 2;
              ctx.beginPath();
              ctx.moveTo(x, top);
              ctx.lineTo(x, top + height);
              ctx.stroke();
              ctx.restore();
            }
          },
        ],
      },
    };
    const values: uPlot.AlignedData = [
      data.times,
      ...lines.map((line) => line.values),
      ...limits.map((limit) => data.times.map(() => limit.value)),
    ];
    const chart = new uPlot(options, values, element);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(280, element.clientWidth), height: 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [data, unit]);
  const summary = data.lines
    .map((line) => {
      const last = [...line.values].reverse().find((v) => v !== null);
      return `${line.name}: ${formatValue(last ?? null, unit)}`;
    })
    .join(', ');
  return (
    <figure class="chart">
      <figcaption>
        <h3>{title}</h3>
        <span class="muted">
          {`Now ${summary}.`}
          {data.restarts.length > 0 ? ` ${data.restarts.length} restart(s) marked in red.` : ''}
          {unit === 'bytes' && data.overLimit.length > 0 ? ` Over the limit (R14) marked in orange.` : ''}
        </span>
      </figcaption>
      <div ref={box} role="img" aria-label={`${title} per process type: ${summary}`} />
    </figure>
  );
}
