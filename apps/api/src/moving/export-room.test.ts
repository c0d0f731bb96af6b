import { describe, expect, it } from 'vitest';
import { type HistoryEntry, imagesBytes, stagingShortfall } from './export-room.js';

describe('export room', () => {
  // Newest first, as the Engine lists a history.
  const stack: HistoryEntry[] = [
    { Created: 2, CreatedBy: 'RUN apt-get install python3', Size: 300 },
    { Created: 1, CreatedBy: 'import', Size: 500 },
  ];
  const app = (name: string, size: number): HistoryEntry[] => [
    { Created: 10, CreatedBy: 'CMD ["web"]', Size: 0 },
    { Created: 9, CreatedBy: `COPY ${name} /app`, Size: size },
    ...stack,
  ];

  it('counts the layers images share once', () => {
    expect(imagesBytes([app('a', 40)])).toBe(840);
    expect(imagesBytes([app('a', 40), app('b', 60)])).toBe(900);
    // The same image twice (two tags of one release).
    expect(imagesBytes([app('a', 40), app('a', 40)])).toBe(840);
    expect(imagesBytes([])).toBe(0);
  });

  it('tells the same line on another base apart', () => {
    const other: HistoryEntry[] = [
      { Created: 9, CreatedBy: 'COPY a /app', Size: 40 },
      { Created: 3, CreatedBy: 'x', Size: 7 },
    ];
    expect(imagesBytes([app('a', 40), other])).toBe(887);
  });

  it('refuses to stage an entry the data dir has no room for, with a reserve', () => {
    const estimate = { archiveBytes: 5 * 1024 ** 3, stagedBytes: 1024 ** 3 };
    expect(stagingShortfall(2 * 1024 ** 3, estimate, '/var/lib/plat/tmp/x')).toBeUndefined();
    expect(stagingShortfall(1024 ** 3, estimate, '/var/lib/plat/tmp/x')).toBe(
      'Not enough free disk on the server to make the export: 1024 MB free in /var/lib/plat/tmp/x, ' +
        'about 1280 MB needed (its largest entry, staged there one at a time, and a reserve); ' +
        'free some space (old releases, backups) and export again. Nothing was written.',
    );
  });
});
