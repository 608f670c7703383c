/**
 * The cost per run of a cgroup: `node dist/benchmarks/cgroups.js [--runs 1000] [--lanes 8] [--rounds 2] [--out file.json]`.
 * 1. Throughput: /bin/true through a Supervisor (so through the execdriver-shim), 8 lanes, 1,000 runs,
 *    stdio 'ignore', without resources and with them (v1: 4 or 3 hierarchies, the shim's child joining
 *    each; v2: one folder in the unified hierarchy). Variants alternate round by round; each round
 *    builds its Supervisor fresh and warms it up before the clock starts.
 * 2. Set-up and teardown alone: CgroupManager.create() and close() of an unused cgroup, one at a time.
 * Prints a table and writes the JSON report to --out when given. Needs root and writable cgroups.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Command, Supervisor, type SupervisorOptions } from '../src/index.js';
import type { Resources } from '../src/command.js';
import { detectDefault } from '../src/cgroups/detect.js';
import { CgroupManager } from '../src/cgroups/manager.js';

const MB = 1024 * 1024;

interface Variant {
  name: string;
  file: string;
  args: string[];
  resources?: Partial<Resources>;
  options?: SupervisorOptions;
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    lanes: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    out: { type: 'string' },
  },
});
const runs = Number(values.runs);
const lanes = Number(values.lanes);
const rounds = Number(values.rounds);

const unified = (await detectDefault()).v2;
const variants: Variant[] = [
  { name: 'no resources', file: '/bin/true', args: [] },
  { name: 'v1 cpuShares (memory+cpu+cpuacct+freezer)', file: '/bin/true', args: [], resources: { cpuShares: 512 } },
  { name: 'v1 memory=memorySwap 64 MB (memory+cpuacct+freezer)', file: '/bin/true', args: [], resources: { memory: 64 * MB, memorySwap: 64 * MB } },
];
if (unified) {
  variants.push({
    name: 'v2 unified, no controllers (memorySwap -1)', file: '/bin/true', args: [], resources: { memorySwap: -1 }, options: { cgroupRoot: unified },
  });
}

async function round(v: Variant): Promise<{ runsPerSec: number; wallMs: number; failures: number }> {
  const supervisor = new Supervisor({ maxWorkers: 2, ...v.options });
  let seq = 0;
  const one = async () => {
    const command = new Command({ id: `bench-${seq++}`, entrypoint: v.file, arguments: v.args, resources: v.resources });
    const result = await supervisor.run(command, undefined, { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
    return result.exitCode;
  };
  try {
    let failures = 0;
    const lanesRun = async (n: number) => {
      let next = 0;
      await Promise.all(Array.from({ length: lanes }, async () => {
        while (next++ < n) if ((await one()) !== 0) failures++;
      }));
    };
    await lanesRun(50); // warm-up: threads started, code paths and parents made
    failures = 0;
    const start = performance.now();
    await lanesRun(runs);
    const wallMs = performance.now() - start;
    return { runsPerSec: (runs / wallMs) * 1000, wallMs, failures };
  } finally {
    await supervisor.close();
  }
}

async function setupTeardown(resources: Partial<Resources>, root: string | undefined, n: number) {
  const manager = new CgroupManager(root);
  const full: Resources = { memory: 0, memorySwap: 0, cpuShares: 0, ...resources };
  await manager.create('bench-warm', full).then((c) => c.close(null));
  let createMs = 0;
  let closeMs = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const cgroup = await manager.create(`bench-${i}`, full);
    const t1 = performance.now();
    await cgroup.close(null);
    closeMs += performance.now() - t1;
    createMs += t1 - t0;
  }
  return { createMs: createMs / n, closeMs: closeMs / n };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const data: Record<string, { rounds: Array<{ runsPerSec: number; wallMs: number; failures: number }> }> = {};
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    process.stderr.write(`round ${r + 1}/${rounds}: ${v.name} ...\n`);
    (data[v.name] ??= { rounds: [] }).rounds.push(await round(v));
  }
}
const base = median(data['no resources']!.rounds.map((x) => x.runsPerSec));
console.log(`\n/bin/true, ${runs} runs, ${lanes} lanes, stdio 'ignore', median of ${rounds} rounds`);
console.log('variant'.padEnd(56) + 'runs/s'.padStart(9) + 'x base'.padStart(9) + '  ms/run added');
for (const v of variants) {
  const rps = median(data[v.name]!.rounds.map((x) => x.runsPerSec));
  const failures = data[v.name]!.rounds.reduce((a, x) => a + x.failures, 0);
  const added = (1000 / rps - 1000 / base).toFixed(2);
  console.log(v.name.padEnd(56) + rps.toFixed(0).padStart(9) + (rps / base).toFixed(2).padStart(9) + `  ${added}${failures ? `  (${failures} failed)` : ''}`);
}

const n = Math.max(50, Math.floor(runs / 5));
const alone: Record<string, { createMs: number; closeMs: number }> = {
  'v1 cpuShares (4 hierarchies)': await setupTeardown({ cpuShares: 512 }, undefined, n),
  'v1 memory (3 hierarchies)': await setupTeardown({ memory: 64 * MB, memorySwap: 64 * MB }, undefined, n),
};
if (unified) alone['v2 unified (1 folder)'] = await setupTeardown({ memorySwap: -1 }, unified, n);
console.log(`\ncgroup set-up and teardown alone (no process), mean of ${n}, one at a time`);
console.log('cgroup'.padEnd(56) + 'create ms'.padStart(10) + 'close ms'.padStart(10));
for (const [name, x] of Object.entries(alone)) {
  console.log(name.padEnd(56) + x.createMs.toFixed(3).padStart(10) + x.closeMs.toFixed(3).padStart(10));
}
const report = { date: new Date().toISOString(), runs, lanes, rounds, throughput: data, setupTeardown: alone };
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
