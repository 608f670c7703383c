/**
 * cgroup v2: one folder in the unified hierarchy. Limits: memory.max, memory.swap.max, cpu.weight, with
 * the memory and cpu controllers enabled in the parents' cgroup.subtree_control. Members: cgroup.procs
 * (recursive). Kill: cgroup.kill for SIGKILL (kernel >= 5.14), else signal every member under
 * cgroup.freeze. OOM: the oom_kill counter of memory.events.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cgroup, CgroupOutcome } from './cgroup.js';
import { ErrCgroup, errorText } from './errors.js';
import {
  memberPids, memberPidsSync, readKeyed, readNumber, readText, removeCgroup, removeEmpty, signalPids, waitFor, writeValue,
} from './fs.js';
import type { LimitFile } from './resources.js';

/** The controllers `dir` can hand to its children (its cgroup.controllers). */
export async function availableControllers(dir: string): Promise<string[]> {
  return ((await readText(join(dir, 'cgroup.controllers'))) ?? '').split(/\s+/).filter(Boolean);
}

/**
 * Makes `controllers` available to the children of `dir` (+name in its cgroup.subtree_control), unless
 * they already are. cgroup v2 refuses this (EBUSY) in a cgroup that has processes of its own.
 */
export async function enableControllers(dir: string, controllers: readonly string[]): Promise<void> {
  if (controllers.length === 0) return;
  const available = await availableControllers(dir);
  const absent = controllers.filter((c) => !available.includes(c));
  if (absent.length > 0) {
    throw new ErrCgroup(`the cgroup v2 folder ${dir} does not offer the ${absent.join(', ')} controller` +
      ` (its cgroup.controllers: [${available.join(' ')}])`);
  }
  const file = join(dir, 'cgroup.subtree_control');
  const enabled = ((await readText(file)) ?? '').split(/\s+/);
  const missing = controllers.filter((c) => !enabled.includes(c));
  if (missing.length === 0) return;
  try {
    await writeValue(file, missing.map((c) => `+${c}`).join(' '));
  } catch (error) {
    const busy = (error as NodeJS.ErrnoException).code === 'EBUSY'
      ? ' (cgroup v2 lets no cgroup with processes of its own hand controllers to children: point `cgroupRoot` at a delegated cgroup without processes)'
      : '';
    throw new ErrCgroup(`cannot enable ${missing.join(', ')} in ${file}: ${errorText(error)}${busy}`, { cause: error });
  }
}

/** Writes the limit files into `dir` (an existing cgroup, or a folder laid out as one). */
export async function writeLimits(dir: string, files: readonly LimitFile[]): Promise<void> {
  for (const f of files) {
    try {
      await writeValue(join(dir, f.file), f.value);
    } catch (error) {
      if (f.optional && (error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the kernel does not offer it' : errorText(error);
      throw new ErrCgroup(`\`${f.field}\` needs ${f.file} = ${f.value} in ${dir}: ${why}`, { cause: error, field: f.field });
    }
  }
}

/** OOM and usage figures a finished run left in `dir`. */
export async function readOutcome(dir: string, hasMemory: boolean): Promise<CgroupOutcome> {
  const outcome: CgroupOutcome = { cgroup: { version: 2 } };
  if (hasMemory) outcome.oomKilled = ((await readKeyed(join(dir, 'memory.events')))?.get('oom_kill') ?? 0) > 0;
  const usec = (await readKeyed(join(dir, 'cpu.stat')))?.get('usage_usec');
  if (usec !== undefined) outcome.cgroup.cpuMs = usec / 1000;
  const peak = await readNumber(join(dir, 'memory.peak'));
  if (peak !== undefined) outcome.cgroup.memoryPeakBytes = peak;
  return outcome;
}

export class V2Cgroup implements Cgroup {
  readonly version = 2 as const;
  readonly dirs: readonly string[];
  readonly procs: readonly string[];
  readonly #dir: string;
  readonly #hasMemory: boolean;
  #closed: Promise<CgroupOutcome> | undefined;
  /** Signals go one at a time: a thaw must not end another signal's freeze. */
  #signals: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, hasMemory: boolean) {
    this.#dir = dir;
    this.#hasMemory = hasMemory;
    this.dirs = [dir];
    this.procs = [join(dir, 'cgroup.procs')];
  }

  /** Creates `name` below `parent` (whose subtree_control already has the controllers) and writes the limits. */
  static async create(parent: string, name: string, files: readonly LimitFile[]): Promise<V2Cgroup> {
    const dir = join(parent, name);
    try {
      await mkdir(dir);
    } catch (error) {
      throw new ErrCgroup(`cannot create the cgroup ${dir}: ${errorText(error)}`, { cause: error });
    }
    try {
      await writeLimits(dir, files);
    } catch (error) {
      await removeCgroup(dir);
      throw error;
    }
    return new V2Cgroup(dir, files.some((f) => f.controller === 'memory'));
  }

  pids(): Promise<number[]> {
    return memberPids(this.#dir);
  }

  signal(signal: number): Promise<number> {
    const next = this.#signals.then(() => this.#signal(signal));
    this.#signals = next.catch(() => {});
    return next;
  }

  async #signal(signal: number): Promise<number> {
    if (signal === 9) {
      const pids = await this.pids();
      if (pids.length === 0) return 0;
      try {
        await writeValue(join(this.#dir, 'cgroup.kill'), '1');
        return pids.length;
      } catch {
        // no cgroup.kill before Linux 5.14: signal each member, frozen
      }
    }
    return this.#frozen(async () => signalPids(await this.pids(), signal));
  }

  close(exitSignal: string | null): Promise<CgroupOutcome> {
    void exitSignal; // v2 counts OOM kills itself
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<CgroupOutcome> {
    const outcome = await readOutcome(this.#dir, this.#hasMemory);
    if (await removeEmpty(this.dirs)) return outcome;
    const populated = async () => (await readKeyed(join(this.#dir, 'cgroup.events')))?.get('populated') === 1;
    try {
      if (await populated()) await this.signal(9);
      await waitFor(async () => !(await populated()), 5000);
    } catch {
      // removed below if it can be
    }
    await removeCgroup(this.#dir, 2000);
    return outcome;
  }

  killSync(): void {
    try {
      const fd = openSync(join(this.#dir, 'cgroup.kill'), constants.O_WRONLY);
      try {
        writeSync(fd, '1');
      } finally {
        closeSync(fd);
      }
      return;
    } catch {
      for (let round = 0; round < 3; round++) if (signalPids(memberPidsSync(this.#dir), 9) === 0) return;
    }
  }

  /** Runs fn with every member frozen (cgroup.freeze, Linux >= 5.2), then thaws; without the file, unfrozen. */
  async #frozen<T>(fn: () => Promise<T>): Promise<T> {
    const freeze = join(this.#dir, 'cgroup.freeze');
    let frozen = false;
    try {
      await writeValue(freeze, '1');
      frozen = true;
      await waitFor(async () => (await readKeyed(join(this.#dir, 'cgroup.events')))?.get('frozen') === 1, 1000);
    } catch {
      // no cgroup.freeze: go ahead unfrozen
    }
    try {
      return await fn();
    } finally {
      if (frozen) await writeValue(freeze, '0').catch(() => {});
    }
  }
}
