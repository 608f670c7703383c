/**
 * The CLI's view of the durable state (what `ps`, `kill` and `restore` read and act on), kept to a small
 * interface over the state directory that restorable runs write (src/state/). Listing reads the entries
 * and /proc only; kill and restore go through a Supervisor on that directory, which restores the id first,
 * so a pid is only ever signalled while it is still the recorded process (same start time, not a zombie).
 */
import { Command } from '../command.js';
import { ErrNotRunning, ExecDriverError } from '../errors.js';
import { inspect } from '../restore.js';
import type { ExitResult } from '../result.js';
import { defaultStateDir } from '../state/dir.js';
import { StateStore, type Entry } from '../state/store.js';
import { Supervisor } from '../supervisor.js';
import { CliError, type Io } from './io.js';
import { quote } from './args.js';

/** One command the state knows about. */
export interface StateEntry {
  id: string;
  /** -1 when no process is known. */
  pid: number;
  /**
   * running: the recorded process still runs (same start time); starting: its execdriver is starting it;
   * exited: its exit status is known; unknown: it ended and nothing recorded how; corrupt: unreadable entry.
   */
  status: 'running' | 'starting' | 'exited' | 'unknown' | 'corrupt';
  /** ISO 8601, or null when not recorded. */
  startedAt: string | null;
  /** The recorded exit status (exit code, or 128 + signal number), or null while running or unknown. */
  exitCode: number | null;
  /** Empty for a corrupt entry. */
  entrypoint: string;
  arguments: readonly string[];
  /** Why a corrupt entry cannot be read. */
  error?: string;
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
export const RESTORABLE_RUNS = true;

/**
 * The one rule for every subcommand: --state-dir, else $EXECDRIVER_STATE_DIR, else the library's default
 * ($XDG_STATE_HOME/execdriver, else ~/.local/state/execdriver).
 */
export function stateDirOf(flag: string | undefined, io: Io): string {
  const dir = flag ?? io.env.EXECDRIVER_STATE_DIR;
  return dir === undefined || dir === '' ? defaultStateDir(io.env) : dir;
}

/** The help text's line for --state-dir, the same in every subcommand. */
export const STATE_DIR_HELP = `  --state-dir DIR    the state directory (default: $EXECDRIVER_STATE_DIR, else
                     $XDG_STATE_HOME/execdriver, else ~/.local/state/execdriver)`;

/** The durable state in the directory stateDirOf picks. Failures are CliErrors with `exitCode`. */
export function openDurableState(flagDir: string | undefined, io: Io, exitCode: number): DurableState {
  return new DirState(stateDirOf(flagDir, io), exitCode);
}

class DirState implements DurableState {
  readonly #dir: string;
  readonly #store: StateStore;
  readonly #exitCode: number;

  constructor(dir: string, exitCode: number) {
    this.#dir = dir;
    this.#store = new StateStore(dir);
    this.#exitCode = exitCode;
  }

  async list(): Promise<StateEntry[]> {
    const entries: StateEntry[] = [];
    for (const id of await this.#store.ids()) {
      const entry = await this.get(id);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  async get(id: string): Promise<StateEntry | undefined> {
    try {
      const entry = this.#store.readSync(id);
      return entry && view(this.#store, entry);
    } catch (error) {
      return {
        id, pid: -1, status: 'corrupt', startedAt: null, exitCode: null, entrypoint: '', arguments: [],
        error: (error as Error).message,
      };
    }
  }

  async kill(id: string, signal: number): Promise<void> {
    await this.#withRestored(id, async (supervisor, command) => {
      try {
        await supervisor.kill(command, signal);
      } catch (error) {
        if (error instanceof ErrNotRunning) throw new CliError(`command ${quote(id)} is not running`, this.#exitCode);
        throw error;
      }
    });
  }

  restore(id: string): Promise<ExitResult> {
    return this.#withRestored(id, (_supervisor, _command, result) => result);
  }

  /** Restores the id through a Supervisor on the state dir, calls `use`, then closes the supervisor. */
  async #withRestored<T>(id: string, use: (supervisor: Supervisor, command: Command, result: Promise<ExitResult>) => Promise<T>): Promise<T> {
    const command = this.#command(id);
    const supervisor = new Supervisor({ stateDir: this.#dir, maxWorkers: 1 });
    try {
      const result = supervisor.restore(command);
      result.catch(() => {}); // close() detaches it (ERR_DETACHED) when `use` does not wait for it
      return await use(supervisor, command, result);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError((error as Error).message, this.#exitCode, { cause: error });
    } finally {
      await supervisor.close();
    }
  }

  /** The entry's Command; a clear CliError when there is none or it cannot be read (nothing is created). */
  #command(id: string): Command {
    let entry: Entry | undefined;
    try {
      entry = this.#store.readSync(id);
    } catch (error) {
      throw new CliError((error as ExecDriverError).message, this.#exitCode, { cause: error });
    }
    if (!entry) throw new CliError(`no command ${quote(id)} in the state directory ${this.#dir}`, this.#exitCode);
    return Command.fromJSON(entry.command);
  }
}

/** What `ps` shows of an entry: its status decided from the entry, the shim's files and /proc. */
function view(store: StateStore, entry: Entry): StateEntry {
  const base = {
    id: entry.id,
    startedAt: entry.startedAtMs === null ? null : new Date(entry.startedAtMs).toISOString(),
    entrypoint: entry.command.entrypoint,
    arguments: entry.command.arguments ?? [],
  };
  const outcome = inspect(store, entry);
  if (outcome.kind === 'alive') return { ...base, pid: outcome.pid, status: 'running', exitCode: null };
  if (outcome.kind === 'starting') return { ...base, pid: -1, status: 'starting', exitCode: null }; // its execdriver has not seen it start yet
  const { result } = outcome;
  if (result.exitUnknown) return { ...base, pid: result.pid, status: 'unknown', exitCode: null };
  return { ...base, pid: result.pid, status: 'exited', exitCode: result.exitCode };
}
