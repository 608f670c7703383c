/**
 * The supervisor's writes to the state of its restorable runs: the entry goes down as 'starting' before
 * anything is spawned, as 'running' with the pid and start time before the start callback fires, and as
 * 'exited' with the result when the supervisor sees the exit itself. (The shim writes the pid and exit
 * files on its own, so a supervisor that dies at any point loses nothing the shim knows.)
 */
import type { Command } from '../command.js';
import { ExecDriverError } from '../errors.js';
import { readStatSync } from '../proc.js';
import type { ExitResult } from '../result.js';
import { same } from './poller.js';
import type { Entry, StateStore } from './store.js';

export class Ledger {
  readonly store: StateStore;
  readonly #owner: Entry['owner'];
  readonly #entries = new Map<string, Entry>();

  constructor(store: StateStore) {
    this.store = store;
    this.#owner = { pid: process.pid, startTime: readStatSync(process.pid)?.startTime ?? 0 };
  }

  /** Refuses an id whose recorded process still runs; clears the files of an ended one; writes 'starting'. */
  begin(command: Command): void {
    const old = this.store.readSync(command.id);
    if (old && old.status !== 'exited' && old.pid !== null && old.startTime !== null && same(old.pid, old.startTime)) {
      throw new ExecDriverError('ERR_ALREADY_RUNNING', `Command "${command.id}" is already running`,
        `pid ${old.pid}, recorded in ${this.store.entryPath(command.id)}; restore() it instead`);
    }
    this.store.clearRuntime(command.id);
    const now = Date.now();
    const entry: Entry = {
      version: 1, id: command.id, command: command.toJSON(), status: 'starting', pid: null, startTime: null,
      createdAtMs: now, startedAtMs: null, owner: this.#owner, result: null,
    };
    this.store.write(entry);
    this.#entries.set(command.id, entry);
  }

  started(id: string, pid: number, startTime: number): void {
    this.#update(id, { status: 'running', pid, startTime, startedAtMs: Date.now() });
  }

  ended(id: string, result: ExitResult): void {
    this.#update(id, { status: 'exited', result });
    this.#entries.delete(id);
  }

  /** The command never started: nothing to restore. */
  failed(id: string): void {
    this.#entries.delete(id);
    this.store.remove(id);
  }

  /** Records the end of a restored command (its entry read back from disk). */
  endedRestored(entry: Entry, result: ExitResult): void {
    this.store.write({ ...entry, status: 'exited', result });
  }

  #update(id: string, change: Partial<Entry>): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    Object.assign(entry, change);
    this.store.write(entry);
  }
}
