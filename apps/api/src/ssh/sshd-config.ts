/**
 * The sshd_config of Plat's own sshd, as pure text. It serves one account
 * (`git`), by public key only, and nothing but the forced command each key
 * line carries: no passwords, no pty, no forwarding of any kind, no
 * subsystems (no sftp), no environment from the client.
 */
export interface SshdConfigInput {
  listenHost: string;
  port: number;
  hostKeys: string[];
  pidFile: string;
  /** The account pushes log in as. */
  loginUser: string;
  /** The program and arguments sshd runs (as keysUser) to find a key's line; %f is the offered key's fingerprint. */
  keysCommand: string[];
  keysUser: string;
}

function listenAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function renderSshdConfig(input: SshdConfigInput): string {
  return [
    '# Written by platd at each start; changes here are overwritten.',
    `ListenAddress ${listenAddress(input.listenHost, input.port)}`,
    ...input.hostKeys.map((key) => `HostKey ${key}`),
    `PidFile ${input.pidFile}`,
    `AllowUsers ${input.loginUser}`,
    'PermitRootLogin no',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile none',
    `AuthorizedKeysCommand ${input.keysCommand.join(' ')}`,
    `AuthorizedKeysCommandUser ${input.keysUser}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'GSSAPIAuthentication no',
    'PermitEmptyPasswords no',
    'UsePAM no',
    'AuthenticationMethods publickey',
    'DisableForwarding yes',
    'AllowTcpForwarding no',
    'AllowStreamLocalForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTunnel no',
    'PermitListen none',
    'PermitOpen none',
    'PermitTTY no',
    'PermitUserRC no',
    'PermitUserEnvironment no',
    'StrictModes yes',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'Compression no',
    'LoginGraceTime 30',
    'MaxAuthTries 6',
    'MaxSessions 1',
    'MaxStartups 10:30:60',
    'ClientAliveInterval 30',
    'ClientAliveCountMax 4',
    'LogLevel INFO',
    '',
  ].join('\n');
}
