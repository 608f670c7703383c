/**
 * cgroup v2. This machine's unified hierarchy (/sys/fs/cgroup/unified) is real but offers no memory or cpu
 * controller (cgroup v1 holds them, and they cannot be moved while v1 uses them), so:
 * - against the real v2 hierarchy: create, join before exec, members, freeze + signal, cgroup.kill,
 *   removal, and refusal of limits whose controller it does not offer;
 * - against a folder laid out as a v2 cgroup: enabling controllers, the limit files and their values,
 *   reading oom_kill, cpu.stat and memory.peak.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { Command, ErrCgroup } from '../../src/index.js';
import { PARENT } from '../../src/cgroups/cgroup.js';
import { detectDefault } from '../../src/cgroups/detect.js';
import { memberPids, waitFor } from '../../src/cgroups/fs.js';
import { v2Files } from '../../src/cgroups/resources.js';
import { enableControllers, readOutcome, writeLimits } from '../../src/cgroups/v2.js';
import { isLive, readStat } from '../../src/proc.js';
import { fixture, supervisor, tmpfile } from '../helpers.js';

const MB = 1024 * 1024;
const CGROUP2_SUPER_MAGIC = 0x63677270;
const unified = (await detectDefault()).v2;
const isCgroup2 = unified !== undefined && (await statfs(unified).then((s) => s.type === CGROUP2_SUPER_MAGIC, () => false));
const skipReal = process.getuid?.() !== 0 ? 'needs root' : !isCgroup2 ? 'needs a mounted cgroup v2 hierarchy' : false;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
const ids = new Set<string>();
afterEach(async () => {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      console.error('cleanup:', error);
    }
  }
  for (const id of ids) {
    for (const dir of await strays(id)) {
      await writeFile(join(dir, 'cgroup.kill'), '1').catch(() => {});
      await waitFor(async () => rmdir(dir).then(() => true, () => false), 3000);
    }
  }
  ids.clear();
});

function newId(what: string): string {
  const id = `cgtest2-${what}-${Math.random().toString(16).slice(2, 10)}`;
  ids.add(id);
  return id;
}

function tmp(): string {
  const { dir } = tmpfile();
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function strays(id: string): Promise<string[]> {
  if (!unified) return [];
  const names = await readdir(join(unified, PARENT)).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`${id}@`)).map((n) => join(unified, PARENT, n));
}

function dead(pid: number, ms = 10_000): Promise<boolean> {
  return waitFor(async () => !isLive(await readStat(pid)), ms);
}

/** A folder laid out as a v2 cgroup: what the kernel would offer, as empty files. */
async function fakeCgroup(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
}

test('real v2: the child joins before exec, a setsid grandchild is a member, kill reaches it, nothing is left', { skip: skipReal }, async () => {
  const out = join(tmp(), 'out');
  const s = supervisor({ cgroupRoot: unified });
  const id = newId('real');
  // memorySwap -1 alone needs no controller: a cgroup with no limits, for members and kill.
  const command = new Command({ id, entrypoint: fixture('trap-setsid-grandchild'), resources: { memorySwap: -1 } });
  const run = s.run(command, undefined, { stdout: { file: out } });
  let grandchild = 0;
  await waitFor(async () => (grandchild = Number((await readFile(out, 'utf8').catch(() => '')).split('\n')[0])) > 0, 10_000);
  cleanups.push(() => {
    try {
      process.kill(grandchild, 'SIGKILL');
    } catch {
      // gone
    }
  });
  const leader = command.pid();
  const [dir] = await strays(id);
  assert.ok(dir, 'the run has a v2 cgroup');
  assert.equal((await readFile(`/proc/${leader}/cgroup`, 'utf8')).split('\n').find((l) => l.startsWith('0::')),
    `0::/${PARENT}/${dir!.split('/').pop()}`);
  const pids = await s.getPidsForContainer(id);
  assert.ok(pids.includes(leader) && pids.includes(grandchild), `${pids} has ${leader} and ${grandchild}`);
  assert.deepEqual(await memberPids(dir!), pids);

  await s.kill(command, 'SIGTERM'); // under cgroup.freeze: the trapping leader lives, the grandchild dies
  assert.ok(await dead(grandchild), 'the setsid grandchild was killed');
  assert.equal((await readFile(join(dir!, 'cgroup.freeze'), 'utf8')).trim(), '0', 'thawed again');
  assert.equal(s.info(id).isRunning(), true);
  await s.kill(command, 'SIGKILL'); // cgroup.kill
  const result = await run;
  assert.equal(result.signal, 'SIGKILL');
  assert.equal(result.oomKilled, undefined, 'no memory cgroup, no OOM verdict');
  assert.equal(result.cgroup?.version, 2);
  assert.ok((result.cgroup?.cpuMs ?? 0) > 0, 'cpu.stat usage_usec is core v2');
  assert.deepEqual(await strays(id), []);
});

test('real v2: limits whose controller the hierarchy does not offer are refused, nothing spawned or left', { skip: skipReal }, async (t) => {
  const offered = (await readFile(join(unified!, 'cgroup.controllers'), 'utf8')).split(/\s+/);
  if (offered.includes('memory')) return t.skip('this v2 hierarchy offers memory');
  const marker = join(tmp(), 'ran');
  const s = supervisor({ cgroupRoot: unified });
  const command = new Command({ id: newId('nomem'), entrypoint: '/bin/touch', arguments: [marker], resources: { memory: 64 * MB } });
  await assert.rejects(s.run(command), (error: unknown) => {
    assert.ok(error instanceof ErrCgroup);
    assert.match(error.message, /needs the memory controller enabled in cgroup v2 or the memory, freezer controllers of cgroup v1, and `cgroupRoot` ".*unified" holds neither/);
    assert.match(error.message, /cgroup v2: .*unified with controllers \[/);
    return true;
  });
  assert.equal(existsSync(marker), false);
  assert.deepEqual(await strays(command.id), []);
});

test('fake v2 folder: controllers enabled in subtree_control, limits written, refusals name what is missing', async () => {
  const root = tmp();
  await fakeCgroup(root, { 'cgroup.controllers': 'cpuset cpu io memory pids\n', 'cgroup.subtree_control': '' });
  await enableControllers(root, ['memory', 'cpu']);
  assert.equal(await readFile(join(root, 'cgroup.subtree_control'), 'utf8'), '+memory +cpu');
  await writeFile(join(root, 'cgroup.subtree_control'), 'cpu memory\n');
  await enableControllers(root, ['memory', 'cpu']); // already enabled: nothing written
  assert.equal(await readFile(join(root, 'cgroup.subtree_control'), 'utf8'), 'cpu memory\n');
  await assert.rejects(enableControllers(root, ['hugetlb']), /does not offer the hugetlb controller \(its cgroup.controllers: \[cpuset cpu io memory pids\]\)/);

  const run = join(root, 'run');
  await fakeCgroup(run, { 'memory.max': '', 'memory.swap.max': '', 'cpu.weight': '' });
  await writeLimits(run, v2Files({ memory: 50 * MB, memorySwap: 80 * MB, cpuShares: 1024 }));
  assert.equal(await readFile(join(run, 'memory.max'), 'utf8'), String(50 * MB));
  assert.equal(await readFile(join(run, 'memory.swap.max'), 'utf8'), String(30 * MB));
  assert.equal(await readFile(join(run, 'cpu.weight'), 'utf8'), '39');

  // No memory.swap.max (swap accounting off): an explicit memorySwap is refused naming the field; Docker's default is skipped.
  const noswap = join(root, 'noswap');
  await fakeCgroup(noswap, { 'memory.max': '' });
  await assert.rejects(writeLimits(noswap, v2Files({ memory: 50 * MB, memorySwap: 50 * MB, cpuShares: 0 })), (error: unknown) => {
    assert.ok(error instanceof ErrCgroup);
    assert.equal(error.field, 'resources.memorySwap');
    assert.match(error.message, /`resources.memorySwap` needs memory.swap.max = 0 in .*noswap: the kernel does not offer it/);
    return true;
  });
  await writeLimits(noswap, v2Files({ memory: 50 * MB, memorySwap: 0, cpuShares: 0 }));
  assert.equal(await readFile(join(noswap, 'memory.max'), 'utf8'), String(50 * MB));
});

test('fake v2 folder: oom_kill from memory.events, cpu.stat usage_usec, memory.peak', async () => {
  const dir = tmp();
  await fakeCgroup(dir, {
    'memory.events': 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n',
    'cpu.stat': 'usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n',
    'memory.peak': '52428800\n',
  });
  assert.deepEqual(await readOutcome(dir, true), { oomKilled: true, cgroup: { version: 2, cpuMs: 123.456, memoryPeakBytes: 52428800 } });
  await writeFile(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
  assert.equal((await readOutcome(dir, true)).oomKilled, false);
  assert.equal((await readOutcome(dir, false)).oomKilled, undefined);
});
