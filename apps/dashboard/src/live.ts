/**
 * The app's live events (GET /v1/apps/:app/events) as counters per event
 * type: a view that shows releases reloads when `ticks.release` moves.
 * Reconnects with backoff; a 401 ends the session.
 */
import type { AppEvent, AppEventType } from '@plat/core';
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { describeError, type Session } from './session.js';
import { reconnectDelay, sseMessages } from './stream.js';

export type Ticks = Record<AppEventType, number> & { connected: boolean };

const NONE: Ticks = {
  release: 0,
  build: 0,
  formation: 0,
  dyno: 0,
  addon: 0,
  config: 0,
  alert: 0,
  connected: false,
};

export const TicksContext = createContext<Ticks>(NONE);

export function useTicks(): Ticks {
  return useContext(TicksContext);
}

export function useAppEvents(session: Session, app: string): Ticks {
  const [ticks, setTicks] = useState<Ticks>(NONE);
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = async (attempt: number) => {
      try {
        const path = `/v1/apps/${encodeURIComponent(app)}/events`;
        setTicks((t) => ({ ...t, connected: true }));
        for await (const message of sseMessages(path, session.token, abort.signal)) {
          const event = JSON.parse(message.data) as AppEvent;
          attempt = 0;
          setTicks((t) => (event.type in t ? { ...t, [event.type]: t[event.type] + 1 } : t));
        }
      } catch (failure) {
        if (abort.signal.aborted) return;
        const { message, unauthorized } = describeError(failure);
        if (unauthorized) return session.expire(message);
      }
      if (abort.signal.aborted) return;
      // After a gap, whatever changed meanwhile: every view reloads once.
      setTicks((t) => ({
        ...t,
        connected: false,
        release: t.release + 1,
        dyno: t.dyno + 1,
        formation: t.formation + 1,
      }));
      timer = setTimeout(() => void connect(attempt + 1), reconnectDelay(attempt));
    };
    void connect(0);
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [session, app]);
  return ticks;
}
