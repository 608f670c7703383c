/**
 * The memory scope's child program: `node --expose-gc memory-probe.js <peer> <n>`. Holds n concurrent
 * `sleep` children through one peer, measures this fresh process's RSS and heap before the peer exists,
 * once it is warmed up, and with all n alive (after gc), then kills them all, waits for every exit and
 * prints one line of JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { execa, type ResultPromise } from 'execa';
import { sleep } from '../lib/alternate.js';
import { execaLauncher, spawnLauncher, supervisorLauncher, warmUp } from '../lib/peers.js';
import { Command } from '../../src/index.js';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
}

export interface ProbeOutput {
  peer: string;
  n: number;
  /** Before the peer exists. */
  base: MemorySample;
  /** Peer built and warmed up (pool threads started), no child alive. */
  ready: MemorySample;
  /** n children alive. */
  loaded: MemorySample;
  /** From the first launch to the last start event. */
  startAllMs: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function sample(): Promise<MemorySample> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await sleep(30);
  }
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

interface Holder {
  /** Launches one `sleep`; `onStart` fires on spawn; the promise settles on exit. */
  launch(onStart: () => void): Promise<unknown>;
  killAll(): Promise<void>;
}

function holder(peer: string): { holder: Holder; warm: () => Promise<void> } {
  const SLEEP = ['300'];
  if (peer === 'spawn') {
    const children: ChildProcess[] = [];
    return {
      warm: () => warmUp(spawnLauncher(), 16),
      holder: {
        launch(onStart) {
          const child = spawn('sleep', SLEEP, { stdio: 'ignore' });
          children.push(child);
          child.once('spawn', onStart);
          return new Promise((resolve, reject) => {
            child.once('error', reject);
            child.once('exit', resolve);
          });
        },
        async killAll() {
          for (const child of children) child.kill('SIGKILL');
        },
      },
    };
  }
  if (peer === 'execa') {
    const children: ResultPromise[] = [];
    return {
      warm: () => warmUp(execaLauncher(), 16),
      holder: {
        launch(onStart) {
          const subprocess = execa('sleep', SLEEP, { stdio: 'ignore', reject: false });
          children.push(subprocess);
          subprocess.once('spawn', onStart);
          return subprocess;
        },
        async killAll() {
          for (const subprocess of children) subprocess.kill('SIGKILL');
        },
      },
    };
  }
  if (peer === 'supervisor') {
    const launcher = supervisorLauncher();
    return {
      warm: () => warmUp(launcher, 16),
      holder: {
        launch: (onStart) =>
          launcher.supervisor.run(new Command({ entrypoint: 'sleep', arguments: SLEEP }), onStart, {
            stdin: 'ignore', stdout: 'ignore', stderr: 'ignore',
          }),
        killAll: () => launcher.close(), // kills every tree, waits for every reap, stops the pool
      },
    };
  }
  throw new TypeError(`Expected the peer to be spawn, execa or supervisor, got \`${peer}\`.`);
}

async function main(): Promise<void> {
  const [peer = '', count = ''] = process.argv.slice(2);
  const n = Number(count);
  if (!gc) throw new Error('run with --expose-gc');
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`Expected n to be a positive integer, got \`${count}\`.`);
  const base = await sample();
  const { holder: h, warm } = holder(peer);
  await warm();
  const ready = await sample();
  let started = 0;
  let allStarted!: () => void;
  const everyStart = new Promise<void>((resolve) => (allStarted = resolve));
  const t0 = performance.now();
  const exits: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    exits.push(h.launch(() => {
      if (++started === n) allStarted();
    }));
  }
  await everyStart;
  const startAllMs = performance.now() - t0;
  await sleep(200);
  const loaded = await sample();
  await h.killAll();
  await Promise.all(exits);
  const output: ProbeOutput = { peer, n, base, ready, loaded, startAllMs };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error) => {
  process.stderr.write(`memory-probe: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
