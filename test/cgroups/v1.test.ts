/**
 * Resources through real cgroup v1 (the memory, cpu, cpuacct and freezer hierarchies mounted read-write,
 * as root): OOM kills, limits where the kernel reads them, setsid grandchildren, no folder left behind,
 * the stale sweep, and refusal with nothing spawned. Skipped, saying why, where that is not available.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { Command, ErrCgroup } from '../../src/index.js';
import { PARENT } from '../../src/cgroups/cgroup.js';
import { V1_CONTROLLERS, detectDefault, parseMountinfo } from '../../src/cgroups/detect.js';
import { memberPids, waitFor } from '../../src/cgroups/fs.js';
import { sweep } from '../../src/cgroups/manager.js';
import { isLive, readStat } from '../../src/proc.js';
import { fixture, supervisor, tmpfile } from '../helpers.js';

const MB = 1024 * 1024;
const h = await detectDefault();
const v1 = [...V1_CONTROLLERS].filter((c) => h.v1.has(c));
const skip = process.getuid?.() !== 0
  ? 'needs root'
  : v1.length < V1_CONTROLLERS.length ? `needs cgroup v1 ${V1_CONTROLLERS.join(', ')} (found: ${v1.join(', ') || 'none'})` : false;
const parents = [...new Set(h.v1.values())].map((d) => join(d, PARENT));

// Cleanup registry (supervisors: helpers.ts): whatever else a test made goes, also when it fails.
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
      for (const pid of await memberPids(dir)) killQuietly(pid);
      await waitFor(async () => rmdir(dir).then(() => true, () => false), 3000);
    }
  }
  ids.clear();
});

function newId(what: string): string {
  const id = `cgtest-${what}-${Math.random().toString(16).slice(2, 10)}`;
  ids.add(id);
  return id;
}

function killQuietly(pid: number): void {
  try {
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function tmp(): string {
  const { dir } = tmpfile();
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Run folders of `id` still present under execdriver/ in any hierarchy. */
async function strays(id: string): Promise<string[]> {
  const found: string[] = [];
  for (const parent of parents) {
    const names = await readdir(parent).catch(() => [] as string[]);
    for (const name of names) if (name.startsWith(`${id}@`)) found.push(join(parent, name));
  }
  return found;
}

/** The folder of `pid`'s cgroup in the v1 hierarchy holding `controller` (from its /proc/<pid>/cgroup). */
async function cgroupDir(pid: number, controller: string): Promise<string | undefined> {
  const mounts = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  const mount = mounts.find((m) => m.fstype === 'cgroup' && m.root === '/' && m.superOptions.includes(controller));
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  const path = text.split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller))?.split(':')[2];
  return mount && path ? join(mount.mountPoint, path) : undefined;
}

/** Waits until the child has joined its cgroup (it does so before its entrypoint runs). */
async function joined(pid: number, id: string): Promise<void> {
  const ok = await waitFor(async () => ((await cgroupDir(pid, 'freezer')) ?? '').includes(`/${PARENT}/${id}@`), 10_000);
  assert.ok(ok, `pid ${pid} never showed up in a cgroup of ${id}`);
}

async function firstLine(file: string): Promise<number> {
  let line = '';
  await waitFor(async () => {
    line = (await readFile(file, 'utf8').catch(() => '')).split('\n')[0]!;
    return /^\d+$/.test(line);
  }, 10_000);
  return Number(line);
}

function dead(pid: number, ms = 10_000): Promise<boolean> {
  return waitFor(async () => !isLive(await readStat(pid)), ms);
}

test('an allocation past the memory limit is OOM-killed and reported; one within it is not', { skip }, async () => {
  const s = supervisor();
  const id = newId('oom');
  const hog = new Command({
    id,
    entrypoint: '/bin/sh',
    arguments: ['-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'],
    resources: { memory: 50 * MB, memorySwap: 50 * MB },
  });
  const result = await s.run(hog);
  assert.equal(result.exitCode, 137);
  assert.equal(result.signal, 'SIGKILL');
  assert.equal(result.oomKilled, true);
  assert.equal(result.stdout, '');
  assert.equal(result.cgroup?.version, 1);
  const peak = result.cgroup?.memoryPeakBytes ?? 0;
  assert.ok(peak <= 50 * MB && peak > 10 * MB, `peak ${peak}`);
  assert.deepEqual(await strays(id), []);

  const fits = new Command({
    id: newId('fits'),
    entrypoint: '/bin/sh',
    arguments: ['-c', 'x=$(head -c 5000000 /dev/zero | tr "\\0" a); echo ${#x}'],
    resources: { memory: 50 * MB, memorySwap: 50 * MB },
  });
  const ok = await s.run(fits);
  assert.equal(ok.exitCode, 0);
  assert.equal(ok.stdout, '5000000\n');
  assert.equal(ok.oomKilled, false);
  assert.ok((ok.cgroup?.cpuMs ?? 0) > 0);
});

test('the limits and shares are written where the kernel reads them, while the command runs', { skip }, async () => {
  const s = supervisor();
  const id = newId('limits');
  const command = new Command({
    id, entrypoint: fixture('forever'), resources: { memory: 64 * MB, memorySwap: 96 * MB, cpuShares: 512 },
  });
  let pid = -1;
  const run = s.run(command, (c) => (pid = c.pid()));
  await waitFor(async () => pid > 0, 10_000);
  await joined(pid, id);
  const read = async (controller: string, file: string) => (await readFile(join((await cgroupDir(pid, controller))!, file), 'utf8')).trim();
  assert.equal(await read('memory', 'memory.limit_in_bytes'), String(64 * MB));
  assert.equal(await read('memory', 'memory.memsw.limit_in_bytes'), String(96 * MB));
  assert.equal(await read('cpu', 'cpu.shares'), '512');
  for (const c of V1_CONTROLLERS) {
    const dir = (await cgroupDir(pid, c))!;
    assert.match(dir, new RegExp(`/${PARENT}/${id}@\\d+\\.\\d+\\.[0-9a-f]{8}$`), c);
    assert.deepEqual(await memberPids(dir), [pid], c);
  }
  assert.deepEqual(await s.getPidsForContainer(id), [pid]);
  await s.kill(command, 'SIGKILL');
  const result = await run;
  assert.equal(result.signal, 'SIGKILL');
  assert.equal(result.oomKilled, false);
  assert.deepEqual(await strays(id), []);
});

test('a grandchild that called setsid is listed by getPidsForContainer and killed by kill', { skip }, async () => {
  const out = join(tmp(), 'out');
  const s = supervisor();
  const id = newId('setsid');
  const command = new Command({ id, entrypoint: fixture('trap-setsid-grandchild'), resources: { cpuShares: 256 } });
  const run = s.run(command, undefined, { stdout: { file: out } });
  const grandchild = await firstLine(out);
  cleanups.push(() => killQuietly(grandchild));
  const leader = command.pid();
  assert.notEqual((await readStat(grandchild))?.pgid, leader, 'the grandchild left the process group');
  const pids = await s.getPidsForContainer(id);
  assert.ok(pids.includes(leader) && pids.includes(grandchild), `${pids} has ${leader} and ${grandchild}`);

  await s.kill(command, 'SIGTERM'); // the leader traps it and runs on; the grandchild dies of it
  assert.ok(await dead(grandchild), 'the setsid grandchild was killed');
  assert.equal(s.info(id).isRunning(), true);
  await s.kill(command, 'SIGKILL');
  assert.equal((await run).signal, 'SIGKILL');
  assert.deepEqual(await strays(id), []);
});

test('control: without resources the same kill misses the setsid grandchild (so the test above can fail)', { skip }, async () => {
  const out = join(tmp(), 'out');
  const s = supervisor();
  const command = new Command({ id: newId('nocg'), entrypoint: fixture('trap-setsid-grandchild') });
  const run = s.run(command, undefined, { stdout: { file: out } });
  const grandchild = await firstLine(out);
  cleanups.push(() => killQuietly(grandchild));
  await s.kill(command, 'SIGTERM');
  await waitFor(async () => (await readFile(out, 'utf8')).includes('got-term'), 10_000);
  assert.equal(await dead(grandchild, 300), false, 'the grandchild outside the group survived');
  await s.kill(command, 'SIGKILL');
  await run;
});

test('no cgroup folder is left after a run, a crash, a kill and a timed-out run', { skip }, async () => {
  const s = supervisor();
  const resources = { memory: 32 * MB, cpuShares: 128 };

  const done = new Command({ id: newId('done'), entrypoint: '/bin/true', resources });
  assert.equal((await s.run(done)).exitCode, 0);
  assert.deepEqual(await strays(done.id), []);

  const crash = new Command({ id: newId('crash'), entrypoint: '/bin/sh', arguments: ['-c', 'kill -9 $$'], resources });
  const crashed = await s.run(crash);
  assert.equal(crashed.signal, 'SIGKILL');
  assert.equal(crashed.oomKilled, false);
  assert.deepEqual(await strays(crash.id), []);

  const killed = new Command({ id: newId('killed'), entrypoint: fixture('forever'), resources });
  const run = s.run(killed);
  await waitFor(async () => killed.pid() > 0, 10_000);
  await joined(killed.pid(), killed.id);
  await s.kill(killed);
  assert.equal((await run).signal, 'SIGTERM');
  assert.deepEqual(await strays(killed.id), []);

  // A timed-out run whose setsid grandchild escapes the process-group kill: the teardown kills it.
  const slow = new Command({ id: newId('timeout'), entrypoint: fixture('setsid-grandchild'), resources });
  const error = await s.run(slow, undefined, { timeout: 500 }).then(() => undefined, (e: unknown) => e);
  assert.equal((error as { code?: string }).code, 'ERR_WAIT_TIMEOUT_REACHED');
  const result = (error as { result: { stdout: string; timedOut: boolean } }).result;
  assert.equal(result.timedOut, true);
  const grandchild = Number(result.stdout.trim());
  cleanups.push(() => killQuietly(grandchild));
  assert.ok(grandchild > 0);
  assert.ok(await dead(grandchild), 'the teardown killed the escaped grandchild');
  assert.deepEqual(await strays(slow.id), []);
});

test('stale cgroups of a dead supervisor: empty ones are removed on start, ones in use are left', { skip }, async () => {
  const dir = tmp();
  const id = newId('stale');
  const script = join(dir, 'owner.mjs');
  const index = new URL('../../src/index.js', import.meta.url).href;
  await writeFile(script, `import { Supervisor, Command } from ${JSON.stringify(index)};
const s = new Supervisor();
s.run(new Command({ id: ${JSON.stringify(id)}, entrypoint: ${JSON.stringify(fixture('forever'))}, resources: { cpuShares: 64 } }),
  (c) => console.log(c.pid())).catch(() => {});
`);
  const owner = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => killQuietly(owner.pid!));
  const orphan = await new Promise<number>((resolve) => owner.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  cleanups.push(() => killQuietly(orphan));
  await joined(orphan, id);
  owner.kill('SIGKILL'); // the supervisor dies without cleaning up; its child lives on in the cgroup
  await new Promise((resolve) => owner.once('exit', resolve));
  assert.equal((await strays(id)).length, parents.length);

  // A folder of a live owner (this process) is never swept.
  const self = await readStat(process.pid);
  const mine = join(parents[0]!, `${newId('live')}@${process.pid}.${self!.startTime}.0badf00d`);
  await mkdir(mine);
  cleanups.push(() => rmdir(mine));

  await sweep(h); // in use: left (and thawed)
  assert.equal((await strays(id)).length, parents.length);
  assert.ok(isLive(await readStat(orphan)));
  killQuietly(orphan);
  await dead(orphan);
  supervisor(); // a new supervisor sweeps on start
  assert.ok(await waitFor(async () => (await strays(id)).length === 0, 10_000), 'the empty stale folders were removed');
  assert.ok(existsSync(mine), "a live owner's folder stays");
});

test('refused with nothing spawned: cgroupRoot missing', { skip }, async () => {
  const dir = tmp();
  const marker = join(dir, 'ran');
  const s = supervisor({ cgroupRoot: join(dir, 'no-such-folder') });
  let started = false;
  s.on('start', () => (started = true));
  const command = new Command({ id: newId('missing'), entrypoint: '/bin/touch', arguments: [marker], resources: { memory: 64 * MB } });
  const error = await s.run(command).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ErrCgroup, String(error));
  assert.equal(error.code, 'ERR_CGROUP');
  assert.match(error.message, /`cgroupRoot` ".*no-such-folder" is not a cgroup folder/);
  assert.equal(started, false);
  assert.equal(existsSync(marker), false);
});

test('refused with nothing spawned or left: one hierarchy read-only, the ones already made are removed', { skip }, async (t) => {
  // Not tmp(): the folder holds a mount of the real freezer hierarchy, never to be removed recursively.
  const { dir } = tmpfile();
  const root = join(dir, 'root');
  const freezer = join(root, 'freezer');
  await mkdir(freezer, { recursive: true });
  // memory: the real, writable hierarchy (at our own cgroup); freezer: a read-only bind mount of the real one.
  await symlink(h.v1.get('memory')!, join(root, 'memory'));
  try {
    execFileSync('mount', ['--bind', '-o', 'ro', h.v1.get('freezer')!, freezer], { stdio: 'pipe' });
  } catch (error) {
    await rm(dir, { recursive: true });
    t.skip(`cannot bind-mount read-only here: ${(error as Error).message}`);
    return;
  }
  cleanups.push(async () => {
    execFileSync('umount', [freezer]);
    await rm(dir, { recursive: true }); // only once nothing is mounted below it
  });
  const marker = join(dir, 'ran');
  const s = supervisor({ cgroupRoot: root });
  const command = new Command({ id: newId('ro'), entrypoint: '/bin/touch', arguments: [marker], resources: { memory: 64 * MB } });
  await assert.rejects(s.run(command), (error: unknown) => {
    assert.ok(error instanceof ErrCgroup);
    assert.match(error.message, /cannot create the cgroup .*freezer.*: EROFS/);
    return true;
  });
  assert.equal(existsSync(marker), false);
  assert.deepEqual(await strays(command.id), []);
});

test('the embedding process exits: the exit hook kills every cgroup member, the next start removes the folders', { skip }, async () => {
  const dir = tmp();
  const id = newId('exit');
  const out = join(dir, 'out');
  const script = join(dir, 'app.mjs');
  const index = new URL('../../src/index.js', import.meta.url).href;
  await writeFile(script, `import { readFileSync } from 'node:fs';
import { Supervisor, Command } from ${JSON.stringify(index)};
const s = new Supervisor({ maxWorkers: 1 });
s.run(new Command({ id: ${JSON.stringify(id)}, entrypoint: ${JSON.stringify(fixture('setsid-grandchild'))}, resources: { cpuShares: 64 } }),
  undefined, { stdout: { file: ${JSON.stringify(out)} } }).catch(() => {});
while (!/^\\d+\\n/.test(readFileSync(${JSON.stringify(out)}, { encoding: 'utf8', flag: 'a+' }))) await new Promise((r) => setTimeout(r, 10));
process.exit(0);
`);
  const app = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'inherit'] });
  cleanups.push(() => killQuietly(app.pid!));
  const [code] = await new Promise<[number | null]>((resolve) => app.once('exit', (c) => resolve([c])));
  assert.equal(code, 0);
  const grandchild = await firstLine(out);
  cleanups.push(() => killQuietly(grandchild));
  assert.ok(await dead(grandchild), 'the setsid grandchild died with the application');
  supervisor();
  assert.ok(await waitFor(async () => (await strays(id)).length === 0, 10_000), 'the next start removed the folders');
});

test('a user with resources: the child joins as root, then runs as the user', { skip }, async () => {
  const s = supervisor();
  const command = new Command({
    id: newId('user'), entrypoint: '/bin/sh', arguments: ['-c', 'id -u; id -G; grep freezer /proc/self/cgroup'], user: 'nobody',
    resources: { memory: 64 * MB },
  });
  const result = await s.run(command);
  assert.equal(result.exitCode, 0, result.stderr);
  const [uid, groups, freezer] = result.stdout!.trim().split('\n');
  assert.equal(uid, '65534');
  assert.equal(groups, '65534');
  assert.match(freezer!, new RegExp(`freezer:/${PARENT}/${command.id}@`));
});

test('a run refused after its cgroup was made (aborted, supervisor closing) leaves no folder and spawns nothing', { skip }, async () => {
  const dir = tmp();
  const marker = join(dir, 'ran');
  const s = supervisor();
  const aborted = new Command({ id: newId('abort'), entrypoint: '/bin/touch', arguments: [marker], resources: { cpuShares: 64 } });
  const controller = new AbortController();
  const run = s.run(aborted, undefined, { signal: controller.signal });
  controller.abort(); // while the driver prepares (makes the cgroup)
  await assert.rejects(run, { code: 'ERR_RUN_ABORTED' });
  assert.deepEqual(await strays(aborted.id), []);

  const closing = new Command({ id: newId('closing'), entrypoint: '/bin/touch', arguments: [marker], resources: { cpuShares: 64 } });
  const late = s.run(closing);
  const closed = s.close();
  await assert.rejects(late, { code: 'ERR_SUPERVISOR_CLOSED' });
  await closed;
  assert.deepEqual(await strays(closing.id), []);
  assert.equal(existsSync(marker), false);
});
