/**
 * The host firewall rules that keep dynos and builds off the host: pure data
 * in, iptables argument arrays out. host-firewall.ts runs them.
 *
 * Traffic from a container to any of the host's own addresses (the network's
 * gateway, eth0, other bridges' gateways) enters the host through the INPUT
 * chain on the network's bridge; only replies to connections the host opened
 * (the router reaching a web dyno at its address on the network) may pass.
 * Traffic to link-local addresses (169.254.169.254, the cloud metadata
 * service, and its neighbours) is routed, so it is dropped where
 * Docker lets the admin filter forwarded traffic (DOCKER-USER). Traffic
 * out to the internet is left alone, and so is traffic between containers
 * on an app's network (its dynos and add-ons); on the build network, where
 * every app's builds run, containers are kept apart.
 */

/** Where cloud metadata services answer (AWS, GCP, Azure, OpenStack, ECS). */
export const LINK_LOCAL_RANGE = '169.254.0.0/16';

export interface FirewallRule {
  chain: string;
  /** The rule's match and target, as iptables takes them after the chain. */
  spec: string[];
}

const BRIDGE = /^[A-Za-z0-9_.-]{1,15}$/;
const INSTANCE = /^[a-z0-9]{1,16}$/;

/** The comment every rule of an instance carries, so its rules can be found and removed. */
export function ruleTag(instance: string): string {
  if (!INSTANCE.test(instance)) throw new Error(`not a Plat instance name: ${JSON.stringify(instance)}`);
  return `plat:${instance}`;
}

/**
 * The rules that isolate one Docker network's bridge interface from the
 * host; `apart`: its containers from each other too (the bridge passes
 * their packets through the forward chain).
 */
export function isolationRules(options: {
  instance: string;
  bridge: string;
  forwardChain: string;
  apart?: boolean;
}): FirewallRule[] {
  const { bridge, forwardChain } = options;
  if (!BRIDGE.test(bridge)) throw new Error(`not a network interface name: ${JSON.stringify(bridge)}`);
  const comment = ['-m', 'comment', '--comment', ruleTag(options.instance)];
  return [
    {
      chain: 'INPUT',
      spec: ['-i', bridge, '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED', ...comment, '-j', 'DROP'],
    },
    { chain: forwardChain, spec: ['-i', bridge, '-d', LINK_LOCAL_RANGE, ...comment, '-j', 'DROP'] },
    ...(options.apart ? [{ chain: forwardChain, spec: ['-i', bridge, '-o', bridge, ...comment, '-j', 'DROP'] }] : []),
  ];
}

/**
 * The bridge Swarm gives every task on an overlay network for traffic off
 * the node: tasks reach the host through it, and a web task's port
 * published in host mode (on every address) is forwarded into it.
 */
export const SWARM_GATEWAY_BRIDGE = 'docker_gwbridge';

/**
 * The swarm runtime's rules: tasks kept off the host as on an app bridge,
 * and no connection from off the host into a task's published port (the
 * router reaches it on the node itself; those packets are not forwarded).
 */
export function gatewayRules(options: { instance: string; forwardChain: string }): FirewallRule[] {
  const comment = ['-m', 'comment', '--comment', ruleTag(options.instance)];
  return [
    ...isolationRules({ ...options, bridge: SWARM_GATEWAY_BRIDGE }),
    {
      chain: options.forwardChain,
      spec: ['-o', SWARM_GATEWAY_BRIDGE, '-m', 'conntrack', '--ctstate', 'NEW', ...comment, '-j', 'DROP'],
    },
  ];
}

/**
 * ip6tables rules for the swarm runtime: Docker publishes a host-mode task
 * port on `[::]` too, through its userland proxy into the task's IPv4
 * address, which no IPv4 rule sees. New connections from off the host to
 * the ports Docker draws them from (the kernel's ephemeral range) are
 * refused; the host's own outgoing connections use that range as source
 * ports only, and their replies are not new.
 */
export function publishedPortRules6(options: { instance: string; ports: [number, number] }): FirewallRule[] {
  const [low, high] = options.ports;
  if (!(Number.isInteger(low) && Number.isInteger(high) && low >= 1024 && high <= 65535 && low <= high))
    throw new Error(`not a port range: ${low}-${high}`);
  const comment = ['-m', 'comment', '--comment', ruleTag(options.instance)];
  const match = ['-p', 'tcp', '!', '-i', 'lo', '--dport', `${low}:${high}`, '-m', 'conntrack', '--ctstate', 'NEW'];
  return [{ chain: 'INPUT', spec: [...match, ...comment, '-j', 'DROP'] }];
}

/** The range Docker draws published ports from: the kernel's ephemeral ports (`32768 60999`). */
export function ephemeralPorts(text: string): [number, number] {
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return low && high ? [low, high] : [32768, 60999];
}

/** iptables arguments that succeed only when the rule is present. */
export function checkArgs(rule: FirewallRule): string[] {
  return ['-w', '-C', rule.chain, ...rule.spec];
}

/** Inserted first in its chain, ahead of any ACCEPT the host's own firewall has. */
export function insertArgs(rule: FirewallRule): string[] {
  return ['-w', '-I', rule.chain, '1', ...rule.spec];
}

export function deleteArgs(rule: FirewallRule): string[] {
  return ['-w', '-D', rule.chain, ...rule.spec];
}

/**
 * The rules in an `iptables -S` listing that carry the instance's tag (and
 * name the bridge, when one is given), ready for deleteArgs.
 */
export function taggedRules(listing: string, options: { instance: string; bridge?: string }): FirewallRule[] {
  const tag = ruleTag(options.instance);
  const rules: FirewallRule[] = [];
  for (const line of listing.split('\n')) {
    const words = line.trim().split(/\s+/).map(unquote);
    if (words[0] !== '-A' || !words[1]) continue;
    const spec = words.slice(2);
    const comment = spec.indexOf('--comment');
    if (comment < 0 || spec[comment + 1] !== tag) continue;
    const input = spec.indexOf('-i');
    if (options.bridge !== undefined && (input < 0 || spec[input + 1] !== options.bridge)) continue;
    rules.push({ chain: words[1], spec });
  }
  return rules;
}

function unquote(word: string): string {
  return word.length >= 2 && word.startsWith('"') && word.endsWith('"') ? word.slice(1, -1) : word;
}

/** The bridge interface Docker made for a network: its own option, else `br-` and the id's first 12 characters. */
export function bridgeOf(network: { Id: string; Options?: Record<string, string> | null }): string {
  return network.Options?.['com.docker.network.bridge.name'] ?? `br-${network.Id.slice(0, 12)}`;
}
