import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pruneCertificateFiles, writeCertificateFiles } from './certificate-files.js';
import { certificateStem } from './nginx-config.js';

const dir = mkdtempSync(join(tmpdir(), 'plat-cert-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cert = { hostnames: ['www.shop.example'], chainPem: 'CHAIN\n', keyPem: 'KEY\n' };
const stem = certificateStem(cert);

describe('certificate files', () => {
  it('writes the chain and the key readable by their owner only, in a private folder', () => {
    const certDir = join(dir, 'certs');
    expect(writeCertificateFiles(certDir, [cert])).toEqual(new Set([`${stem}.pem`, `${stem}.key`]));
    expect(readFileSync(join(certDir, `${stem}.key`), 'utf8')).toBe('KEY\n');
    expect(readFileSync(join(certDir, `${stem}.pem`), 'utf8')).toBe('CHAIN\n');
    expect(lstatSync(join(certDir, `${stem}.key`)).mode & 0o777).toBe(0o600);
    expect(lstatSync(certDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(certDir).sort()).toEqual([`${stem}.key`, `${stem}.pem`]);
  });

  it('replaces a link in its place instead of writing through it', () => {
    const certDir = join(dir, 'linked');
    mkdirSync(certDir);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(certDir, `${stem}.key`));
    writeCertificateFiles(certDir, [cert]);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(join(certDir, `${stem}.key`)).isFile()).toBe(true);
    expect(readFileSync(join(certDir, `${stem}.key`), 'utf8')).toBe('KEY\n');
  });

  it('refuses a folder that is a link', () => {
    const real = join(dir, 'elsewhere');
    mkdirSync(real);
    symlinkSync(real, join(dir, 'certs-link'));
    expect(() => writeCertificateFiles(join(dir, 'certs-link'), [cert])).toThrow(/is not a directory/);
    expect(readdirSync(real)).toEqual([]);
  });

  it('prunes the files no route serves, leftovers of a crash included', () => {
    const certDir = join(dir, 'prune');
    const other = { ...cert, keyPem: 'OTHER KEY\n' };
    writeCertificateFiles(certDir, [cert, other]);
    writeFileSync(join(certDir, '.half.tmp'), '');
    pruneCertificateFiles(certDir, writeCertificateFiles(certDir, [other]));
    expect(readdirSync(certDir).sort()).toEqual([`${certificateStem(other)}.key`, `${certificateStem(other)}.pem`]);
  });
});
