/**
 * Short-job throughput, and main-thread responsiveness during the same burst: N runs of /bin/true, 8 at a
 * time, for each peer; a 1 ms interval timer on the main thread records the gaps between its ticks.
 * Each round builds its peer fresh (pool threads started and warmed before the clock starts) and closes it
 * after, so no peer runs beside another's idle threads (a bigger process forks more slowly).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { alternate, runLanes } from '../lib/alternate.js';
import { cpuMark, cpuSince } from '../lib/cpu.js';
import { monitorGaps } from '../lib/gaps.js';
import {
  execaLauncher, LABELS, piscinaExecaLauncher, spawnLauncher, supervisorLauncher, warmUp, type Launcher, type PeerName,
} from '../lib/peers.js';
import type { Scope, ScopeOutput } from '../lib/report.js';
import { median, pairedRatio, summarize } from '../lib/stats.js';
import { fmt, ratio } from '../lib/table.js';

interface Round {
  wallMs: number;
  runsPerSec: number;
  gapMaxMs: number;
  gapP99Ms: number;
  gaps: number;
  /** CPU of this process (all threads) per run, µs. */
  selfCpuUsPerRun: number;
  /** CPU of the reaped children per run, µs (USER_HZ resolution: 10 ms over the whole round). */
  childCpuUsPerRun: number | null;
  failures: number;
}

const PEERS: PeerName[] = ['spawn', 'execa', 'piscina+execa', 'supervisor'];
const MAX_GAP_GOAL_MS = 10;
/** Not a peer: the same burst run by a separate node process while this main thread idles. */
const REFERENCE = 'reference';
const REFERENCE_LABEL = 'reference: idle main thread, burst in a child process';

/** The burst of the spawn peer, in a child node process; resolves with its runs/s. */
function externalBurst(n: number, concurrency: number): Promise<number> {
  const script = `
    const { spawn } = require('node:child_process');
    let next = 0, failures = 0;
    const run = () => new Promise((resolve, reject) => {
      const child = spawn('/bin/true', [], { stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', (code) => { if (code !== 0) failures++; resolve(); });
    });
    const start = performance.now();
    Promise.all(Array.from({ length: ${concurrency} }, async () => { while (next++ < ${n}) await run(); })).then(() => {
      process.stdout.write(JSON.stringify({ runsPerSec: ${n} / (performance.now() - start) * 1000, failures }));
    });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        const { runsPerSec, failures } = JSON.parse(out) as { runsPerSec: number; failures: number };
        if (code !== 0 || failures > 0) throw new Error(`exit ${code}, ${failures} failed runs`);
        resolve(runsPerSec);
      } catch (error) {
        reject(new Error(`the reference burst failed: ${(error as Error).message}`));
      }
    });
  });
}

export const throughput: Scope = {
  name: 'throughput',
  description: 'short-job throughput (/bin/true) and main-thread timer gaps during the burst',
  async run({ smoke, log }): Promise<ScopeOutput> {
    const n = smoke ? 40 : 2000;
    const concurrency = 8;
    const rounds = smoke ? 1 : 3;
    const warm = smoke ? 8 : 100;
    const make = (name: PeerName): Launcher =>
      name === 'spawn' ? spawnLauncher()
        : name === 'execa' ? execaLauncher()
          : name === 'piscina+execa' ? piscinaExecaLauncher(concurrency)
            : supervisorLauncher();

    const results = await alternate([...PEERS, REFERENCE].map((name) => ({ name })), rounds, async ({ name }): Promise<Round> => {
      if (name === REFERENCE) {
        const gaps = monitorGaps();
        const start = performance.now();
        const runsPerSec = await externalBurst(n, concurrency);
        const wallMs = performance.now() - start;
        const gapStats = summarize(gaps.stop());
        return {
          wallMs, runsPerSec, gapMaxMs: gapStats.max, gapP99Ms: gapStats.p99, gaps: gapStats.n,
          selfCpuUsPerRun: NaN, childCpuUsPerRun: null, failures: 0,
        };
      }
      const launcher = make(name as PeerName);
      try {
        await warmUp(launcher, warm);
        let failures = 0;
        const cpu = cpuMark();
        const gaps = monitorGaps();
        const start = performance.now();
        await runLanes(n, concurrency, async () => {
          if ((await launcher.launch('/bin/true', [])) !== 0) failures++;
        });
        const wallMs = performance.now() - start;
        const gapStats = summarize(gaps.stop());
        const used = cpuSince(cpu);
        return {
          wallMs,
          runsPerSec: (n / wallMs) * 1000,
          gapMaxMs: gapStats.max,
          gapP99Ms: gapStats.p99,
          gaps: gapStats.n,
          selfCpuUsPerRun: used.selfUs / n,
          childCpuUsPerRun: used.childrenUs === null ? null : used.childrenUs / n,
          failures,
        };
      } finally {
        await launcher.close();
      }
    }, log);

    const of = (name: PeerName | typeof REFERENCE) => results.get(name)!;
    const base = of('spawn').map((r) => r.runsPerSec);
    const rows = [...PEERS, REFERENCE].map((name) => {
      const rs = of(name as PeerName);
      return [
        name === REFERENCE ? REFERENCE_LABEL : LABELS[name as PeerName],
        fmt(median(rs.map((r) => r.runsPerSec))),
        name === REFERENCE ? 'n/a' : ratio(pairedRatio(rs.map((r) => r.runsPerSec), base)),
        fmt(Math.max(...rs.map((r) => r.gapMaxMs))),
        fmt(median(rs.map((r) => r.gapMaxMs))),
        fmt(median(rs.map((r) => r.gapP99Ms))),
        fmt(median(rs.map((r) => r.selfCpuUsPerRun))),
        fmt(median(rs.map((r) => r.childCpuUsPerRun ?? NaN))),
      ];
    });
    const sup = of('supervisor');
    const supRatio = pairedRatio(sup.map((r) => r.runsPerSec), base);
    const supWorstGap = Math.max(...sup.map((r) => r.gapMaxMs));
    const referenceWorstGap = Math.max(...of(REFERENCE).map((r) => r.gapMaxMs));
    const failures = PEERS.flatMap((name) =>
      of(name).some((r) => r.failures > 0) ? [`${LABELS[name]}: ${of(name).reduce((a, r) => a + r.failures, 0)} runs exited non-zero`] : []);
    return {
      title: `Short-job throughput: /bin/true, N = ${n}, concurrency ${concurrency}`,
      params: { n, concurrency, rounds, warmUpRuns: warm, stdio: 'ignore', command: '/bin/true' },
      data: Object.fromEntries(results),
      tables: [{
        title: `Throughput and main-thread 1 ms timer gaps: /bin/true x ${n}, concurrency ${concurrency}, ${rounds} alternating round(s)`,
        columns: ['peer', 'runs/s', 'vs spawn', 'max gap ms (worst)', 'max gap ms (med)', 'p99 gap ms', 'node CPU µs/run', 'child CPU µs/run'],
        rows,
        notes: [
          'runs/s, gaps and CPU: median over rounds; "vs spawn": median of per-round ratios (same round, adjacent in time).',
          'node CPU: this process, all threads (process.cpuUsage); child CPU: reaped children (cutime+cstime, 10 ms ticks).',
          `reference: a child node process runs the spawn peer's burst while this main thread does nothing but the timer:
      roughly the floor for any in-process supervisor on this machine right now (2 cores shared with the burst and other users).`.replace(/\s+/g, ' '),
        ],
      }],
      goals: [
        {
          goal: 'Throughput: Supervisor vs child_process.spawn on the main thread',
          target: '>= 1.00x',
          measured: ratio(supRatio),
          met: supRatio >= 1,
        },
        {
          goal: 'Main-thread max timer gap during the Supervisor burst (worst round)',
          target: `<= ${MAX_GAP_GOAL_MS} ms`,
          measured: `${fmt(supWorstGap)} ms (reference ${fmt(referenceWorstGap)} ms)`,
          met: supWorstGap <= MAX_GAP_GOAL_MS,
        },
      ],
      notes: [],
      failures,
    };
  },
};
