/** What a live view is told: the kinds of `GET /v1/apps/:app/events`. */
export const APP_EVENT_TYPES = ['release', 'build', 'formation', 'dyno', 'addon', 'config', 'alert'] as const;
export type AppEventType = (typeof APP_EVENT_TYPES)[number];

/** One live event of an app. */
export interface AppEvent {
  /** Grows by one per event of one platd process. */
  seq: number;
  type: AppEventType;
  action: 'create' | 'update' | 'destroy';
  at: string;
  /** The resource as the app webhook of the same event carries it (config: only the changed keys). */
  data: Record<string, unknown>;
}

export const APP_EVENT_DOC =
  'Server-Sent Events (text/event-stream). Each event is `event: TYPE` (release, build, formation, dyno, addon, ' +
  'config, alert) and `data:` JSON `{ "seq", "type", "action", "at", "data" }`, where data is the resource as the ' +
  'app webhook of the same event carries it (config: only the changed keys). A comment line every 15 s keeps ' +
  'the stream alive; a client that reads too slowly is disconnected and should reconnect.';
