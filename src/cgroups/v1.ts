/**
 * cgroup v1: one folder per hierarchy (memory, cpu, cpuacct, freezer; co-mounted ones share a folder).
 * Limits: memory.limit_in_bytes, memory.memsw.limit_in_bytes, cpu.shares. Members and kill: the freezer
 * hierarchy (freeze, signal every member, thaw, so nothing forks past the signal). OOM: the oom_kill
 * counter of memory.oom_control (kernel >= 4.13), else memory.failcnt and a SIGKILL death.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cgroup, CgroupOutcome, CgroupUsage } from './cgroup.js';
import type { V1Controller } from './detect.js';
import { ErrCgroup, errorText } from './errors.js';
import { memberPids, memberPidsSync, readKeyed, readNumber, readText, removeCgroup, removeEmpty, signalPids, waitFor, writeValue } from './fs.js';
import type { LimitFile } from './resources.js';

/** Order of creation and of removal: limits first, the freezer (tracking) last. */
const ORDER: readonly V1Controller[] = ['memory', 'cpu', 'cpuacct', 'freezer'];

export class V1Cgroup implements Cgroup {
  readonly version = 1 as const;
  readonly dirs: readonly string[];
  readonly procs: readonly string[];
  readonly #at: ReadonlyMap<V1Controller, string>;
  #closed: Promise<CgroupOutcome> | undefined;
  /** Signals go one at a time: a thaw must not end another signal's freeze. */
  #signals: Promise<unknown> = Promise.resolve();

  private constructor(at: Map<V1Controller, string>) {
    this.#at = at;
    this.dirs = [...new Set(at.values())];
    this.procs = this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /**
   * Creates `name` below each parent (controller -> parent folder; freezer required) and writes the
   * limits. On any failure removes what it made and throws ErrCgroup naming the folder or the field.
   */
  static async create(parents: ReadonlyMap<V1Controller, string>, name: string, files: readonly LimitFile[]): Promise<V1Cgroup> {
    const at = new Map<V1Controller, string>();
    for (const c of ORDER) if (parents.has(c)) at.set(c, join(parents.get(c)!, name));
    const cgroup = new V1Cgroup(at);
    // One folder per hierarchy, made side by side; the first failure (in ORDER) is the one reported.
    const made = await Promise.allSettled(cgroup.dirs.map((dir) => mkdir(dir)));
    const failed = made.findIndex((m) => m.status === 'rejected');
    try {
      if (failed >= 0) {
        const error = (made[failed] as PromiseRejectedResult).reason;
        throw new ErrCgroup(`cannot create the cgroup ${cgroup.dirs[failed]}: ${errorText(error)}`, { cause: error });
      }
      for (const f of files) await writeLimit(at.get(f.controller)!, f); // in order: memory before memsw
    } catch (error) {
      await Promise.all(cgroup.dirs.filter((_, i) => made[i]!.status === 'fulfilled').map((dir) => removeCgroup(dir)));
      throw error;
    }
    return cgroup;
  }

  pids(): Promise<number[]> {
    return memberPids(this.#at.get('freezer')!);
  }

  signal(signal: number): Promise<number> {
    const next = this.#signals.then(() => this.#signal(signal));
    this.#signals = next.catch(() => {});
    return next;
  }

  async #signal(signal: number): Promise<number> {
    return this.#frozen(async () => signalPids(await this.pids(), signal));
  }

  close(exitSignal: string | null): Promise<CgroupOutcome> {
    this.#closed ??= this.#close(exitSignal);
    return this.#closed;
  }

  async #close(exitSignal: string | null): Promise<CgroupOutcome> {
    const memory = this.#at.get('memory');
    const cpuacct = this.#at.get('cpuacct');
    const outcome: CgroupOutcome = { cgroup: { version: 1 } };
    await Promise.all([
      memory && oomKilled(memory, exitSignal).then((killed) => (outcome.oomKilled = killed)),
      usage(outcome.cgroup, memory, cpuacct),
    ]);
    // The freezer folder goes last: while it is there, what is left can be found and killed.
    const freezer = this.#at.get('freezer')!;
    const others = this.dirs.filter((d) => d !== freezer);
    if ((await Promise.all(others.map((d) => removeEmpty([d])))).every(Boolean) && (await removeEmpty([freezer]))) return outcome;
    try {
      if ((await this.pids()).length > 0) await this.signal(9);
      await waitFor(async () => (await this.pids()).length === 0, 5000);
    } catch {
      // the folders go below anyway if they can
    }
    for (const dir of this.dirs) await removeCgroup(dir, 2000);
    return outcome;
  }

  killSync(): void {
    const freezer = this.#at.get('freezer')!;
    for (let round = 0; round < 3; round++) if (signalPids(memberPidsSync(freezer), 9) === 0) return;
  }

  /**
   * Runs fn with every member frozen, then thaws. A freeze can stay FREEZING (a member in
   * uninterruptible sleep): as runc does, thaw and try again, and after a few tries go ahead unfrozen.
   */
  async #frozen<T>(fn: () => Promise<T>): Promise<T> {
    const state = join(this.#at.get('freezer')!, 'freezer.state');
    for (let attempt = 0; attempt < 4; attempt++) {
      await writeValue(state, 'FROZEN');
      if (await waitFor(async () => (await readText(state))?.trim() === 'FROZEN', 100 * (attempt + 1))) break;
      await writeValue(state, 'THAWED');
    }
    try {
      return await fn();
    } finally {
      await writeValue(state, 'THAWED').catch(() => {});
    }
  }
}

async function writeLimit(dir: string, f: LimitFile): Promise<void> {
  try {
    await writeValue(join(dir, f.file), f.value);
  } catch (error) {
    if (f.optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the kernel does not offer it (swap accounting off?)' : errorText(error);
    throw new ErrCgroup(`\`${f.field}\` needs ${f.file} = ${f.value} in ${dir}: ${why}`, { cause: error, field: f.field });
  }
}

async function oomKilled(memory: string, exitSignal: string | null): Promise<boolean> {
  const control = await readKeyed(join(memory, 'memory.oom_control'));
  const kills = control?.get('oom_kill');
  if (kills !== undefined) return kills > 0;
  const fails = ((await readNumber(join(memory, 'memory.failcnt'))) ?? 0) + ((await readNumber(join(memory, 'memory.memsw.failcnt'))) ?? 0);
  return fails > 0 && exitSignal === 'SIGKILL';
}

async function usage(into: CgroupUsage, memory: string | undefined, cpuacct: string | undefined): Promise<void> {
  const [ns, peak] = await Promise.all([
    cpuacct === undefined ? undefined : readNumber(join(cpuacct, 'cpuacct.usage')),
    memory === undefined ? undefined : readNumber(join(memory, 'memory.max_usage_in_bytes')),
  ]);
  if (ns !== undefined) into.cpuMs = ns / 1e6;
  if (peak !== undefined) into.memoryPeakBytes = peak;
}
