/**
 * The pure half of the state server: the postgresql.conf platd writes and
 * the reading of postmaster.pid, so both are tested without a server.
 */

/** The port only names the socket file (.s.PGSQL.5432): the server opens no TCP port. */
export const STATE_SERVER_PORT = 5432;

/** A string setting in postgresql.conf: single-quoted, quotes doubled. */
function quoted(value: string): string {
  // A newline would end the setting and start another one.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (/[\0-\x1f]/.test(value))
    throw new Error(`a state server setting may not hold control characters: ${JSON.stringify(value)}`);
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Settings for a 1 GB server: a small shared buffer pool and few
 * connections (platd's pool takes 10), no JIT (LLVM costs tens of MB per
 * backend), no parallel workers, and no TCP listener at all: the socket
 * lives in the server's own folder (0700, postgres), which only root and
 * postgres can reach, so local trust authentication lets in no one else.
 */
export function renderStateServerConfig(options: { socketDir: string }): string {
  const settings: [string, string | number][] = [
    ['listen_addresses', quoted('')],
    ['port', STATE_SERVER_PORT],
    ['unix_socket_directories', quoted(options.socketDir)],
    ['unix_socket_permissions', '0700'],
    ['max_connections', 20],
    ['superuser_reserved_connections', 3],
    ['shared_buffers', quoted('16MB')],
    ['work_mem', quoted('4MB')],
    ['maintenance_work_mem', quoted('16MB')],
    ['huge_pages', 'off'],
    ['dynamic_shared_memory_type', 'posix'],
    ['jit', 'off'],
    ['max_worker_processes', 4],
    ['max_parallel_workers', 0],
    ['max_parallel_workers_per_gather', 0],
    ['autovacuum_max_workers', 2],
    ['wal_level', 'minimal'],
    ['max_wal_senders', 0],
    // No logical replication: its launcher process is not started at all.
    ['max_logical_replication_workers', 0],
    ['max_sync_workers_per_subscription', 0],
    ['min_wal_size', quoted('32MB')],
    ['max_wal_size', quoted('256MB')],
    ['logging_collector', 'off'],
    ['log_destination', quoted('stderr')],
    ['log_line_prefix', quoted('%m [%p] ')],
    ['log_timezone', quoted('UTC')],
    ['timezone', quoted('UTC')],
    ['datestyle', quoted('iso, mdy')],
    ['lc_messages', quoted('C')],
    ['lc_monetary', quoted('C')],
    ['lc_numeric', quoted('C')],
    ['lc_time', quoted('C')],
    ['default_text_search_config', quoted('pg_catalog.english')],
  ];
  return [
    '# Written by platd before each start of its state server: change Plat, not this file.',
    ...settings.map(([name, value]) => `${name} = ${value}`),
    '',
  ].join('\n');
}

export interface PostmasterPid {
  pid: number;
  dataDir: string;
  port: number;
  socketDir: string;
  listenAddresses: string;
  /** "starting", "ready", "stopping", or "" while the server has not said. */
  status: string;
}

/** postmaster.pid: pid, data dir, start time, port, first socket dir, listen addresses, shmem key, status. */
export function parsePostmasterPid(text: string): PostmasterPid | undefined {
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return {
    pid,
    dataDir: lines[1] ?? '',
    port: Number(lines[3] ?? 0),
    socketDir: lines[4] ?? '',
    listenAddresses: (lines[5] ?? '').trim(),
    status: (lines[7] ?? '').trim(),
  };
}
