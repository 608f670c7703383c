/**
 * The supervisor's restore side: the state dir (prepared on first use), the ledger its restorable runs
 * write, the one shared poller, and restore/restoreAll/prune. The Supervisor hands it a small host
 * interface to register what it watches; everything else about runs stays in the Supervisor.
 */
import { Command } from './command.js';
import { ErrNotRunning, ExecDriverError } from './errors.js';
import { fromExitRecord, inspect, RestoredRun, unknownExit } from './restore.js';
import type { ExitResult } from './result.js';
import { prepareStateDir } from './state/dir.js';
import { Ledger } from './state/ledger.js';
import { RestorePoller } from './state/poller.js';
import { StateStore, type Entry } from './state/store.js';

export interface Watched {
  run: RestoredRun;
  exit: Promise<ExitResult>;
  /** close(): stop watching, reject the restore with ERR_DETACHED; the command runs on. */
  detach: () => void;
}

export interface RestoreHost {
  /** True when the supervisor already tracks this id (a run of its own or a restored command). */
  has(id: string): boolean;
  /** Tracks a restored command until `exit` settles. */
  track(id: string, watched: Watched): void;
  exited(command: Command, result: ExitResult): void;
  error(command: Command, error: Error): void;
  stateError(id: string, error: ExecDriverError): void;
}

export interface RestorerOptions {
  pollIntervalMs: number;
  livenessMs: number;
  killGraceMs: number;
}

export class Restorer {
  readonly stateDir: string;
  readonly #options: RestorerOptions;
  readonly #host: RestoreHost;
  #ledger: Ledger | undefined;
  #poller: RestorePoller | undefined;

  constructor(stateDir: string, options: RestorerOptions, host: RestoreHost) {
    this.stateDir = stateDir;
    this.#options = options;
    this.#host = host;
  }

  /** The ledger of restorable runs; prepares the state dir (0700) on first use. */
  get ledger(): Ledger {
    if (!this.#ledger) {
      prepareStateDir(this.stateDir);
      this.#ledger = new Ledger(new StateStore(this.stateDir));
    }
    return this.#ledger;
  }

  /** See Supervisor.restore. The caller has checked that the id is not tracked already. */
  restore(command: Command): Promise<ExitResult> {
    const entry = this.ledger.store.readSync(command.id);
    if (!entry) throw new ErrNotRunning(`no restorable state for command "${command.id}" in ${this.stateDir}`);
    return this.#attach(command, entry);
  }

  async restoreAll(isClosing: () => boolean): Promise<string[]> {
    const store = this.ledger.store;
    const ids: string[] = [];
    for (const id of await store.ids()) {
      if (isClosing()) break;
      if (this.#host.has(id)) {
        ids.push(id);
        continue;
      }
      try {
        const entry = store.readSync(id);
        if (!entry) continue; // removed meanwhile
        if (inspect(store, entry).kind === 'starting') continue; // another live supervisor's, still starting
        this.#attach(Command.fromJSON(entry.command), entry).catch(() => {}); // results: wait() and 'exit'
        ids.push(id);
      } catch (error) {
        this.#host.stateError(id, error as ExecDriverError);
      }
    }
    return ids;
  }

  async prune(): Promise<string[]> {
    const store = this.ledger.store;
    const pruned: string[] = [];
    for (const id of await store.ids()) {
      if (this.#host.has(id)) continue;
      try {
        const entry = store.readSync(id);
        if (!entry || inspect(store, entry).kind !== 'ended') continue;
        store.remove(id);
        pruned.push(id);
      } catch (error) {
        this.#host.stateError(id, error as ExecDriverError);
      }
    }
    return pruned;
  }

  stop(): void {
    this.#poller?.stop();
  }

  /** Decides at once (kill/wait/info see a live command when restore() returns), then watches. */
  #attach(command: Command, entry: Entry): Promise<ExitResult> {
    const id = command.id;
    const ledger = this.ledger;
    const outcome = inspect(ledger.store, entry);
    const finish = (result: ExitResult) => {
      if (entry.status !== 'exited') {
        try {
          ledger.endedRestored(entry, result);
        } catch (error) {
          this.#host.error(command, error as Error);
        }
      }
      this.#host.exited(command, result);
    };
    if (outcome.kind === 'ended') {
      finish(outcome.result);
      return Promise.resolve(outcome.result);
    }
    if (outcome.kind === 'starting') {
      return Promise.reject(new ErrNotRunning(`command "${id}" is still being started by the supervisor of pid ${outcome.ownerPid}: restore it once it runs`));
    }
    let resolve!: (result: ExitResult) => void;
    let reject!: (error: unknown) => void;
    const exit = new Promise<ExitResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    exit.catch(() => {});
    const run = new RestoredRun(command, outcome.pid, outcome.startTime, this.#options.killGraceMs);
    this.#poller ??= new RestorePoller(ledger.store, { intervalMs: this.#options.pollIntervalMs, livenessMs: this.#options.livenessMs });
    const poller = this.#poller;
    this.#host.track(id, {
      run,
      exit,
      detach: () => {
        run.detach();
        poller.unwatch(id);
        reject(new ExecDriverError('ERR_DETACHED', `The supervisor closed and stopped watching the restored command "${id}"`,
          `it runs on; its exit will be recorded in ${this.stateDir}`));
      },
    });
    poller.watch({
      id,
      pid: outcome.pid,
      startTime: outcome.startTime,
      shim: outcome.shim,
      onEnd: (record) => {
        run.finish();
        const result = record ? fromExitRecord(id, record, entry.startedAtMs) : unknownExit(id, outcome.pid);
        finish(result);
        resolve(result);
      },
    });
    return exit;
  }
}
