import { describe, expect, it } from 'vitest';
import { defaultRenewalPolicy, describeState, planRenewals, retryDelay, type AutoCertificate } from './renewal-plan.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const now = new Date('2026-03-01T12:00:00.000Z');
const at = (offsetMs: number): Date => new Date(now.getTime() + offsetMs);

function one(cert: AutoCertificate) {
  const plan = planRenewals([cert], now);
  expect(plan.decisions).toHaveLength(1);
  return { ...plan.decisions[0]!, due: plan.due, nextCheckAt: plan.nextCheckAt };
}

describe('retryDelay', () => {
  it('doubles from 15 minutes per failure and stops at a day', () => {
    expect(retryDelay(0)).toBe(0);
    expect(retryDelay(1)).toBe(15 * MINUTE);
    expect(retryDelay(2)).toBe(30 * MINUTE);
    expect(retryDelay(3)).toBe(60 * MINUTE);
    expect(retryDelay(7)).toBe(16 * 60 * MINUTE);
    expect(retryDelay(8)).toBe(DAY);
    expect(retryDelay(5000)).toBe(DAY);
  });
});

describe('planRenewals', () => {
  it('orders a hostname with no certificate at once, shown as pending', () => {
    const decision = one({ hostname: 'app1.plat.test' });
    expect(decision).toMatchObject({ action: 'order', state: { status: 'pending' }, due: ['app1.plat.test'] });
    expect(decision.nextCheckAt).toBeUndefined();
  });

  it('leaves a fresh certificate alone until 30 days before it expires', () => {
    const decision = one({ hostname: 'a.test', notAfter: at(60 * DAY) });
    expect(decision).toMatchObject({ action: 'none', state: { status: 'ok' }, due: [] });
    expect(decision.nextAt).toEqual(at(30 * DAY));
    expect(decision.nextCheckAt).toEqual(at(30 * DAY));
  });

  it('renews from 30 days before expiry, still ok while the certificate serves', () => {
    expect(one({ hostname: 'a.test', notAfter: at(30 * DAY) })).toMatchObject({
      action: 'renew',
      state: { status: 'ok' },
    });
    expect(one({ hostname: 'a.test', notAfter: at(30 * DAY + 1) })).toMatchObject({ action: 'none' });
    expect(one({ hostname: 'a.test', notAfter: at(2 * DAY) })).toMatchObject({ action: 'renew', due: ['a.test'] });
  });

  it('renews a short-lived certificate in the last third of its lifetime, not at once', () => {
    const sixDays = { hostname: 'a.test', notBefore: at(-DAY), notAfter: at(5 * DAY) };
    const decision = one(sixDays);
    expect(decision).toMatchObject({ action: 'none', state: { status: 'ok' } });
    expect(decision.nextAt).toEqual(at(3 * DAY));
    expect(planRenewals([sixDays], at(3 * DAY)).due).toEqual(['a.test']);
    // A 90-day certificate keeps the 30 days.
    expect(one({ hostname: 'a.test', notBefore: at(-60 * DAY), notAfter: at(30 * DAY) }).action).toBe('renew');
    expect(one({ hostname: 'a.test', notBefore: at(-59 * DAY), notAfter: at(31 * DAY) }).action).toBe('none');
  });

  it('renews an expired certificate, shown as pending: nothing valid serves', () => {
    expect(one({ hostname: 'a.test', notAfter: at(-DAY) })).toMatchObject({
      action: 'renew',
      state: { status: 'pending' },
    });
  });

  it('waits out the backoff after failures and shows the reason', () => {
    const failed: AutoCertificate = {
      hostname: 'nodns.test',
      failures: 2,
      lastFailure: { at: at(-10 * MINUTE), reason: 'DNS problem: NXDOMAIN looking up A for nodns.test' },
    };
    const waiting = one(failed);
    expect(waiting).toMatchObject({ action: 'wait', due: [] });
    expect(waiting.nextAt).toEqual(at(20 * MINUTE));
    expect(describeState(waiting.state)).toBe('failing: DNS problem: NXDOMAIN looking up A for nodns.test');
    const later = planRenewals([failed], at(20 * MINUTE));
    expect(later.decisions[0]).toMatchObject({ action: 'order', state: { status: 'failing' } });
    expect(later.due).toEqual(['nodns.test']);
  });

  it('shows a failed renewal as failing while the old certificate still serves', () => {
    const decision = one({
      hostname: 'a.test',
      notAfter: at(10 * DAY),
      failures: 1,
      lastFailure: { at: at(-MINUTE), reason: 'Connection refused' },
    });
    expect(decision).toMatchObject({ action: 'wait', state: { status: 'failing', reason: 'Connection refused' } });
    expect(decision.nextAt).toEqual(at(14 * MINUTE));
  });

  it('does not start a second order while one runs, but retries one that died with its process', () => {
    const running = one({ hostname: 'a.test', attemptStartedAt: at(-MINUTE) });
    expect(running).toMatchObject({ action: 'wait', state: { status: 'pending' }, due: [] });
    expect(running.nextAt).toEqual(at(defaultRenewalPolicy.attemptTimeoutMs - MINUTE));
    expect(one({ hostname: 'a.test', attemptStartedAt: at(-defaultRenewalPolicy.attemptTimeoutMs) })).toMatchObject({
      action: 'order',
    });
  });

  it('plans many hostnames: due ones in input order, the next check at the earliest later time', () => {
    const plan = planRenewals(
      [
        { hostname: 'fresh.test', notAfter: at(45 * DAY) },
        { hostname: 'new.test' },
        { hostname: 'retry.test', failures: 1, lastFailure: { at: at(-MINUTE), reason: 'x' } },
        { hostname: 'old.test', notAfter: at(DAY) },
      ],
      now,
    );
    expect(plan.due).toEqual(['new.test', 'old.test']);
    expect(plan.nextCheckAt).toEqual(at(14 * MINUTE));
    expect(plan.decisions.map((d) => d.action)).toEqual(['none', 'order', 'wait', 'renew']);
  });

  it('honours a policy given by the caller', () => {
    const policy = { ...defaultRenewalPolicy, renewBeforeMs: 5 * MINUTE };
    expect(planRenewals([{ hostname: 'a.test', notAfter: at(4 * MINUTE) }], now, policy).due).toEqual(['a.test']);
    expect(planRenewals([{ hostname: 'a.test', notAfter: at(6 * MINUTE) }], now, policy).due).toEqual([]);
  });
});

describe('describeState', () => {
  it('prints the three states as plat certs shows them', () => {
    expect(describeState({ status: 'ok' })).toBe('ok');
    expect(describeState({ status: 'pending' })).toBe('pending');
    expect(describeState({ status: 'failing', reason: 'no DNS' })).toBe('failing: no DNS');
  });
});
