import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { activateNode, drainNode, listNodes, showJoinCommand } from './manage.js';

/** index.ts's `command`: a command with its description and examples. */
type Define = (spec: string, description: string, ...examples: string[]) => Command;

const JSON_FLAG = ['--json', 'output as JSON'] as const;

/** The nodes commands (PLAT_RUNTIME=swarm, admins only), registered from index.ts. */
export function registerNodeCommands(command: Define, context: CommandContext): void {
  command(
    'nodes',
    "list the swarm's servers: role, state, availability and this Plat's dynos on each (admins only)",
    'plat nodes',
    'plat nodes --json',
  )
    .option(...JSON_FLAG)
    .action((o) => listNodes(o, context));
  command(
    'nodes:drain <node>',
    'move the dynos off a node (hostname or id) and place none there, e.g. before maintenance (admins only)',
    'plat nodes:drain node-b',
  )
    .option(...JSON_FLAG)
    .action((node, o) => drainNode(node, o, context));
  command(
    'nodes:activate <node>',
    'let Swarm place dynos on a drained node again (admins only)',
    'plat nodes:activate node-b',
  )
    .option(...JSON_FLAG)
    .action((node, o) => activateNode(node, o, context));
  command(
    'nodes:join-command',
    'print what adds a server as a worker: the registry trust files (off loopback), then `docker swarm join` (admins)',
    'plat nodes:join-command',
    'plat nodes:join-command | ssh root@node-c sh',
  )
    .option(...JSON_FLAG)
    .action((o) => showJoinCommand(o, context));
}
