import type { SwarmNode } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { emit } from '../../output.js';
import { table } from '../../present.js';
import { withProgress } from '../../progress.js';

/** `docker node ls` as Plat sees it: one row a node, the leader marked, this Plat's dynos on each. */
export function nodeLines(nodes: SwarmNode[]): string[] {
  return table(
    ['Host', 'Role', 'State', 'Availability', 'Dynos'],
    nodes.map((node) => [
      node.hostname || node.id,
      node.leader ? `${node.role} (leader)` : node.role,
      node.state,
      node.availability,
      String(node.dynos),
    ]),
  );
}

/** `plat nodes` (admins only, PLAT_RUNTIME=swarm). */
export async function listNodes(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const nodes = await context.client().nodes.list();
  emit(context.output, options.json, nodes, () => nodeLines(nodes));
}

/** `plat nodes:drain NODE`: Swarm moves the node's dynos to the other nodes and places none there. */
export async function drainNode(node: string, options: { json?: boolean }, context: CommandContext): Promise<void> {
  const client = context.client();
  const drained = await withProgress(
    context,
    `Draining ${node}`,
    () => client.nodes.drain(node),
    (result) => `done (${result.hostname}: ${result.availability})`,
  );
  if (options.json) return emit(context.output, true, drained, () => []);
  // Swarm drains the last node too: its dynos then wait for a node, and the apps are down.
  const others = (await client.nodes.list()).filter(
    (other) => other.id !== drained.id && other.availability === 'active' && other.state === 'ready',
  );
  emit(context.output, false, drained, () =>
    others.length > 0
      ? [`Swarm moves its dynos to the other nodes (plat nodes shows them); plat nodes:activate ${node} takes it back.`]
      : [
          'No other node is active and ready: its dynos are stopped and wait for one.',
          `plat nodes:activate ${node} takes it back; plat nodes:join-command adds a worker.`,
        ],
  );
}

/** `plat nodes:activate NODE`: Swarm may place dynos on the node again (running ones stay where they are). */
export async function activateNode(node: string, options: { json?: boolean }, context: CommandContext): Promise<void> {
  const activated = await withProgress(
    context,
    `Activating ${node}`,
    () => context.client().nodes.activate(node),
    (result) => `done (${result.hostname}: ${result.availability})`,
  );
  emit(context.output, options.json, activated, () => [
    'New dynos and restarts may land there; running dynos are not moved back.',
  ]);
}

/**
 * `plat nodes:join-command`: a script for the new server on stdout, nothing
 * else, so `plat nodes:join-command | ssh root@node-c sh` runs it there:
 * on stdin, so the client key and the join token are in no ssh or shell
 * argv, which ps shows on both machines. With a registry off loopback, the
 * files that make its Docker trust and be admitted by the registry first,
 * then the join.
 */
export async function showJoinCommand(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const join = await context.client().nodes.joinCommand();
  emit(context.output, options.json, join, () =>
    join.registry_trust
      ? [
          "# The registry's CA and client certificate (mutual TLS), then the join. " +
            'Pipe it, never pass it as an argument: plat nodes:join-command | ssh root@NODE sh',
          join.registry_trust.trimEnd(),
          join.command,
        ]
      : [join.command],
  );
}
