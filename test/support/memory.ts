/** Memory of running processes, read from /proc: what bench/memory and the growth test measure. */
import { readdirSync, readFileSync } from 'node:fs';

/** Proportional set size in bytes (shared pages split among their users), 0 when the process is gone. */
export function pss(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Resident set size in bytes, 0 when the process is gone. */
export function rss(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      found.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** The pids of each process whose command line contains `text`, with all their descendants. */
export function treesMatching(text: string): number[] {
  const all = processes();
  const roots = all.filter((process) => process.cmdline.includes(text)).map((process) => process.pid);
  const tree = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const process of all) {
      if (!tree.has(process.pid) && tree.has(process.ppid)) {
        tree.add(process.pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

export const totalPss = (pids: number[]) => pids.reduce((sum, pid) => sum + pss(pid), 0);
