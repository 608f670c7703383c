/**
 * Start latency: from the call (run(), spawn(), execa()) to the start callback / 'spawn' event, for one
 * /bin/true at a time. Idle: nothing else runs. Under load: the same peer meanwhile runs 8 lanes of
 * /bin/true back to back (its own burst, as in the throughput scope), and the probes queue behind it.
 */
import { performance } from 'node:perf_hooks';
import { alternate, sleep, startLoad } from '../lib/alternate.js';
import { execaLauncher, LABELS, spawnLauncher, supervisorLauncher, warmUp, type Launcher, type PeerName } from '../lib/peers.js';
import type { Scope, ScopeOutput } from '../lib/report.js';
import { median, pairedRatio, summarize } from '../lib/stats.js';
import { fmt, ratio } from '../lib/table.js';

interface Round {
  /** The first run of a freshly built peer, before any warm-up (threads start, modules load). */
  cold: number;
  idle: number[];
  load: number[];
  loadRuns: number;
  failures: number;
}

const PEERS: PeerName[] = ['spawn', 'execa', 'supervisor'];
const IDLE_P99_GOAL_MS = 10;

/** One probe: resolves with the start latency in ms, after the run has exited. */
async function probe(launcher: Launcher): Promise<{ ms: number; code: number }> {
  let started = NaN;
  const t0 = performance.now();
  const code = await launcher.launch('/bin/true', [], () => {
    started = performance.now();
  });
  return { ms: started - t0, code };
}

export const latency: Scope = {
  name: 'latency',
  description: 'start latency (call to start callback), idle and under load',
  async run({ smoke, log }): Promise<ScopeOutput> {
    const probes = smoke ? 10 : 200;
    const loadProbes = smoke ? 10 : 100;
    const rounds = smoke ? 1 : 2;
    const loadConcurrency = 8;
    const make = (name: PeerName): Launcher =>
      name === 'spawn' ? spawnLauncher() : name === 'execa' ? execaLauncher() : supervisorLauncher();

    const results = await alternate(PEERS.map((name) => ({ name })), rounds, async ({ name }): Promise<Round> => {
      const launcher = make(name);
      const round: Round = { cold: NaN, idle: [], load: [], loadRuns: 0, failures: 0 };
      try {
        const cold = await probe(launcher);
        round.cold = cold.ms;
        if (cold.code !== 0) round.failures++;
        await warmUp(launcher, smoke ? 8 : 50);
        for (let i = 0; i < probes; i++) {
          await sleep(1);
          const { ms, code } = await probe(launcher);
          round.idle.push(ms);
          if (code !== 0) round.failures++;
        }
        const load = startLoad(loadConcurrency, async () => {
          if ((await launcher.launch('/bin/true', [])) !== 0) round.failures++;
        });
        try {
          // Let the burst reach its steady state. Counted, not timed: main-thread spawn lanes starve timers.
          await load.reached(smoke ? 8 : 50);
          for (let i = 0; i < loadProbes; i++) {
            const { ms, code } = await probe(launcher);
            round.load.push(ms);
            if (code !== 0) round.failures++;
          }
        } finally {
          round.loadRuns = await load.stop();
        }
        return round;
      } finally {
        await launcher.close();
      }
    }, log);

    const of = (name: PeerName) => results.get(name)!;
    const perRound = (name: PeerName, key: 'idle' | 'load', p: 'p50' | 'p99') => of(name).map((r) => summarize(r[key])[p]);
    const pooled = (name: PeerName, key: 'idle' | 'load') => summarize(of(name).flatMap((r) => r[key]));
    const rows = PEERS.map((name) => {
      const cells = [LABELS[name], fmt(median(of(name).map((r) => r.cold)))];
      for (const key of ['idle', 'load'] as const) {
        const s = pooled(name, key);
        cells.push(fmt(s.p50), ratio(pairedRatio(perRound(name, key, 'p50'), perRound('spawn', key, 'p50'))));
        cells.push(fmt(s.p99), ratio(pairedRatio(perRound(name, key, 'p99'), perRound('spawn', key, 'p99'))));
        cells.push(fmt(s.max));
      }
      return cells;
    });
    const supIdle = pooled('supervisor', 'idle');
    const failures = PEERS.flatMap((name) => {
      const count = of(name).reduce((a, r) => a + r.failures, 0);
      return count > 0 ? [`${LABELS[name]}: ${count} runs exited non-zero`] : [];
    });
    return {
      title: `Start latency: /bin/true, ${probes} idle and ${loadProbes} loaded probes per round, under a ${loadConcurrency}-lane burst`,
      params: { probes, loadProbes, rounds, loadConcurrency, command: '/bin/true', stdio: 'ignore' },
      data: Object.fromEntries(results),
      tables: [{
        title: `Start latency in ms (call -> start callback / 'spawn' event), ${rounds} alternating round(s)`,
        columns: ['peer', 'cold', 'idle p50', 'vs spawn', 'idle p99', 'vs spawn', 'idle max', 'load p50', 'vs spawn', 'load p99', 'vs spawn', 'load max'],
        rows,
        notes: [
          'percentiles pooled over rounds; "vs spawn": median of per-round ratios of the same percentile.',
          'cold: the first run of a freshly built peer (median over rounds); idle and load probes follow a warm-up.',
          "spawn()/execa() fork synchronously inside the call; their 'spawn' event follows on the next tick.",
          'under load: the peer itself runs 8 lanes of /bin/true meanwhile (a plain piscina pool has no start event: not measured).',
        ],
      }],
      goals: [{
        goal: 'Start latency p99 on an idle pool (Supervisor)',
        target: `<= ${IDLE_P99_GOAL_MS} ms`,
        measured: `${fmt(supIdle.p99)} ms`,
        met: supIdle.p99 <= IDLE_P99_GOAL_MS,
      }],
      notes: [],
      failures,
    };
  },
};
