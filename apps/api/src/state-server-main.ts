#!/usr/bin/env node
/**
 * `npm run stop-state` (node apps/api/dist/state-server-main.js stop): stops
 * the PostgreSQL server platd runs for its state in PLAT_DATA_DIR, which
 * outlives platd on purpose. Refused while a platd runs there: it would
 * start the server again. `import-pglite` (`npm run import-pglite`) moves an
 * older Plat's PGlite state into a new server, once.
 */
import { settingsFromEnv } from './config.js';
import { DataDirLocked, lockDataDir } from './data-dir-lock.js';
import { importPgliteState } from './store/pglite-import.js';
import { StateServer } from './store/state-server.js';

async function main(command: string | undefined): Promise<void> {
  const { dataDir } = settingsFromEnv();
  const server = new StateServer({ dataDir });
  if (command === 'status') {
    const running = server.running();
    console.log(
      running
        ? `The state server in ${server.dir} runs (pid ${running.pid}, ${running.status || 'starting'})`
        : `No state server runs in ${server.dir}`,
    );
    return;
  }
  if (command !== 'stop' && command !== 'import-pglite') {
    throw new Error('usage: state-server-main.js stop|status|import-pglite   (PLAT_DATA_DIR names the data dir)');
  }
  let unlock: () => void;
  try {
    unlock = lockDataDir(dataDir, 'plat stop-state');
  } catch (error) {
    if (!(error instanceof DataDirLocked)) throw error;
    throw new Error(
      `a platd${error.pid ? ` (pid ${error.pid})` : ''} runs on ${dataDir}; ` +
        `stop that platd first (Ctrl-C, or kill -TERM ${error.pid || 'its pid'}), then run this again`,
    );
  }
  try {
    if (command === 'import-pglite') {
      await importPgliteState({ dataDir, log: (line) => console.log(line) });
      await server.stop();
      console.log('Done: start platd as before.');
      return;
    }
    const pid = await server.stop();
    console.log(
      pid ? `Stopped the state server in ${server.dir} (pid ${pid})` : `No state server runs in ${server.dir}`,
    );
  } finally {
    unlock();
  }
}

main(process.argv[2]).catch((error: Error) => {
  console.error(`state-server ${process.argv[2] ?? ''}: ${error.message}`);
  process.exit(1);
});
