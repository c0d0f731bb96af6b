import { describe, expect, it } from 'vitest';
import {
  bridgeOf,
  checkArgs,
  deleteArgs,
  ephemeralPorts,
  gatewayRules,
  insertArgs,
  isolationRules,
  publishedPortRules6,
  ruleTag,
  taggedRules,
} from './firewall-plan.js';

describe('firewall plan', () => {
  const rules = isolationRules({ instance: 'abc1', bridge: 'br-0123456789ab', forwardChain: 'DOCKER-USER' });

  it('drops new traffic from the bridge to the host, and to link-local addresses on the way out', () => {
    expect(rules).toEqual([
      {
        chain: 'INPUT',
        spec: [
          '-i',
          'br-0123456789ab',
          '-m',
          'conntrack',
          '!',
          '--ctstate',
          'RELATED,ESTABLISHED',
          '-m',
          'comment',
          '--comment',
          'plat:abc1',
          '-j',
          'DROP',
        ],
      },
      {
        chain: 'DOCKER-USER',
        spec: [
          '-i',
          'br-0123456789ab',
          '-d',
          '169.254.0.0/16',
          '-m',
          'comment',
          '--comment',
          'plat:abc1',
          '-j',
          'DROP',
        ],
      },
    ]);
  });

  it('keeps the containers of a bridge apart when asked, as the build network is', () => {
    const apart = isolationRules({
      instance: 'abc1',
      bridge: 'br-0123456789ab',
      forwardChain: 'DOCKER-USER',
      apart: true,
    });
    expect(apart.slice(0, 2)).toEqual(rules);
    const [bridge, comment] = ['br-0123456789ab', ['-m', 'comment', '--comment', 'plat:abc1']];
    expect(apart.slice(2)).toEqual([
      { chain: 'DOCKER-USER', spec: ['-i', bridge, '-o', bridge, ...comment, '-j', 'DROP'] },
    ]);
    // It is found and removed with the bridge's other rules.
    const listing = apart.map((rule) => `-A ${rule.chain} ${rule.spec.join(' ')}`).join('\n');
    expect(taggedRules(listing, { instance: 'abc1', bridge: 'br-0123456789ab' })).toEqual(apart);
  });

  it("walls swarm tasks off the host through Swarm's gateway bridge, and refuses off-host clients their ports", () => {
    const rules = gatewayRules({ instance: 'abc', forwardChain: 'DOCKER-USER' });
    const comment = ['-m', 'comment', '--comment', 'plat:abc'];
    expect(rules).toEqual([
      ...isolationRules({ instance: 'abc', bridge: 'docker_gwbridge', forwardChain: 'DOCKER-USER' }),
      {
        chain: 'DOCKER-USER',
        spec: ['-o', 'docker_gwbridge', '-m', 'conntrack', '--ctstate', 'NEW', ...comment, '-j', 'DROP'],
      },
    ]);
    // Tasks' own traffic out (-i docker_gwbridge) and replies to it are left alone.
    expect(rules.some((rule) => rule.spec.includes('ESTABLISHED') && rule.spec.includes('-o'))).toBe(false);
  });

  it("refuses off-host IPv6 clients the ports Docker's proxy publishes swarm tasks on", () => {
    expect(ephemeralPorts('32768\t60999\n')).toEqual([32768, 60999]);
    expect(ephemeralPorts('')).toEqual([32768, 60999]);
    expect(publishedPortRules6({ instance: 'abc', ports: [32768, 60999] })).toEqual([
      {
        chain: 'INPUT',
        spec: [
          ...['-p', 'tcp', '!', '-i', 'lo', '--dport', '32768:60999', '-m', 'conntrack', '--ctstate', 'NEW'],
          ...['-m', 'comment', '--comment', 'plat:abc', '-j', 'DROP'],
        ],
      },
    ]);
    expect(() => publishedPortRules6({ instance: 'abc', ports: [22, 80] })).toThrow(/not a port range/);
  });

  it('never drops traffic between containers or to the internet', () => {
    for (const rule of rules) {
      expect(rule.spec).not.toContain('-o');
      expect(rule.chain === 'INPUT' || rule.spec.includes('169.254.0.0/16')).toBe(true);
    }
  });

  it('checks before inserting first in the chain, and deletes the same rule', () => {
    const [input] = rules;
    expect(checkArgs(input!)).toEqual(['-w', '-C', 'INPUT', ...input!.spec]);
    expect(insertArgs(input!)).toEqual(['-w', '-I', 'INPUT', '1', ...input!.spec]);
    expect(deleteArgs(input!)).toEqual(['-w', '-D', 'INPUT', ...input!.spec]);
  });

  it('refuses names that are not interfaces or instances, so nothing odd reaches iptables', () => {
    expect(() => isolationRules({ instance: 'abc1', bridge: '-j ACCEPT', forwardChain: 'FORWARD' })).toThrow(
      /interface/,
    );
    expect(() => isolationRules({ instance: 'abc1', bridge: 'br-0123456789abcdef', forwardChain: 'FORWARD' })).toThrow(
      /interface/,
    );
    expect(() => ruleTag('Bad Name')).toThrow(/instance/);
  });

  // As iptables (nf_tables) prints them: options reordered, the comment quoted.
  const listing = [
    '-P INPUT ACCEPT',
    '-N DOCKER-USER',
    '-A INPUT -i br-0123456789ab -m conntrack ! --ctstate RELATED,ESTABLISHED -m comment --comment "plat:abc1" -j DROP',
    '-A INPUT -i br-ffffffffffff -m conntrack ! --ctstate RELATED,ESTABLISHED -m comment --comment "plat:abc1" -j DROP',
    '-A INPUT -i br-eeeeeeeeeeee -m conntrack ! --ctstate RELATED,ESTABLISHED ' +
      '-m comment --comment "plat:abc12" -j DROP',
    '-A INPUT -i eth0 -p tcp -m tcp --dport 22 -j ACCEPT',
    '-A DOCKER-USER -d 169.254.0.0/16 -i br-0123456789ab -m comment --comment "plat:abc1" -j DROP',
    '-A DOCKER-USER -j RETURN',
  ].join('\n');

  it("finds exactly the instance's rules in a listing, for one bridge or all", () => {
    expect(taggedRules(listing, { instance: 'abc1', bridge: 'br-0123456789ab' })).toEqual([
      {
        chain: 'INPUT',
        spec: [
          '-i',
          'br-0123456789ab',
          '-m',
          'conntrack',
          '!',
          '--ctstate',
          'RELATED,ESTABLISHED',
          '-m',
          'comment',
          '--comment',
          'plat:abc1',
          '-j',
          'DROP',
        ],
      },
      {
        chain: 'DOCKER-USER',
        spec: [
          '-d',
          '169.254.0.0/16',
          '-i',
          'br-0123456789ab',
          '-m',
          'comment',
          '--comment',
          'plat:abc1',
          '-j',
          'DROP',
        ],
      },
    ]);
    expect(taggedRules(listing, { instance: 'abc1' }).map((rule) => rule.spec[rule.spec.indexOf('-i') + 1])).toEqual([
      'br-0123456789ab',
      'br-ffffffffffff',
      'br-0123456789ab',
    ]);
    expect(taggedRules(listing, { instance: 'other' })).toEqual([]);
  });

  it('names the bridge Docker made for a network', () => {
    expect(bridgeOf({ Id: '0123456789abcdef0123' })).toBe('br-0123456789ab');
    expect(bridgeOf({ Id: '0123456789abcdef0123', Options: { 'com.docker.network.bridge.name': 'docker0' } })).toBe(
      'docker0',
    );
  });
});
