/**
 * Timeout precision: `sleep 10` run with a timeout of T ms; the delay from the deadline to the moment
 * the caller learns of it (the Supervisor's ErrWaitTimeoutReached, execa's timedOut result, spawn's
 * 'exit' after its `timeout` option killed the child). The deadline is taken two ways: call + T (what the
 * caller asked for) and start event + T (the clock each implementation actually arms at spawn). Every
 * timed-out run includes the kill, the exit and the reap. Supervisor.wait(id, T) is timed too: it rejects
 * without killing, on a main-thread timer.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { alternate, sleep } from '../lib/alternate.js';
import { execaLauncher, LABELS, spawnLauncher, warmUp } from '../lib/peers.js';
import type { Scope, ScopeOutput } from '../lib/report.js';
import { pairedRatio, summarize } from '../lib/stats.js';
import { fmt, ratio } from '../lib/table.js';
import { Command, ErrWaitTimeoutReached, Supervisor } from '../../src/index.js';

interface Sample {
  /** end - (call + T) */
  fromCall: number;
  /** end - (start event + T); NaN when the start is before the call (wait()). */
  fromStart: number;
}

interface Peer {
  name: string;
  label: string;
  /** One timed-out run; resolves with its sample, or a string saying what went wrong. */
  once(ms: number): Promise<Sample | string>;
  /** Warms up like the other scopes' peers: a cold pool's first run (threads, module loads) is no timeout figure. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

const IO = { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } as const;

function spawnPeer(): Peer {
  return {
    name: 'spawn',
    label: `${LABELS.spawn}, timeout option`,
    once: (ms) =>
      new Promise((resolve, reject) => {
        let started = NaN;
        const t0 = performance.now();
        const child = spawn('sleep', ['10'], { stdio: 'ignore', timeout: ms });
        child.once('spawn', () => (started = performance.now()));
        child.once('error', reject);
        child.once('exit', (_code, signal) => {
          const end = performance.now();
          resolve(signal === 'SIGTERM' ? { fromCall: end - t0 - ms, fromStart: end - started - ms } : `exited with ${signal ?? _code}`);
        });
      }),
    warm: () => warmUp(spawnLauncher(), 16),
    close: async () => {},
  };
}

function execaPeer(): Peer {
  return {
    name: 'execa',
    label: `${LABELS.execa}, timeout option`,
    async once(ms) {
      let started = NaN;
      const t0 = performance.now();
      const subprocess = execa('sleep', ['10'], { stdio: 'ignore', reject: false, timeout: ms });
      subprocess.once('spawn', () => (started = performance.now()));
      const result = await subprocess;
      const end = performance.now();
      return result.timedOut ? { fromCall: end - t0 - ms, fromStart: end - started - ms } : `not timed out: ${result.shortMessage}`;
    },
    warm: () => warmUp(execaLauncher(), 16),
    close: async () => {},
  };
}

function supervisorRunPeer(): Peer {
  const sup = new Supervisor();
  const warm = () => warmUp({ name: 'supervisor', launch: (file, args) => sup.run(new Command({ entrypoint: file, arguments: args }), undefined, IO).then((r) => r.exitCode), close: async () => {} }, 16);
  return {
    name: 'supervisor',
    label: 'Supervisor.run, timeout option',
    async once(ms) {
      let started = NaN;
      const t0 = performance.now();
      try {
        await sup.run(new Command({ entrypoint: 'sleep', arguments: ['10'] }), () => (started = performance.now()), { ...IO, timeout: ms });
        return 'resolved instead of timing out';
      } catch (error) {
        const end = performance.now();
        if (!(error instanceof ErrWaitTimeoutReached)) return `rejected with ${(error as Error).message}`;
        return { fromCall: end - t0 - ms, fromStart: end - started - ms };
      }
    },
    warm,
    close: () => sup.close(),
  };
}

function supervisorWaitPeer(): Peer {
  const sup = new Supervisor();
  const warm = () => warmUp({ name: 'supervisor', launch: (file, args) => sup.run(new Command({ entrypoint: file, arguments: args }), undefined, IO).then((r) => r.exitCode), close: async () => {} }, 16);
  return {
    name: 'supervisor-wait',
    label: 'Supervisor.wait(id, T) (no kill)',
    async once(ms) {
      const command = new Command({ entrypoint: 'sleep', arguments: ['10'] });
      let onStart!: () => void;
      const started = new Promise<void>((resolve) => (onStart = resolve));
      const run = sup.run(command, () => onStart(), IO);
      run.catch(() => {});
      await started;
      const t0 = performance.now();
      let sample: Sample | string;
      try {
        await sup.wait(command.id, ms);
        sample = 'wait resolved instead of timing out';
      } catch (error) {
        const end = performance.now();
        sample = error instanceof ErrWaitTimeoutReached ? { fromCall: end - t0 - ms, fromStart: NaN } : `rejected with ${(error as Error).message}`;
      }
      // Untimed cleanup. kill() can reject ErrNotRunning although its SIGKILL was delivered (its answer
      // can lose the race with the run's result): counted, and then the run must still end by SIGKILL.
      const killed = await sup.kill(command, 'SIGKILL').then(() => true, () => false);
      if (!killed) killRaces++;
      const result = await run.catch((error: Error) => error.message);
      if (typeof result === 'string' || result.signal !== 'SIGKILL') {
        return `the run did not end by our SIGKILL: ${typeof result === 'string' ? result : result.signal ?? result.exitCode}`;
      }
      return sample;
    },
    warm,
    close: () => sup.close(),
  };
}

/** kill() calls that rejected ErrNotRunning although their SIGKILL ended the run (see supervisorWaitPeer). */
let killRaces = 0;

export const timeout: Scope = {
  name: 'timeout',
  description: 'delay from a timeout deadline to ErrWaitTimeoutReached (and the peers\' equivalents)',
  async run({ smoke, log }): Promise<ScopeOutput> {
    killRaces = 0;
    const ms = smoke ? 20 : 50;
    const samples = smoke ? 3 : 50;
    const rounds = smoke ? 1 : 2;
    const makers: Record<string, () => Peer> = {
      spawn: spawnPeer, execa: execaPeer, supervisor: supervisorRunPeer, 'supervisor-wait': supervisorWaitPeer,
    };
    const labels: Record<string, string> = {};
    const failures: string[] = [];
    const results = await alternate(Object.keys(makers).map((name) => ({ name })), rounds, async ({ name }) => {
      const peer = makers[name]!();
      labels[name] = peer.label;
      const round: Sample[] = [];
      try {
        await peer.warm();
        for (let i = 0; i < samples; i++) {
          const sample = await peer.once(ms);
          if (typeof sample === 'string') failures.push(`${peer.label}: ${sample}`);
          else round.push(sample);
          await sleep(1);
        }
      } finally {
        await peer.close();
      }
      return round;
    }, log);
    const names = [...results.keys()];
    const perRound = (name: string, key: keyof Sample, p: 'p50' | 'p99') => results.get(name)!.map((r) => summarize(r.map((s) => s[key]))[p]);
    const rows = names.map((name) => {
      const fromCall = summarize(results.get(name)!.flat().map((s) => s.fromCall));
      const fromStart = summarize(results.get(name)!.flat().map((s) => s.fromStart).filter((v) => !Number.isNaN(v)));
      return [
        labels[name]!,
        fmt(fromCall.p50), ratio(pairedRatio(perRound(name, 'fromCall', 'p50'), perRound('spawn', 'fromCall', 'p50'))),
        fmt(fromCall.p99), ratio(pairedRatio(perRound(name, 'fromCall', 'p99'), perRound('spawn', 'fromCall', 'p99'))),
        fmt(fromStart.p50), fmt(fromStart.p99), fmt(fromCall.max),
      ];
    });
    return {
      title: `Timeout precision: sleep 10 with a ${ms} ms timeout, ${samples} samples per round`,
      params: { timeoutMs: ms, samples, rounds, command: 'sleep 10', stdio: 'ignore' },
      data: Object.fromEntries(results),
      tables: [{
        title: `Delay in ms from the deadline to the caller seeing the timeout (T = ${ms} ms), ${rounds} alternating round(s)`,
        columns: ['peer', 'from call p50', 'vs spawn', 'from call p99', 'vs spawn', 'from start p50', 'from start p99', 'from call max'],
        rows,
        notes: [
          'from call: deadline = call + T; from start: deadline = start event + T (the start event reaches the main thread after the spawn itself).',
          'spawn/execa/Supervisor.run include the kill (SIGTERM), exit and reap; Supervisor.wait only rejects (its run is then SIGKILLed, untimed).',
        ],
      }],
      goals: [],
      notes: killRaces > 0
        ? [`Supervisor.kill() rejected ErrNotRunning ${killRaces} time(s) although its SIGKILL ended the run (the 'killed' answer lost the race with the task result).`]
        : [],
      failures,
    };
  },
};
