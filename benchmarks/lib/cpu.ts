/**
 * CPU spent by this process (every thread: main and workers) and by its reaped children. Node has no
 * child rusage API, but Linux adds a reaped child's times to the parent's cutime/cstime (fields 16 and 17
 * of /proc/self/stat, in USER_HZ = 100 ticks a second), whichever thread reaped it.
 */
import { readFileSync } from 'node:fs';

export interface CpuMark {
  selfUs: number;
  childrenUs: number | null;
}

function childrenUs(): number | null {
  try {
    const text = readFileSync('/proc/self/stat', 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3; cutime is field 16, cstime field 17.
    return (Number(f[13]) + Number(f[14])) * 10_000;
  } catch {
    return null;
  }
}

export function cpuMark(): CpuMark {
  const { user, system } = process.cpuUsage();
  return { selfUs: user + system, childrenUs: childrenUs() };
}

export function cpuSince(mark: CpuMark): CpuMark {
  const now = cpuMark();
  return {
    selfUs: now.selfUs - mark.selfUs,
    childrenUs: now.childrenUs === null || mark.childrenUs === null ? null : now.childrenUs - mark.childrenUs,
  };
}
