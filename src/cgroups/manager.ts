/**
 * The process driver's cgroups: detects the hierarchies once (at run time: v2 when the unified hierarchy
 * offers every controller the limits need, else v1), creates one cgroup per run with resources below
 * `<root>/execdriver/`, and on start sweeps the empty cgroups that dead supervisors left there.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Resources } from '../command.js';
import type { RunHooks } from '../drivers/driver.js';
import { isLive, readStat } from '../proc.js';
import { OWNER, PARENT, runName, type Cgroup } from './cgroup.js';
import {
  V1_CONTROLLERS, describeHierarchies, detectAt, detectDefault, type Hierarchies, type V1Controller,
} from './detect.js';
import { ErrCgroup, errorText } from './errors.js';
import { removeCgroup, writeValue } from './fs.js';
import { controllersOf, v1Files, v2Files } from './resources.js';
import { V1Cgroup } from './v1.js';
import { V2Cgroup, availableControllers, enableControllers } from './v2.js';

export class CgroupManager {
  /** The `cgroupRoot` option, or undefined for this process's own cgroups. */
  readonly root: string | undefined;
  #found: Promise<Hierarchies> | undefined;
  readonly #parents = new Map<string, Promise<void>>();
  readonly #live = new Set<Cgroup>();
  /** What the v2 folder offers (its cgroup.controllers), read once. */
  #available2: Promise<string[] | undefined> | undefined;

  constructor(root?: string) {
    this.root = root;
  }

  /** Detects the hierarchies and sweeps stale cgroups in the background; never rejects. */
  start(): void {
    this.#hierarchies().then(sweep).catch(() => {});
  }

  /** A new cgroup for a run of `id` with the limits applied, or ErrCgroup with nothing left behind. */
  async create(id: string, resources: Readonly<Resources>): Promise<Cgroup> {
    try {
      return await this.#create(id, resources);
    } catch (error) {
      if (!(error instanceof ErrCgroup) || (error.cause as NodeJS.ErrnoException)?.code !== 'ENOENT') throw error;
      this.#parents.clear(); // a parent folder was removed behind our back: make it again, once
      return this.#create(id, resources);
    }
  }

  async #create(id: string, resources: Readonly<Resources>): Promise<Cgroup> {
    const h = await this.#hierarchies();
    const name = runName(id);
    const files2 = v2Files(resources);
    const need2 = controllersOf(files2);
    this.#available2 ??= h.v2 === undefined ? Promise.resolve(undefined) : availableControllers(h.v2);
    const available2 = await this.#available2;
    let cgroup: Cgroup;
    if (h.v2 !== undefined && need2.every((c) => available2!.includes(c))) {
      const parent = join(h.v2, PARENT);
      await this.#ensure(parent, async () => {
        await enableControllers(h.v2!, need2);
        await makeParent(parent);
        await enableControllers(parent, need2);
      }, need2.join());
      cgroup = await V2Cgroup.create(parent, name, files2);
    } else {
      const files1 = v1Files(resources);
      const need1: V1Controller[] = [...controllersOf(files1), 'freezer'];
      const absent = need1.filter((c) => !h.v1.has(c));
      if (absent.length > 0) throw new ErrCgroup(this.#unavailable(h, available2, need2, need1));
      const parents = new Map<V1Controller, string>();
      // cpuacct and memory also join for accounting (result.cgroup, oomKilled) when they are mounted.
      const wanted = new Set<V1Controller>([...need1, 'cpuacct', 'memory']);
      for (const c of V1_CONTROLLERS) {
        if (!wanted.has(c) || !h.v1.has(c)) continue;
        const parent = join(h.v1.get(c)!, PARENT);
        await this.#ensure(parent, () => makeParent(parent));
        parents.set(c, parent);
      }
      cgroup = await V1Cgroup.create(parents, name, files1);
    }
    this.#live.add(cgroup);
    return cgroup;
  }

  /** The per-run hooks the Supervisor calls: members, signal, and the teardown after the run. */
  hooks(cgroup: Cgroup): RunHooks {
    return {
      pids: () => cgroup.pids().catch(() => []),
      // A failure (the folder went with the run's end) means nothing was signalled: the Supervisor falls back.
      signal: async (signal) => (await cgroup.signal(signal).catch(() => 0)) > 0,
      after: async (result) => {
        let outcome: Awaited<ReturnType<Cgroup['close']>>;
        try {
          outcome = await cgroup.close(result?.signal ?? null);
        } finally {
          this.#live.delete(cgroup); // also when the teardown failed: the exit hook must not walk it forever
        }
        if (!result) return {};
        return outcome.oomKilled === undefined ? { cgroup: outcome.cgroup } : { oomKilled: outcome.oomKilled, cgroup: outcome.cgroup };
      },
    };
  }

  /** The process is dying: SIGKILL every member of every live run's cgroup. */
  killAllSync(): void {
    for (const cgroup of this.#live) cgroup.killSync();
  }

  #hierarchies(): Promise<Hierarchies> {
    this.#found ??= this.root === undefined ? detectDefault() : detectAt(this.root);
    return this.#found;
  }

  /** Runs `make` once per parent folder (again after a failure). */
  async #ensure(parent: string, make: () => Promise<void>, key = ''): Promise<void> {
    const id = `${parent}\0${key}`;
    let ready = this.#parents.get(id);
    if (!ready) {
      ready = make();
      this.#parents.set(id, ready);
      ready.catch(() => this.#parents.delete(id));
    }
    await ready;
  }

  #unavailable(h: Hierarchies, available2: string[] | undefined, need2: string[], need1: string[]): string {
    const where = this.root === undefined ? 'this process sees' : `\`cgroupRoot\` ${JSON.stringify(this.root)} holds`;
    if (h.v2 === undefined && h.v1.size === 0) {
      return this.root === undefined
        ? 'no cgroup v1 or v2 hierarchy is mounted (/proc/self/mountinfo)'
        : `\`cgroupRoot\` ${JSON.stringify(this.root)} is not a cgroup folder: it holds neither cgroup.controllers (v2) nor controller folders such as memory/ and freezer/ (v1)`;
    }
    const want2 = need2.length > 0 ? `${plural(need2)} enabled in cgroup v2` : 'a cgroup v2 hierarchy';
    return `needs ${want2} or ${plural(need1)} of cgroup v1, and ${where} neither; ${describeHierarchies(h, available2)}`;
  }
}

function plural(controllers: readonly string[]): string {
  return `the ${controllers.join(', ')} controller${controllers.length > 1 ? 's' : ''}`;
}

async function makeParent(parent: string): Promise<void> {
  try {
    await mkdir(parent, { recursive: true });
  } catch (error) {
    throw new ErrCgroup(`cannot create the cgroup ${parent}: ${errorText(error)}`, { cause: error });
  }
}

/**
 * Removes the cgroups below every `execdriver/` whose owning process (pid and start time in the name) is
 * gone. rmdir fails on a cgroup that still has members: those (a restorable run, an orphan) stay, are
 * thawed in case their supervisor died while they were frozen, and go at a later start once empty.
 */
export async function sweep(h: Hierarchies): Promise<void> {
  const parents = [...new Set([...h.v1.values(), ...(h.v2 === undefined ? [] : [h.v2])])].map((d) => join(d, PARENT));
  for (const parent of parents) {
    let names: string[];
    try {
      names = await readdir(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      const owner = OWNER.exec(name);
      if (!owner || (await ownerAlive(Number(owner[1]), Number(owner[2])))) continue;
      const dir = join(parent, name);
      if (!(await removeCgroup(dir))) {
        await writeValue(join(dir, 'freezer.state'), 'THAWED').catch(() => {});
        await writeValue(join(dir, 'cgroup.freeze'), '0').catch(() => {});
      }
    }
  }
}

async function ownerAlive(pid: number, startTime: number): Promise<boolean> {
  const stat = await readStat(pid);
  return isLive(stat) && stat.startTime === startTime;
}
