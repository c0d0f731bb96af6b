import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { runHost } from '@plat/core/host-process';
import {
  checkArgs,
  deleteArgs,
  ephemeralPorts,
  gatewayRules,
  insertArgs,
  isolationRules,
  publishedPortRules6,
  SWARM_GATEWAY_BRIDGE,
  taggedRules,
  type FirewallRule,
} from './firewall-plan.js';

/**
 * Applies firewall-plan.ts's rules with iptables (whichever backend Docker
 * uses: Debian's iptables is the nf_tables one, as is Docker's). Every rule is
 * checked before it is inserted, so applying twice changes nothing. Failing
 * to isolate a network is an error: a dyno never starts on an open one.
 */
export class HostFirewall {
  readonly #instance: string;
  readonly #iptables: string;
  readonly #ip6tables: string | undefined;
  #forwardChain: Promise<string> | undefined;

  constructor(options: { instance: string; iptables?: string }) {
    this.#instance = options.instance;
    this.#iptables = options.iptables ?? (existsSync('/usr/sbin/iptables') ? '/usr/sbin/iptables' : 'iptables');
    // Only the swarm runtime's published ports need it; a host without IPv6 tables has none to guard.
    this.#ip6tables = options.iptables
      ? undefined
      : existsSync('/usr/sbin/ip6tables')
        ? '/usr/sbin/ip6tables'
        : undefined;
  }

  /**
   * Keeps containers on the bridge off the host's addresses and the metadata
   * range (swarm: gatewayRules); `apart`, off each other too.
   */
  async isolate(bridge: string, options: { apart?: boolean } = {}): Promise<void> {
    const forwardChain = await this.#forward();
    const rules =
      bridge === SWARM_GATEWAY_BRIDGE
        ? gatewayRules({ instance: this.#instance, forwardChain })
        : isolationRules({ instance: this.#instance, bridge, forwardChain, ...options });
    for (const rule of rules) {
      if (await this.#present(rule)) continue;
      await this.#run(insertArgs(rule));
    }
    if (bridge === SWARM_GATEWAY_BRIDGE && this.#ip6tables) {
      const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
      for (const rule of publishedPortRules6({ instance: this.#instance, ports: ephemeralPorts(range) })) {
        if (await this.#present(rule, this.#ip6tables)) continue;
        await this.#run(insertArgs(rule), this.#ip6tables);
      }
    }
  }

  /** Removes the bridge's rules (its network is gone; Docker may reuse the name). */
  async release(bridge: string): Promise<void> {
    await this.#deleteAll(taggedRules(await this.#run(['-w', '-S']), { instance: this.#instance, bridge }));
  }

  /** Removes every rule this instance made. */
  async releaseAll(): Promise<void> {
    await this.#deleteAll(taggedRules(await this.#run(['-w', '-S']), { instance: this.#instance }));
    const ip6 = this.#ip6tables;
    if (ip6) await this.#deleteAll(taggedRules(await this.#run(['-w', '-S'], ip6), { instance: this.#instance }), ip6);
  }

  async #deleteAll(rules: FirewallRule[], binary = this.#iptables): Promise<void> {
    for (const rule of rules) {
      // A rule inserted twice (two starts racing) is listed twice: each -D removes one.
      await this.#run(deleteArgs(rule), binary).catch(async (error: Error) => {
        if (await this.#present(rule, binary)) throw error;
      });
    }
  }

  /** Docker's chain for the admin's own forwarding rules, when Docker manages iptables. */
  #forward(): Promise<string> {
    this.#forwardChain ??= this.#run(['-w', '-S', 'DOCKER-USER']).then(
      () => 'DOCKER-USER',
      () => 'FORWARD',
    );
    return this.#forwardChain;
  }

  async #present(rule: FirewallRule, binary = this.#iptables): Promise<boolean> {
    return this.#run(checkArgs(rule), binary).then(
      () => true,
      () => false,
    );
  }

  /** Resolves with what iptables printed on stdout; rejects with its stderr when it fails. */
  async #run(args: string[], binary = this.#iptables): Promise<string> {
    const failed = (reason: string) => new Error(`${binary} ${args.join(' ')} failed: ${reason}`);
    const result = await runHost(binary, args, { timeoutMs: 30_000 }).catch((error: Error) => {
      throw failed(error.message);
    });
    if (result.code === 0) return result.stdout;
    throw failed(result.stderr.trim() || (result.timedOut ? 'timed out after 30 s' : `exit code ${result.code}`));
  }
}
