/**
 * The CLI's view of the durable state (what `ps`, `kill` and `restore` read and act on), kept to a small
 * interface so those subcommands' argument handling and output can exist before the state does.
 *
 * This build has no durable state: the Supervisor accepts `stateDir` but writes nothing there, there is no
 * `restorable` run option, and `restore()` always reports that there is no state. So openDurableState()
 * refuses with a clear error, and `run --restorable` is refused the same way. When durable state lands,
 * implement DurableState over it here and set RESTORABLE_RUNS to true; nothing else in src/cli/ changes.
 */
import type { ExitResult } from '../result.js';
import { CliError, type Io } from './io.js';
import { UsageError } from './args.js';

/** One command the state knows about. */
export interface StateEntry {
  id: string;
  /** -1 when no process is known. */
  pid: number;
  status: 'running' | 'exited' | 'unknown';
  /** ISO 8601, or null when not recorded. */
  startedAt: string | null;
  /** The recorded exit status (exit code, or 128 + signal number), or null while running or unknown. */
  exitCode: number | null;
  entrypoint: string;
  arguments: readonly string[];
}

export interface StateView {
  list(): Promise<StateEntry[]>;
  get(id: string): Promise<StateEntry | undefined>;
}

export interface DurableState extends StateView {
  /** Signals the command's process tree; rejects when it is not running. */
  kill(id: string, signal: number): Promise<void>;
  /** Re-attaches to the command and resolves with its result once it has exited. */
  restore(id: string): Promise<ExitResult>;
}

/** Whether `run --restorable` can be honoured by this build's Supervisor. */
export const RESTORABLE_RUNS = false;

export const NOT_AVAILABLE = 'not available yet: durable state is not in this build';

export function notAvailable(exitCode: number): CliError {
  return new CliError(NOT_AVAILABLE, exitCode);
}

/** --state-dir, else $EXECDRIVER_STATE_DIR; a usage error when neither is set. */
export function stateDirOf(flag: string | undefined, io: Io): string {
  const dir = flag ?? io.env.EXECDRIVER_STATE_DIR;
  if (dir === undefined || dir === '') {
    throw new UsageError('no state directory: pass --state-dir DIR or set EXECDRIVER_STATE_DIR');
  }
  return dir;
}

/**
 * The durable state in --state-dir (`flagDir`) or $EXECDRIVER_STATE_DIR (see stateDirOf). This build has
 * none: it throws CliError(NOT_AVAILABLE, exitCode) before looking at the directory.
 */
export function openDurableState(_flagDir: string | undefined, _io: Io, exitCode: number): DurableState {
  throw notAvailable(exitCode);
}
