import { Type } from '@sinclair/typebox';

/** The Swarm's nodes (PLAT_RUNTIME=swarm), for admins only: `plat nodes`. */

export const NodeSchema = Type.Object({
  /** Swarm's node id. */
  id: Type.String(),
  hostname: Type.String(),
  role: Type.Union([Type.Literal('manager'), Type.Literal('worker')]),
  /** Swarm's view of the node: ready, down, disconnected or unknown. */
  state: Type.String(),
  /** Whether Swarm places tasks there: active; pause (keeps its tasks, no new ones); drain (moves them off). */
  availability: Type.Union([Type.Literal('active'), Type.Literal('pause'), Type.Literal('drain')]),
  /** The node's IP address as the swarm sees it. */
  address: Type.String(),
  /** The manager that leads the swarm's Raft. */
  leader: Type.Boolean(),
  engine_version: Type.String(),
  /** This Plat's dynos (Swarm tasks meant to run) placed on the node. */
  dynos: Type.Integer({ minimum: 0 }),
});

/** `:node` in a path: a node's hostname, its id or a unique start of its id. */
export const NodeParamsSchema = Type.Object({
  node: Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
});

export const NodeJoinCommandSchema = Type.Object({
  /** `docker swarm join --token SWMTKN-... ADDRESS:2377`: run on a new server to add it as a worker. */
  command: Type.String(),
  registry_trust: Type.Optional(
    Type.String({
      description:
        'With a registry off loopback (PLAT_REGISTRY_ADDR): a shell script to run as root on the new server ' +
        "before it joins, writing the registry's CA and the nodes' client certificate and key to " +
        '/etc/docker/certs.d/<registry>/ (the registry admits only clients with that certificate)',
    }),
  ),
});
