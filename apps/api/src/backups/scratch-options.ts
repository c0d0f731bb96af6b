import type Docker from 'dockerode';
import { LABELS } from '@plat/core';

/**
 * The scratch containers backup checks restore into. Pure: every bound
 * (memory, pids, a tmpfs of a fixed size for the data, no capabilities, no
 * network) is here and unit tested; AddonRuntime only passes these to Docker.
 */

/** Marks a check's container (and the networks of checks before NetworkMode none); its value is the check's id. */
export const CHECK_LABEL = 'plat.backup-check';

export interface ScratchSpec {
  /** Random, per check: names its container. */
  id: string;
  /** The add-on's own image: the same server version that made the dump reads it. */
  image: string;
  env: Record<string, string>;
  /** The image's data dir: a tmpfs of diskBytes, owned by the image's user (uid:gid). */
  dataPath: string;
  diskBytes: number;
  /** Memory besides the tmpfs, whose pages count against the same limit. */
  memoryBytes: number;
  healthcheck: string[];
}

export const SCRATCH_PIDS_LIMIT = 256;

export function scratchName(instance: string, id: string): string {
  return `plat-${instance}-check-${id}`;
}

export function scratchLabels(instance: string, id: string): Record<string, string> {
  return { [LABELS.instance]: instance, [CHECK_LABEL]: id };
}

export function scratchContainerOptions(
  instance: string,
  spec: ScratchSpec,
  owner: { uid: number; gid: number },
): Docker.ContainerCreateOptions {
  const name = scratchName(instance, spec.id);
  const limit = spec.diskBytes + spec.memoryBytes;
  return {
    name,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: scratchLabels(instance, spec.id),
    Healthcheck: { Test: ['CMD', ...spec.healthcheck], Interval: 500_000_000, Timeout: 5_000_000_000, Retries: 600 },
    HostConfig: {
      Memory: limit,
      MemorySwap: limit,
      PidsLimit: SCRATCH_PIDS_LIMIT,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      // No network at all, only its own loopback: the check reaches it through docker exec (the
      // health check too), so nothing can reach it, it reaches nothing, and no address block is used.
      NetworkMode: 'none',
      // The data lives in memory, bounded: a restore that outgrows it fails with ENOSPC, not the host's disk.
      Tmpfs: {
        [spec.dataPath]: `rw,nosuid,nodev,noexec,size=${spec.diskBytes},uid=${owner.uid},gid=${owner.gid},mode=0700`,
      },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
    },
  };
}

/** uid and gid of a user in an /etc/passwd text. */
export function passwdIds(passwd: string, user: string): { uid: number; gid: number } | undefined {
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && /^\d+$/.test(uid ?? '') && /^\d+$/.test(gid ?? ''))
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** The first file's content of a tar stream (getArchive of one file): 512-byte header, size in octal at 124. */
export function firstTarFile(tar: Buffer): Buffer {
  if (tar.length < 512) throw new Error('not a tar archive');
  const size = Number.parseInt(tar.subarray(124, 136).toString('latin1').replace(/\0/g, '').trim(), 8);
  if (!Number.isFinite(size)) throw new Error('not a tar archive');
  return tar.subarray(512, 512 + size);
}
