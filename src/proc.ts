/** Reading processes from Linux's /proc: state, parent, group and start time (field 22 of stat). */
import { readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z, T, X, ... */
  state: string;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks after boot: with the pid, the process's identity. */
  startTime: number;
}

/** Parses /proc/<pid>/stat after the last ')' (the command name may hold spaces and parentheses). */
export function parseStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field N is f[N - 3].
  return { pid, state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), startTime: Number(f[19]) };
}

export async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(pid, await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readStatSync(pid: number): ProcStat | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function isLive(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

export async function allStats(): Promise<ProcStat[]> {
  const names = await readdir('/proc');
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n))));
  return stats.filter(isLive);
}

/** Live pids of a tree: the leader's process group, plus its descendants (which may have left the group). */
export async function treePids(leader: number): Promise<number[]> {
  const stats = await allStats();
  const children = new Map<number, number[]>();
  for (const s of stats) {
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const found = new Set<number>();
  for (const s of stats) if (s.pgid === leader) found.add(s.pid);
  const queue = stats.some((s) => s.pid === leader) ? [leader] : [];
  for (const pid of [...found]) queue.push(pid);
  while (queue.length > 0) {
    const pid = queue.pop()!;
    found.add(pid);
    for (const child of children.get(pid) ?? []) if (!found.has(child)) queue.push(child);
  }
  return [...found].sort((a, b) => a - b);
}
