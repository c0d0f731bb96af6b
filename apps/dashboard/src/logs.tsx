/** Logs: the live tail (GET /v1/apps/:app/log-stream, SSE), filtered by source and dyno, paused and resumed. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorText } from './common.js';
import { logText } from './format.js';
import { describeError, useSession } from './session.js';
import { reconnectDelay, sseMessages } from './stream.js';

interface LogLine {
  at: string;
  source: string;
  dyno?: string | null;
  line: string;
}

/** Lines kept on the page: enough to scroll back, bounded so a chatty app cannot fill the tab's memory. */
const KEEP = 1000;
const SOURCES = ['', 'app', 'router', 'plat', 'build'];

export function Logs({ app }: { app: string }) {
  const session = useSession();
  const [source, setSource] = useState('');
  const [dyno, setDyno] = useState('');
  const [paused, setPaused] = useState(false);
  const [lines, setLines] = useState<(LogLine & { n: number })[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const held = useRef<LogLine[]>([]);
  // The notice's count: a ref alone would not re-render as held lines come.
  const [heldCount, setHeldCount] = useState(0);
  const counter = useRef(0);
  const box = useRef<HTMLDivElement>(null);

  const append = (incoming: LogLine[]) =>
    setLines((old) => [...old, ...incoming.map((line) => ({ ...line, n: counter.current++ }))].slice(-KEEP));

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLines([]);
    held.current = [];
    setHeldCount(0);
    const query = new URLSearchParams({ lines: '100' });
    if (source) query.set('source', source);
    if (/^[A-Za-z0-9_-]{1,30}(\.\d{1,5})?$/.test(dyno)) query.set('dyno', dyno);
    const path = `/v1/apps/${encodeURIComponent(app)}/log-stream?${query}`;
    const connect = async (attempt: number) => {
      try {
        for await (const message of sseMessages(path, session.token, abort.signal)) {
          if (message.event !== 'log') continue;
          setError(undefined);
          const line = JSON.parse(message.data) as LogLine;
          if (pausedRef.current) {
            // Bounded like the page: a long pause on a chatty app keeps the newest lines.
            held.current.push(line);
            if (held.current.length > KEEP) held.current.splice(0, held.current.length - KEEP);
            setHeldCount(held.current.length);
          } else append([line]);
        }
      } catch (failure) {
        if (abort.signal.aborted) return;
        const { message, unauthorized } = describeError(failure);
        if (unauthorized) return session.expire(message);
        setError(message);
      }
      if (abort.signal.aborted) return;
      timer = setTimeout(() => void connect(attempt + 1), reconnectDelay(attempt));
    };
    void connect(0);
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [app, source, dyno, session]);

  // Follow the tail while the reader is at the bottom.
  useEffect(() => {
    const element = box.current;
    if (element && element.scrollHeight - element.scrollTop - element.clientHeight < 80)
      element.scrollTop = element.scrollHeight;
  }, [lines]);

  const resume = () => {
    append(held.current);
    held.current = [];
    setHeldCount(0);
    setPaused(false);
  };

  return (
    <section aria-labelledby="logs-heading" class="logs">
      <h2 id="logs-heading">Logs</h2>
      <div class="toolbar">
        <label>
          Source
          <select value={source} onChange={(event) => setSource(event.currentTarget.value)}>
            {SOURCES.map((name) => (
              <option key={name} value={name}>
                {name || 'all'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Dyno
          <input
            type="text"
            placeholder="web.1 or web"
            value={dyno}
            onChange={(event) => setDyno(event.currentTarget.value.trim())}
          />
        </label>
        {paused ? (
          <button type="button" onClick={resume}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={() => setPaused(true)}>
            Pause
          </button>
        )}
        <button type="button" class="secondary" onClick={() => setLines([])}>
          Clear
        </button>
      </div>
      <ErrorText error={error} />
      <div class="log" ref={box} role="log" aria-live="off" aria-label={`Log of ${app}`}>
        {lines.length === 0 ? <span class="muted">Waiting for log lines…</span> : null}
        {lines.map((line) => (
          <div key={line.n} class={`log-line source-${line.source}`}>
            {logText(line)}
          </div>
        ))}
      </div>
      {paused && (
        <p class="muted" role="status">
          {`Paused: ${heldCount} new ${heldCount === 1 ? 'line' : 'lines'} held.`}
        </p>
      )}
    </section>
  );
}
