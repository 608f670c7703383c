/**
 * The plug: a driver turns a Command into what a worker spawns, and refuses (before anything is spawned)
 * every field it cannot honour. Supervision itself (pool, kill, wait, timeouts) is the Supervisor's.
 */
import type { Command } from '../command.js';
import type { ExitResult } from '../result.js';

export interface Prepared {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  /** cgroup.procs files the child joins ("0" written into each) before its entrypoint runs. */
  join?: string[];
  /** Per-run hooks; they stay on the main thread (they are not part of what the worker is sent). */
  hooks?: RunHooks;
}

/** What a driver that holds something per run (a cgroup) lets the Supervisor do with it. */
export interface RunHooks {
  /** Live pids of the run (a cgroup's members); [] when none is known yet. */
  pids?(): Promise<number[]>;
  /** Signals every process of the run; resolves false when there was none to signal. */
  signal?(signal: number): Promise<boolean>;
  /**
   * Called exactly once after prepare() succeeded: with the result once the run has ended and been
   * reaped, or without one when it never started. Releases what prepare() took (the cgroup) and returns
   * fields to merge into the result (oomKilled, cgroup). Awaited before 'exit' is emitted and run() settles.
   */
  after(result?: ExitResult): Promise<Partial<ExitResult>>;
}

export interface Driver {
  readonly name: string;
  /** Validates the command for this driver and resolves what needs I/O (users, directories, cgroups). */
  prepare(command: Command): Promise<Prepared>;
  /** The process is dying (exit hook): kill synchronously whatever the driver holds that could escape. */
  killAllSync?(): void;
}

/** Supervisor options a driver may take (each driver says which it honours). */
export interface DriverOptions {
  /** Where cgroups for runs with resources go (see SupervisorOptions.cgroupRoot). */
  cgroupRoot?: string;
}

export type DriverFactory = (options?: DriverOptions) => Driver;
