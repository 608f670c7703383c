/**
 * Resources -> cgroup files. Pure: which file gets which value, per cgroup version, as Docker and runc
 * write them. memorySwap is memory plus swap (Docker's meaning): -1 = unlimited swap, 0 = Docker's
 * default of as much swap as memory, N = memory + swap together at most N bytes.
 */
import type { Resources } from '../command.js';
import { invalid } from '../errors.js';

/** One value to write into one file of the run's cgroup. */
export interface LimitFile {
  /** The controller whose hierarchy holds the file (v1) or that must be enabled for it (v2). */
  controller: 'memory' | 'cpu';
  file: string;
  value: string;
  /** The Command field the value comes from, for error messages. */
  field: string;
  /** Skipped without error when the kernel lacks the file (Docker's default swap where swap accounting is off). */
  optional?: boolean;
}

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;

/** True when the command needs a cgroup: any of its resources is set. */
export function needsCgroup(r: Readonly<Resources> | null): r is Readonly<Resources> {
  return r !== null && (r.memory > 0 || r.memorySwap !== 0 || r.cpuShares > 0);
}

/** Throws a TypeError naming the field for values a cgroup cannot take (Command checked the rest). */
export function checkResources(r: Readonly<Resources>): void {
  if (r.cpuShares !== 0 && (r.cpuShares < MIN_SHARES || r.cpuShares > MAX_SHARES)) {
    throw invalid("the Command's `resources.cpuShares`", `0 (default) or an integer from ${MIN_SHARES} to ${MAX_SHARES}`, r.cpuShares);
  }
}

/** runc's conversion of cgroup v1 cpu.shares [2, 262144] to cgroup v2 cpu.weight [1, 10000]. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.trunc(((shares - 2) * 9999) / 262142);
}

/** memory.limit_in_bytes, memory.memsw.limit_in_bytes (memory + swap), cpu.shares. */
export function v1Files(r: Readonly<Resources>): LimitFile[] {
  const files: LimitFile[] = [];
  if (r.memory > 0) {
    files.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(r.memory), field: 'resources.memory' });
    if (r.memorySwap > 0) {
      files.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(r.memorySwap), field: 'resources.memorySwap' });
    } else if (r.memorySwap === 0) {
      files.push({
        controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(2 * r.memory), field: 'resources.memory', optional: true,
      });
    }
  }
  if (r.cpuShares > 0) files.push({ controller: 'cpu', file: 'cpu.shares', value: String(r.cpuShares), field: 'resources.cpuShares' });
  return files;
}

/** memory.max, memory.swap.max (swap alone: memorySwap - memory, "max" for -1), cpu.weight. */
export function v2Files(r: Readonly<Resources>): LimitFile[] {
  const files: LimitFile[] = [];
  if (r.memory > 0) {
    files.push({ controller: 'memory', file: 'memory.max', value: String(r.memory), field: 'resources.memory' });
    if (r.memorySwap > 0) {
      files.push({ controller: 'memory', file: 'memory.swap.max', value: String(r.memorySwap - r.memory), field: 'resources.memorySwap' });
    } else if (r.memorySwap === 0) {
      files.push({ controller: 'memory', file: 'memory.swap.max', value: String(r.memory), field: 'resources.memory', optional: true });
    } else {
      files.push({ controller: 'memory', file: 'memory.swap.max', value: 'max', field: 'resources.memorySwap', optional: true });
    }
  }
  if (r.cpuShares > 0) {
    files.push({ controller: 'cpu', file: 'cpu.weight', value: String(sharesToWeight(r.cpuShares)), field: 'resources.cpuShares' });
  }
  return files;
}

/** The controllers the limit files need, in a stable order. */
export function controllersOf(files: readonly LimitFile[]): Array<'memory' | 'cpu'> {
  return (['memory', 'cpu'] as const).filter((c) => files.some((f) => f.controller === c));
}
