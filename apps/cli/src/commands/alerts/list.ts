import type { CommandContext } from '../../context.js';
import { emit } from '../../output.js';
import { ago, header, table } from '../../present.js';

/**
 * `plat alerts`: open alerts of your apps (or of one, with -a) and of the
 * platform; `--all` adds those resolved in the last 30 days.
 */
export async function listAlerts(
  options: { app?: string; all?: boolean; json?: boolean },
  context: CommandContext,
): Promise<void> {
  // No git-remote guess here: without -a, every app of yours.
  const alerts = await context.client().alerts.list({
    ...(options.app ? { app: options.app } : {}),
    ...(options.all ? { all: true } : {}),
  });
  const scope = options.app ?? 'your apps';
  emit(context.output, options.json, alerts, () =>
    alerts.length === 0
      ? [options.all ? `No alerts for ${scope}.` : `No open alerts for ${scope}.`]
      : [
          header(options.all ? `Alerts of ${scope}` : `Open alerts of ${scope}`, context.output.colors),
          ...table(
            ['App', 'Kind', 'Subject', 'State', 'Opened', 'Message'],
            alerts.map((alert) => [
              alert.app?.name ?? '(platform)',
              alert.kind,
              alert.subject,
              alert.resolved_at ? `resolved ${ago(alert.resolved_at)}` : alert.state,
              ago(alert.opened_at),
              alert.message,
            ]),
          ),
        ],
  );
}
