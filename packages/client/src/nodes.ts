import type { NodeJoinCommand, SwarmNode } from '@plat/core';
import type { Transport } from './transport.js';

const nodePath = (node: string, action: string) => `/v1/nodes/${encodeURIComponent(node)}/actions/${action}`;

/** The Swarm's servers (PLAT_RUNTIME=swarm), for admins only. */
export function nodesResource(http: Transport) {
  return {
    /** Managers first; this Plat's dynos counted on each. */
    list: (): Promise<SwarmNode[]> => http.request('GET', '/v1/nodes'),
    /** By hostname or id: Swarm moves the node's dynos elsewhere and places none there. */
    drain: (node: string): Promise<SwarmNode> => http.request('POST', nodePath(node, 'drain')),
    /** By hostname or id: Swarm may place dynos on the node again. */
    activate: (node: string): Promise<SwarmNode> => http.request('POST', nodePath(node, 'activate')),
    /** `docker swarm join --token ... MANAGER:2377`, to run on a new server. */
    joinCommand: (): Promise<NodeJoinCommand> => http.request('GET', '/v1/nodes/join-command'),
  };
}
