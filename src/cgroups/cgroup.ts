/**
 * One run's cgroup, whichever the version: what the child joins, who is in it, signalling every member,
 * and what the run leaves behind (OOM, usage) before the folders are removed.
 */
import { randomBytes } from 'node:crypto';
import { readStatSync } from '../proc.js';

/** Figures the kernel kept for the run's whole cgroup (every process that was in it). */
export interface CgroupUsage {
  /** The cgroup version the run was placed in. */
  version: 1 | 2;
  /** CPU time, user plus system, milliseconds: v1 cpuacct.usage, v2 cpu.stat usage_usec. */
  cpuMs?: number;
  /** Peak memory charged to the cgroup (anonymous memory and page cache), bytes: v1 memory.max_usage_in_bytes, v2 memory.peak. */
  memoryPeakBytes?: number;
}

export interface CgroupOutcome {
  /** Set when the run had a memory cgroup: true when the kernel's OOM killer killed a process in it. */
  oomKilled?: boolean;
  cgroup: CgroupUsage;
}

export interface Cgroup {
  readonly version: 1 | 2;
  /** The run's folders (one per v1 hierarchy, or one v2 folder). */
  readonly dirs: readonly string[];
  /** The cgroup.procs files the child writes "0" into before its entrypoint runs. */
  readonly procs: readonly string[];
  /** Live members, the whole tree (a grandchild that called setsid included). */
  pids(): Promise<number[]>;
  /** Signals every member with no fork race (v1 under the freezer, v2 under cgroup.freeze); resolves how many. */
  signal(signal: number): Promise<number>;
  /** Once, after the run: reads OOM and usage, SIGKILLs what is left, removes the folders. Never rejects. */
  close(exitSignal: string | null): Promise<CgroupOutcome>;
  /** The process is dying: SIGKILL every member now, synchronously. The folders are left to the next start's sweep. */
  killSync(): void;
}

/** A run's folder name, `<id>@<pid>.<starttime>.<random>`: the owning process, so a later start can tell stale ones. */
export function runName(id: string): string {
  return `${id}@${process.pid}.${ownStartTime()}.${randomBytes(4).toString('hex')}`;
}

/** The owner part of a run's folder name. */
export const OWNER = /@(\d+)\.(\d+)\.[0-9a-f]{8}$/;

let startTime: number | undefined;

function ownStartTime(): number {
  startTime ??= readStatSync(process.pid)?.startTime ?? 0;
  return startTime;
}

/** Folder name of the parent that holds every run's cgroup, below the detected (or given) root. */
export const PARENT = 'execdriver';
