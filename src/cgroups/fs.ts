/** Small file operations on cgroup folders: one write per value, pid lists, waiting, removal. */
import { constants, readFileSync, readdirSync } from 'node:fs';
import { readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** No O_CREAT: a file the kernel does not offer is ENOENT, never a new regular file. */
const WRITE = constants.O_WRONLY | constants.O_TRUNC;

/** Writes one value (the kernel parses each write(2) as one value). */
export function writeValue(path: string, value: string): Promise<void> {
  return writeFile(path, value, { flag: WRITE });
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** "key value" lines (memory.events, cpu.stat, memory.oom_control) as a map. */
export async function readKeyed(path: string): Promise<Map<string, number> | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) map.set(key, Number(value));
  }
  return map;
}

export async function readNumber(path: string): Promise<number | undefined> {
  const text = (await readText(path))?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** The folder and every cgroup below it, children first. */
export async function subtree(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const below = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => subtree(join(dir, e.name))));
  return [...below.flat(), dir];
}

/** Pids in cgroup.procs of the folder and of every cgroup below it (a child may nest its own). */
export async function memberPids(dir: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const d of await subtree(dir)) {
    for (const line of ((await readText(join(d, 'cgroup.procs'))) ?? '').split('\n')) {
      const pid = Number(line);
      if (Number.isSafeInteger(pid) && pid > 0) pids.add(pid);
    }
  }
  return [...pids].sort((a, b) => a - b);
}

/** memberPids, synchronously (for the exit hook). */
export function memberPidsSync(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string) => {
    try {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
      for (const line of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (Number(line) > 0) pids.push(Number(line));
    } catch {
      // gone
    }
  };
  walk(dir);
  return pids;
}

/** Sends the signal to each pid; never to pid <= 0 or to this process. Returns how many were signalled. */
export function signalPids(pids: readonly number[], signal: number): number {
  let sent = 0;
  for (const pid of pids) {
    if (pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, signal);
      sent++;
    } catch {
      // ESRCH: it exited meanwhile
    }
  }
  return sent;
}

/** Polls `check` with a growing delay (1 ms .. 50 ms) until it holds or `ms` have passed. */
export async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(delay);
  }
}

/**
 * The fast path after a run: rmdir each folder in order, stopping at the first that still has members
 * or cgroups below it (EBUSY). True when every one is gone.
 */
export async function removeEmpty(dirs: readonly string[]): Promise<boolean> {
  for (const dir of dirs) {
    try {
      await rmdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
  }
  return true;
}

/**
 * Removes the folder and the cgroups below it, children first. rmdir of a cgroup with members fails
 * (EBUSY), so this never removes a cgroup in use; with `retryMs` it retries EBUSY that long (a killed
 * member may need a moment to leave). Returns false when something is left.
 */
export async function removeCgroup(dir: string, retryMs = 0): Promise<boolean> {
  for (const d of await subtree(dir)) {
    const removed = await waitFor(async () => {
      try {
        await rmdir(d);
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return true;
        if (code === 'EBUSY' || code === 'ENOTEMPTY') return false;
        throw error;
      }
    }, retryMs).catch(() => false);
    if (!removed) return false;
  }
  return true;
}
