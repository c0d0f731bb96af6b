import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One platd per data dir: its embedded database and router config are not
 * for sharing. A pid file left by a killed platd is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'platd.pid');
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new Error(`another platd (pid ${pid}) is using ${dataDir}; give this one its own PLAT_DATA_DIR`);
    }
  }
  writeFileSync(path, `${process.pid}\n`);
  return () => rmSync(path, { force: true });
}
