import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { retryUploads, setTarget, showTarget, unsetTarget } from './target.js';

/** index.ts's `command`: a command with its description and examples. */
type Define = (spec: string, description: string, ...examples: string[]) => Command;

const JSON_FLAG = ['--json', 'output as JSON'] as const;

/** The backups:target commands (backups kept off the server with restic, admins only), registered from index.ts. */
export function registerBackupTargetCommands(command: Define, context: CommandContext): void {
  command(
    'backups:target',
    "show where backups are kept off the server, their uploads, and platd's SSH key for it (admins only)",
    'plat backups:target',
  )
    .option(...JSON_FLAG)
    .action((o) => showTarget(o, context));
  command(
    'backups:target:set <url>',
    'copy every backup to a restic repository: sftp:user@host:/path or a local path (admins only)',
    'plat backups:target  # add the SSH key it prints to the target first',
    'plat backups:target:set sftp:backup@vault.example.com:/srv/plat --keep-daily 7 --keep-weekly 4',
    'plat backups:target:set /mnt/usb/plat-backups --password "$RESTIC_PASSWORD"',
  )
    .option('--password <password>', "an existing repository's password (else a new repository and password are made)")
    .option('--keep-daily <n>', 'daily snapshots kept per add-on (default 7)')
    .option('--keep-weekly <n>', 'weekly snapshots kept per add-on (default 4)')
    .option('--keep-monthly <n>', 'monthly snapshots kept per add-on (default 0)')
    .option(...JSON_FLAG)
    .action((url, o) => setTarget(url, o, context));
  command('backups:target:unset', 'stop copying backups off the server (admins only)').action(() =>
    unsetTarget(context),
  );
  command(
    'backups:target:retry',
    'upload now every backup that is not on the target, failed ones included (admins only)',
  ).action(() => retryUploads(context));
}
