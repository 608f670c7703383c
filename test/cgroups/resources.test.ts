/** Resources -> cgroup files, and the validation that runs before anything is spawned. No cgroup needed. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command, Supervisor } from '../../src/index.js';
import { checkResources, needsCgroup, sharesToWeight, v1Files, v2Files } from '../../src/cgroups/resources.js';

const MB = 1024 * 1024;
const files = (list: { file: string; value: string }[]) => Object.fromEntries(list.map((f) => [f.file, f.value]));

test('cpu.shares converts to cpu.weight as runc does', () => {
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(sharesToWeight(512), 20);
});

test('cgroup v1 files: memory, memory + swap (Docker), cpu.shares', () => {
  assert.deepEqual(files(v1Files({ memory: 50 * MB, memorySwap: 50 * MB, cpuShares: 512 })), {
    'memory.limit_in_bytes': String(50 * MB),
    'memory.memsw.limit_in_bytes': String(50 * MB),
    'cpu.shares': '512',
  });
  // memorySwap 0 with memory: Docker's default, as much swap as memory (optional where the kernel lacks memsw).
  const dflt = v1Files({ memory: 50 * MB, memorySwap: 0, cpuShares: 0 });
  assert.deepEqual(files(dflt), { 'memory.limit_in_bytes': String(50 * MB), 'memory.memsw.limit_in_bytes': String(100 * MB) });
  assert.equal(dflt[1]!.optional, true);
  // -1: unlimited swap, nothing written for it.
  assert.deepEqual(files(v1Files({ memory: 50 * MB, memorySwap: -1, cpuShares: 0 })), { 'memory.limit_in_bytes': String(50 * MB) });
  // An explicit memorySwap is never optional: refused where the kernel cannot apply it.
  assert.equal(v1Files({ memory: 50 * MB, memorySwap: 80 * MB, cpuShares: 0 })[1]!.optional, undefined);
});

test('cgroup v2 files: memory.max, memory.swap.max = memorySwap - memory ("max" for -1), cpu.weight', () => {
  assert.deepEqual(files(v2Files({ memory: 50 * MB, memorySwap: 80 * MB, cpuShares: 1024 })), {
    'memory.max': String(50 * MB),
    'memory.swap.max': String(30 * MB),
    'cpu.weight': '39',
  });
  assert.deepEqual(files(v2Files({ memory: 50 * MB, memorySwap: 50 * MB, cpuShares: 0 })), { 'memory.max': String(50 * MB), 'memory.swap.max': '0' });
  assert.deepEqual(files(v2Files({ memory: 50 * MB, memorySwap: -1, cpuShares: 0 })), { 'memory.max': String(50 * MB), 'memory.swap.max': 'max' });
  assert.deepEqual(files(v2Files({ memory: 50 * MB, memorySwap: 0, cpuShares: 0 })), { 'memory.max': String(50 * MB), 'memory.swap.max': String(50 * MB) });
});

test('which commands need a cgroup', () => {
  assert.equal(needsCgroup(null), false);
  assert.equal(needsCgroup({ memory: 0, memorySwap: 0, cpuShares: 0 }), false);
  assert.equal(needsCgroup({ memory: 0, memorySwap: -1, cpuShares: 0 }), true);
  assert.equal(needsCgroup({ memory: 0, memorySwap: 0, cpuShares: 2 }), true);
});

test('out-of-range values are refused naming the field and the value', () => {
  assert.throws(() => checkResources({ memory: 0, memorySwap: 0, cpuShares: 1 }), {
    name: 'TypeError',
    message: "Expected the Command's `resources.cpuShares` to be 0 (default) or an integer from 2 to 262144, got `1` (number).",
  });
  assert.throws(() => checkResources({ memory: 0, memorySwap: 0, cpuShares: 262145 }), /resources\.cpuShares.*`262145` \(number\)/);
  assert.throws(() => new Command({ entrypoint: 'true', resources: { memory: 50 * MB, memorySwap: 10 * MB } }), /resources\.memorySwap/);
  assert.throws(() => new Command({ entrypoint: 'true', resources: { memory: -5 } }), /resources\.memory.*`-5` \(number\)/);
});

test('a run with an invalid resource value is refused before anything is spawned', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'execdriver-cg-'));
  const supervisor = new Supervisor();
  t.after(async () => {
    await supervisor.close();
    await rm(dir, { recursive: true, force: true });
  });
  const marker = join(dir, 'ran');
  let started = false;
  supervisor.on('start', () => (started = true));
  const command = new Command({ entrypoint: '/bin/touch', arguments: [marker], resources: { cpuShares: 1 } });
  await assert.rejects(supervisor.run(command, () => (started = true)), { name: 'TypeError', message: /resources\.cpuShares/ });
  assert.equal(started, false);
  assert.equal(existsSync(marker), false);
});

test('the cgroupRoot option must be an absolute path, and only with a driver name', () => {
  assert.throws(() => new Supervisor({ cgroupRoot: 'relative/dir' }), /`cgroupRoot` option to be an absolute path, got `"relative\/dir"` \(string\)/);
  assert.throws(() => new Supervisor({ cgroupRoot: 5 as unknown as string }), /`5` \(number\)/);
});
