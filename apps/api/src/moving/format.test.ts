import { describe, expect, it } from 'vitest';
import { containedBackupFile } from '../store/plat-archive.js';
import { type ArchiveHeader, type ArchiveManifest, bytesToApply, stateDiffers } from './format.js';

const id = '0b5e3c1a-1111-4222-8333-944455556666';
const header: ArchiveHeader = {
  format: 'plat-export',
  version: 1,
  instance: 'old1',
  data_dir: '/var/lib/plat',
  created_at: '2026-11-29T10:00:00.000Z',
  migrations: ['001_initial.sql'],
  apps: [
    {
      name: 'shop',
      id,
      release: 4,
      images: [],
      addons: [{ name: 'postgres-curved-12', provider: 'postgres', plan: 'dev' }],
    },
  ],
};

describe('stateDiffers', () => {
  const addons = [{ app_id: id, name: 'postgres-curved-12', state: 'active' }];
  it('accepts the state the header describes', () => {
    expect(stateDiffers(header, { apps: [{ id, name: 'shop' }], addons })).toBeUndefined();
  });

  it('refuses a state with other apps or add-ons than its header (names there become paths and config)', () => {
    expect(
      stateDiffers(header, {
        apps: [
          { id, name: 'shop' },
          { id, name: '../../etc' },
        ],
        addons,
      }),
    ).toMatch(/app "..\/..\/etc" its header does not list/);
    expect(stateDiffers(header, { apps: [], addons })).toMatch(/lacks the app shop/);
    const odd = [...addons, { app_id: id, name: 'x;evil', state: 'active' }];
    expect(stateDiffers(header, { apps: [{ id, name: 'shop' }], addons: odd })).toMatch(/add-on "x;evil"/);
    const destroying = [...addons, { app_id: id, name: 'redis-old-1', state: 'destroying' }];
    expect(stateDiffers(header, { apps: [{ id, name: 'shop' }], addons: destroying })).toBeUndefined();
    const bad = [...addons, { app_id: id, name: '../x', state: 'destroying' }];
    expect(stateDiffers(header, { apps: [{ id, name: 'shop' }], addons: bad })).toMatch(/add-on/);
  });
});

describe('containedBackupFile', () => {
  const dir = '/srv/plat/backups';
  const row = (file: string) => ({ id: 'b1', app_id: id, file });
  it('keeps a file in the app folder, and turns any other path into a missing name inside it', () => {
    expect(containedBackupFile(row(`${dir}/${id}/postgres-x-1.dump`), dir)).toBe(`${dir}/${id}/postgres-x-1.dump`);
    for (const file of [
      '/etc/passwd',
      `${dir}/${id}/../../x`,
      `${dir}/${id}/..`,
      `${dir}/other/x.dump`,
      `${dir}/${id}/`,
    ])
      expect(containedBackupFile(row(file), dir)).toBe(`${dir}/${id}/missing-b1`);
  });
});

it('bytesToApply counts the images and add-on data an import writes besides the staged archive', () => {
  const manifest: ArchiveManifest = {
    ...header,
    entries: [
      { name: 'state/state.dump', size: 5, sha256: '' },
      { name: 'images/apps.tar', size: 100, sha256: '' },
      { name: 'addons/postgres-curved-12.dump', size: 20, sha256: '' },
    ],
  };
  expect(bytesToApply(manifest)).toBe(120);
});
