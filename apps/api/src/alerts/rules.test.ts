import { describe, expect, it } from 'vitest';
import {
  certificateAlerts,
  crashLoopAlerts,
  diskAlert,
  reconcileAlerts,
  type CertificateFacts,
  type OpenAlert,
} from './rules.js';

const DAY = 24 * 3600_000;
const now = new Date('2026-11-28T12:00:00.000Z');
const inDays = (days: number) => new Date(now.getTime() + days * DAY);

const manual = (overrides: Partial<CertificateFacts> = {}): CertificateFacts => ({
  appId: 'app1',
  source: 'manual',
  hostname: null,
  hostnames: ['www.example.com', 'example.com'],
  notAfter: inDays(60),
  failures: 0,
  lastError: null,
  ...overrides,
});
const acme = (overrides: Partial<CertificateFacts> = {}): CertificateFacts =>
  manual({ source: 'acme', hostname: 'shop.example.com', hostnames: ['shop.example.com'], ...overrides });

describe('certificateAlerts', () => {
  it('says nothing of certificates good for more than 14 days', () => {
    expect(certificateAlerts([manual(), acme({ notAfter: inDays(14.5) })], now)).toEqual([]);
  });

  it('warns of one within 14 days of its end, and of one past it', () => {
    expect(certificateAlerts([manual({ notAfter: inDays(9.5) })], now)).toEqual([
      {
        appId: 'app1',
        kind: 'cert_expiring',
        subject: 'example.com, www.example.com',
        message:
          'The certificate for example.com, www.example.com expires in 9 day(s), at 2026-12-08T00:00:00.000Z: ' +
          'add a new one with plat certs:add',
      },
    ]);
    expect(certificateAlerts([acme({ notAfter: inDays(-1) })], now)).toEqual([
      expect.objectContaining({
        kind: 'cert_expiring',
        subject: 'shop.example.com',
        message: 'The certificate for shop.example.com expired at 2026-11-27T12:00:00.000Z',
      }),
    ]);
  });

  it("alerts on the platform's own certificate (the API domain) as a platform alert", () => {
    expect(certificateAlerts([acme({ appId: null, hostname: 'plat.example.com', notAfter: inDays(3) })], now)).toEqual([
      expect.objectContaining({ appId: null, kind: 'cert_expiring', subject: 'plat.example.com' }),
    ]);
  });

  it('alerts on an automatic certificate whose orders fail, issued or not', () => {
    expect(certificateAlerts([acme({ failures: 2, lastError: 'DNS problem: NXDOMAIN' })], now)).toEqual([
      {
        appId: 'app1',
        kind: 'cert_renewal_failing',
        subject: 'shop.example.com',
        message: 'Could not renew the certificate for shop.example.com (2 failed attempt(s)): DNS problem: NXDOMAIN',
      },
    ]);
    expect(certificateAlerts([acme({ notAfter: null, failures: 1, lastError: 'timeout' })], now)).toEqual([
      expect.objectContaining({
        message: 'Could not get the certificate for shop.example.com (1 failed attempt(s)): timeout',
      }),
    ]);
  });
});

describe('crashLoopAlerts', () => {
  it('opens for a dyno that crashed 3 times in a row', () => {
    expect(
      crashLoopAlerts([
        { appId: 'app1', dyno: 'web.1', restarts: 3, exitCode: 1 },
        { appId: 'app1', dyno: 'worker.1', restarts: 2, exitCode: 137 },
      ]),
    ).toEqual([
      {
        appId: 'app1',
        kind: 'crash_loop',
        subject: 'web.1',
        message: 'web.1 is in a crash loop: crashed 3 times in a row (last exit 1)',
      },
    ]);
  });
});

describe('diskAlert', () => {
  const GB = 1024 ** 3;
  it('opens above 90 % used, for the whole platform', () => {
    expect(diskAlert({ path: '/var/lib/plat', totalBytes: 100 * GB, freeBytes: 11 * GB })).toEqual([]);
    expect(diskAlert({ path: '/var/lib/plat', totalBytes: 100 * GB, freeBytes: 5 * GB })).toEqual([
      {
        appId: null,
        kind: 'disk_full',
        subject: '/var/lib/plat',
        message: "The disk of Plat's data dir /var/lib/plat is 95% full (5.0 GB free of 100.0 GB): see plat admin:disk",
      },
    ]);
    expect(diskAlert(undefined)).toEqual([]);
  });
});

describe('reconcileAlerts', () => {
  const open: OpenAlert[] = [
    { appId: 'app1', kind: 'crash_loop', subject: 'web.1', message: 'looping' },
    { appId: 'app1', kind: 'backup_failed', subject: 'postgres-1', message: 'pg_dump failed' },
    { appId: null, kind: 'disk_full', subject: '/data', message: '95% full' },
  ];

  it('raises what is new, keeps what is open, resolves what went, and leaves backups to the backups', () => {
    const plan = reconcileAlerts(open, [
      { appId: null, kind: 'disk_full', subject: '/data', message: '95% full' },
      { appId: 'app2', kind: 'cert_expiring', subject: 'a.example.com', message: 'expires in 3 day(s)' },
    ]);
    expect(plan.raise).toEqual([
      { appId: 'app2', kind: 'cert_expiring', subject: 'a.example.com', message: 'expires in 3 day(s)' },
    ]);
    expect(plan.resolve).toEqual([open[0]]);
  });

  it('passes a changed message on (stored quietly: an open alert is said once)', () => {
    const plan = reconcileAlerts(open, [{ appId: null, kind: 'disk_full', subject: '/data', message: '97% full' }]);
    expect(plan.raise).toEqual([{ appId: null, kind: 'disk_full', subject: '/data', message: '97% full' }]);
    expect(plan.resolve).toEqual([open[0]]);
  });
});
