import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { createApp } from './apps/create.js';
import { appInfo, gitRemote, openApp } from './apps/info.js';
import { listApps } from './apps/list.js';
import { login, logout, whoami } from './login.js';

/** Every command, in one place: name, flags, examples, and the function it runs. */
export function registerCommands(program: Command, context: CommandContext): void {
  const appOption = ['-a, --app <name>', 'app to run the command against (default: the "platform" git remote)'] as const;

  program
    .command('login')
    .description('log in to a Plat API with a token')
    .option('--api-url <url>', 'Plat API URL, e.g. http://127.0.0.1:5000')
    .option('--token <token>', 'API token (platd prints the admin token at start)')
    .addHelpText('after', '\nExample:\n  $ plat login --api-url http://127.0.0.1:5000 --token plat_...')
    .action((options) => login(options, context));
  program.command('logout').description('forget the stored credentials').action((options) => logout(options, context));
  program.command('whoami').description('show the logged-in user').action((options) => whoami(options, context));

  program
    .command('apps')
    .description('list your apps')
    .option('--json', 'output as JSON')
    .action((options) => listApps(options, context));
  program
    .command('apps:create [name]')
    .description('create an app and add the "platform" git remote here')
    .option('--json', 'output as JSON')
    .option('--no-remote', 'do not add a git remote')
    .addHelpText('after', '\nExample:\n  $ plat apps:create hello && git push platform main')
    .action((name, options) => createApp(name, options, context));
  program
    .command('apps:info')
    .description('show an app')
    .option(...appOption)
    .option('--json', 'output as JSON')
    .action((options) => appInfo(options, context));
  program
    .command('open')
    .description("print the app's URL")
    .option(...appOption)
    .action((options) => openApp(options, context));
  program
    .command('git:remote')
    .description('add the "platform" git remote for an app here')
    .option(...appOption)
    .action((options) => gitRemote(options, context));
}
