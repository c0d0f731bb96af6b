import { shortReason } from './counts.js';
import { REDIS_DATA } from './redis-data.js';
import { compareKeys, parseKeyspace } from './rdb-header.js';
import { output, type Drill } from './scratch-check.js';

/** The scratch redis's password (scratchCredentials) reaches redis-cli through its environment. */
const cli = ['redis-cli', '--no-auth-warning'];

/**
 * Writes the snapshot into the scratch redis's (tmpfs) data dir and loads
 * it with DEBUG RELOAD NOSAVE: Redis reads every key and checks the file's
 * checksum; a damaged snapshot fails (or stops the server, whose log says why).
 */
export const redisDrill: Drill = {
  compare(source, restored) {
    const check = compareKeys(source ?? {}, restored);
    const details = { keys: check.keys, ...(check.notCompared ? { not_compared: check.notCompared } : {}) };
    return { ok: check.ok, details, ...(check.reason ? { reason: check.reason } : {}) };
  },
  async load(exec, dump, env) {
    const written = await exec(['dd', `of=${REDIS_DATA}/dump.rdb`, 'bs=1M', 'status=none'], { stdin: dump });
    if (written.exitCode !== 0) throw new Error(`writing the snapshot failed: ${shortReason(written.stderr)}`);
    await output(exec, ['redis-check-rdb', `${REDIS_DATA}/dump.rdb`], 'redis-check-rdb', env);
    const reply = await output(exec, [...cli, 'DEBUG', 'RELOAD', 'NOSAVE'], 'loading the snapshot', env);
    if (!/^OK/.test(reply.trim())) throw new Error(`loading the snapshot failed: ${shortReason(reply)}`);
  },
  async counts(exec, env) {
    return parseKeyspace(await output(exec, [...cli, 'INFO', 'keyspace'], 'counting the keys', env));
  },
};
