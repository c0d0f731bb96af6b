/** What the API needs from platd's sshd: where clients reach it, and a way to make key changes take effect. */
export interface SshInfo {
  /** sshd answers now. */
  running: boolean;
  user: string;
  port: number;
  /** Why it does not run, when it does not. */
  problem?: string;
  /** The host keys clients see, to compare with what ssh shows the first time. */
  hostKeys: { type: string; fingerprint: string; publicKey: string }[];
}

export interface SshAccess {
  info(): SshInfo;
  /** Rewrites the keys sshd accepts from the state; resolves once sshd sees them. */
  keysChanged(): Promise<void>;
}
