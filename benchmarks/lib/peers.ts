/**
 * The compared peers, each behind one small interface: launch a program, resolve with its exit status.
 * Every peer gets stdio 'ignore' on all three streams and its library's ordinary settings otherwise.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { Piscina } from 'piscina';
import { Command, Supervisor, type SupervisorOptions } from '../../src/index.js';
import type { ExecaTask } from '../peers/execa-task.js';

export interface Launcher {
  readonly name: string;
  /** Runs the program to its exit; `onStart` fires when it has been spawned. Resolves with the exit status. */
  launch(file: string, args: readonly string[], onStart?: () => void): Promise<number>;
  close(): Promise<void>;
}

export type PeerName = 'spawn' | 'execa' | 'piscina+execa' | 'supervisor';

export const LABELS: Record<PeerName, string> = {
  spawn: 'child_process.spawn (main thread)',
  execa: 'execa (main thread)',
  'piscina+execa': 'piscina + execa (plain pool)',
  supervisor: 'Supervisor',
};

const signals = constants.signals as Record<string, number>;

function status(code: number | null, signal: string | null): number {
  return code ?? (signal ? 128 + (signals[signal] ?? 0) : -1);
}

export function spawnLauncher(): Launcher {
  return {
    name: 'spawn',
    launch: (file, args, onStart) =>
      new Promise((resolve, reject) => {
        const child = spawn(file, args, { stdio: 'ignore' });
        if (onStart) child.once('spawn', onStart);
        child.once('error', reject);
        child.once('exit', (code, signal) => resolve(status(code, signal)));
      }),
    close: async () => {},
  };
}

export function execaLauncher(): Launcher {
  return {
    name: 'execa',
    async launch(file, args, onStart) {
      const subprocess = execa(file, args, { stdio: 'ignore', reject: false });
      if (onStart) subprocess.once('spawn', onStart);
      const result = await subprocess;
      return status(result.exitCode ?? null, result.signal ?? null);
    },
    close: async () => {},
  };
}

/** The Supervisor's own default thread count, so that both pools get the same number of threads. */
export const POOL_THREADS = Math.min(availableParallelism(), 4);

/**
 * A plain piscina pool whose task runs execa. piscina's defaults cap it at one task per thread, which
 * could never reach the asked concurrency; it gets the Supervisor's thread count and enough tasks per
 * thread for `concurrency`. Its default atomics ('sync') are safe here: the task resolves only after
 * execa has reaped the child, so nothing is left pending when the worker parks.
 */
export function piscinaExecaLauncher(concurrency: number): Launcher {
  const pool = new Piscina<ExecaTask, number>({
    filename: fileURLToPath(new URL('../peers/execa-task.js', import.meta.url)),
    minThreads: POOL_THREADS,
    maxThreads: POOL_THREADS,
    concurrentTasksPerWorker: Math.ceil(concurrency / POOL_THREADS),
  });
  return {
    name: 'piscina+execa',
    launch(file, args, onStart) {
      if (onStart) throw new Error('a plain piscina pool reports no start');
      return pool.run({ file, args: [...args] });
    },
    close: () => pool.close(),
  };
}

export function supervisorLauncher(options: SupervisorOptions = {}): Launcher & { supervisor: Supervisor } {
  const supervisor = new Supervisor(options);
  return {
    name: 'supervisor',
    supervisor,
    async launch(file, args, onStart) {
      const command = new Command({ entrypoint: file, arguments: args });
      const result = await supervisor.run(command, onStart && (() => onStart()), {
        stdin: 'ignore',
        stdout: 'ignore',
        stderr: 'ignore',
      });
      return result.exitCode;
    },
    close: () => supervisor.close(),
  };
}

/** Runs `count` /bin/true jobs, 8 at a time, to load modules and start threads before measuring. */
export async function warmUp(launcher: Launcher, count: number): Promise<void> {
  const lanes = Array.from({ length: Math.min(8, count) }, async (_, lane) => {
    for (let i = lane; i < count; i += 8) {
      const code = await launcher.launch('/bin/true', []);
      if (code !== 0) throw new Error(`${launcher.name}: warm-up run of /bin/true exited ${code}`);
    }
  });
  await Promise.all(lanes);
}
