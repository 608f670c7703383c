/**
 * The Supervisor: validates a run, asks the driver what to spawn, and dispatches it to a piscina pool of
 * worker threads, where the worker that takes it spawns the child and owns it until it is reaped. The main
 * thread keeps only bookkeeping, so many short jobs never block the embedding application's event loop.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SHARE_ENV } from 'node:worker_threads';
import { EventEmitter } from 'eventemitter3';
import pTimeout from 'p-timeout';
import { Piscina } from 'piscina';
import { Command } from './command.js';
import type { Driver, DriverOptions, RunHooks } from './drivers/driver.js';
import {
  ErrNotRunning, ErrRunAborted, ErrSupervisorClosed, ErrWaitTimeoutReached, ExecDriverError, invalid,
} from './errors.js';
import { addExitHook, removeExitHook } from './exit-hooks.js';
import { LiveTable } from './live-table.js';
import { killGraceMs, normalizeRunOptions, type RunOptions } from './options.js';
import { treePids } from './proc.js';
import type { RunTask, SpawnSpec, TaskResult, WorkerData } from './protocol.js';
import { getDriver } from './registry.js';
import type { ExitResult } from './result.js';
import { RestoredRun } from './restore.js';
import { needsCgroup } from './cgroups/resources.js';
import { Restorer, type RestoreHost } from './restorer.js';
import { Run } from './run.js';
import { defaultStateDir } from './state/dir.js';
import { requireShim } from './shim.js';
import { exitCodeOf, toSignalNumber } from './signals.js';

export interface SupervisorOptions {
  /** A registered driver's name, or a Driver. Default 'process'. */
  driver?: string | Driver;
  /**
   * Where restorable runs keep their state (see restore). Default $XDG_STATE_HOME/execdriver, else
   * ~/.local/state/execdriver; created mode 0700 on first use, looser bits tightened to 0700.
   */
  stateDir?: string;
  /** How often the one shared poller checks restored commands. Default 100 ms. */
  pollIntervalMs?: number;
  /** Each restored command's process identity is checked once per this period. Default 2000 ms. */
  livenessMs?: number;
  /** Worker threads in the pool. Default: max(1, min(cores - 1, 4)). */
  maxWorkers?: number;
  /** Most runs alive at once. Default 65536. */
  maxRunning?: number;
  /** Signal for timeouts, aborts and close(). Default SIGTERM. */
  killSignal?: string | number;
  /** Grace between killSignal and SIGKILL. Default 5000 ms. */
  killGraceMs?: number;
  /**
   * Where the process driver puts the cgroups of runs with resources: a folder laid out as /sys/fs/cgroup
   * (a cgroup v2 hierarchy, or one folder per v1 controller). Default: this process's own cgroups.
   */
  cgroupRoot?: string;
}

export type StartCallback = (command: Command) => void;

export interface SupervisorEvents {
  start: (command: Command) => void;
  exit: (command: Command, result: ExitResult) => void;
  error: (command: Command, error: Error) => void;
  /** A state entry that restoreAll() or prune() could not read (the entry is left as it is). */
  stateError: (id: string, error: ExecDriverError) => void;
}

/** Whatever the supervisor tracks for an id: a run its pool owns, or a restored command. */
type Tracked = Run | RestoredRun;

export interface Info {
  readonly id: string;
  /** True while the command's process is alive (checked at each call). */
  isRunning(): boolean;
}

const WORKER = fileURLToPath(new URL('../workers/entry.cjs', import.meta.url));

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly stateDir: string;
  readonly #driver: Driver;
  readonly #pool: Piscina<RunTask, TaskResult>;
  readonly #live: LiveTable;
  readonly #killSignal: number;
  readonly #killGraceMs: number;
  /** Every id with a run in progress, from the moment run() accepts it. */
  readonly #runs = new Map<string, Entry>();
  readonly #restorer: Restorer;
  readonly #settled = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(options: SupervisorOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw invalid('the Supervisor options', 'an object', options);
    this.#driver = resolveDriver(options.driver ?? 'process', { cgroupRoot: options.cgroupRoot });
    if (options.stateDir !== undefined && (typeof options.stateDir !== 'string' || options.stateDir === '' || options.stateDir.includes('\0'))) {
      throw invalid('the `stateDir` option', 'a non-empty path', options.stateDir);
    }
    this.stateDir = options.stateDir ?? defaultStateDir();
    this.#killSignal = toSignalNumber(options.killSignal ?? 'SIGTERM', 'the `killSignal` option');
    this.#killGraceMs = killGraceMs(options.killGraceMs ?? 5000);
    this.#restorer = new Restorer(this.stateDir, {
      pollIntervalMs: positiveInt('pollIntervalMs', options.pollIntervalMs ?? 100),
      livenessMs: positiveInt('livenessMs', options.livenessMs ?? 2000),
      killGraceMs: this.#killGraceMs,
    }, this.#restoreHost());
    // One core is left to the embedding application (and to the children's exec): two threads forking at
    // once on two cores cost more kernel time per fork than they gain (benchmarks/README.md).
    const threads = positiveInt('maxWorkers', options.maxWorkers ?? Math.max(1, Math.min(availableParallelism() - 1, 4)));
    this.#live = new LiveTable(positiveInt('maxRunning', options.maxRunning ?? 65536));
    this.#pool = new Piscina<RunTask, TaskResult>({
      filename: WORKER,
      minThreads: threads,
      maxThreads: threads,
      // A task holds its child for the child's whole life: one worker owns many children at once.
      concurrentTasksPerWorker: this.#live.capacity,
      // Idle workers must keep running their event loop (exit events, port messages): no Atomics.wait.
      atomics: 'disabled',
      idleTimeout: 2 ** 31 - 1,
      env: SHARE_ENV,
      recordTiming: false,
      workerData: { live: this.#live.buffer } satisfies WorkerData,
    });
    addExitHook(this);
  }

  /** The driver's name. */
  name(): string {
    return this.#driver.name;
  }

  /**
   * Runs the command and resolves with its ExitResult once it has exited and been reaped (a non-zero exit
   * is a result, not an error). startCallback fires once, on spawn, with command.pid() set.
   */
  run(command: Command, startCallback?: StartCallback, options?: RunOptions): Promise<ExitResult> {
    let exitResolve!: (result: ExitResult) => void;
    let exitReject!: (error: unknown) => void;
    const exit = new Promise<ExitResult>((resolve, reject) => {
      exitResolve = resolve;
      exitReject = reject;
    });
    exit.catch(() => {}); // wait() may never be called
    let promise: Promise<ExitResult>;
    try {
      if (this.#closing) throw new ErrSupervisorClosed();
      if (!(command instanceof Command)) throw invalid('the command', 'a Command', command);
      if (startCallback !== undefined && typeof startCallback !== 'function') {
        throw invalid('the start callback', 'a function', startCallback);
      }
      const normalized = normalizeRunOptions(options, { killSignal: this.#killSignal, killGraceMs: this.#killGraceMs });
      if (this.#runs.has(command.id)) {
        throw new ExecDriverError('ERR_ALREADY_RUNNING', `Command "${command.id}" is already running`);
      }
      if (normalized.signal?.aborted) throw new ErrRunAborted('aborted before start', { cause: normalized.signal.reason });
      const entry: Entry = { exit };
      this.#runs.set(command.id, entry);
      promise = this.#execute(command, startCallback, normalized, entry, exitResolve, exitReject).finally(() => {
        this.#runs.delete(command.id);
      });
    } catch (error) {
      promise = Promise.reject(error);
    }
    const settled = promise.then(() => {}, () => {});
    this.#settled.add(settled);
    settled.finally(() => this.#settled.delete(settled));
    return promise;
  }

  async #execute(
    command: Command,
    startCallback: StartCallback | undefined,
    options: ReturnType<typeof normalizeRunOptions>,
    entry: Entry,
    exitResolve: (result: ExitResult) => void,
    exitReject: (error: unknown) => void,
  ): Promise<ExitResult> {
    let run: Run | undefined;
    const onAbort = () => {
      if (run) {
        run.aborted = true;
        void run.kill(options.killSignal, true);
      }
    };
    // The driver's per-run hooks: `after` is called exactly once, whether the run ran or not.
    let hooks: RunHooks | undefined;
    const after = async (result?: ExitResult): Promise<Partial<ExitResult>> => {
      const h = hooks;
      hooks = undefined;
      return h ? h.after(result).catch(() => ({})) : {}; // after() is not to turn a finished run into a failure
    };
    try {
      const shim = requireShim();
      const notRestorable = () => new ExecDriverError('ERR_RESTORABLE_RESOURCES', `Command "${command.id}" cannot be restorable`,
        'it has resources (a cgroup whose lifetime is tied to the supervisor); run it without restorable, or without resources');
      // Refused before the driver makes a cgroup only to remove it again.
      if (options.restorable && needsCgroup(command.resources)) throw notRestorable();
      const { hooks: prepareHooks, ...prepared } = await this.#driver.prepare(command);
      entry.hooks = hooks = prepareHooks;
      // Another driver's cgroup: it is released (its members killed) when the supervisor stops watching the run.
      if (options.restorable && (prepared.join?.length || prepareHooks)) throw notRestorable();
      if (this.#closing) throw new ErrSupervisorClosed();
      if (options.signal?.aborted) throw new ErrRunAborted('aborted before start', { cause: options.signal.reason });
      const ledger = options.restorable ? this.#restorer.ledger : undefined;
      ledger?.begin(command);
      const slot = this.#live.acquire();
      if (slot < 0) {
        ledger?.failed(command.id);
        throw new ExecDriverError('ERR_TOO_MANY_RUNS', `Too many runs alive at once (maxRunning ${this.#live.capacity})`);
      }
      run = new Run(command, slot, (r) => this.#onStart(r, startCallback));
      entry.run = run;
      let restorable: SpawnSpec['restorable'];
      if (ledger) {
        run.restorable = true;
        run.beforeStart = (r) => ledger.started(command.id, r.pid, r.startTime);
        restorable = { pidFile: ledger.store.pidPath(command.id), exitFile: ledger.store.exitPath(command.id) };
      }
      const spec: SpawnSpec = {
        id: command.id,
        ...prepared,
        stdin: options.stdin,
        stdout: options.stdout,
        stderr: options.stderr,
        maxBuffer: options.maxBuffer,
        timeoutMs: options.timeoutMs,
        killSignal: options.killSignal,
        killGraceMs: options.killGraceMs,
        slot,
        shim,
        restorable,
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let task: TaskResult;
      try {
        task = await this.#pool.run({ spec, port: run.workerPort }, { transferList: [run.workerPort] });
      } catch (error) {
        // The owning worker is gone (it threw, or piscina lost it): its child has no owner any more.
        this.#live.killSlot(slot);
        throw error;
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        run.finish();
        this.#live.release(slot);
      }
      if (task.spawnError) {
        if (options.restorable) ledger!.failed(command.id);
        const cause = Object.assign(new Error(task.spawnError.message), { code: task.spawnError.code });
        throw new ErrNotRunning(task.spawnError.message, { cause });
      }
      run.markStarted(task.pid, task.startTime ?? 0);
      if (task.detached) {
        throw new ExecDriverError('ERR_DETACHED', `The supervisor closed and let the restorable command "${command.id}" run on`,
          `pid ${task.pid}; its exit will be recorded in ${this.stateDir}: restore() it to get its result`);
      }
      const result = toExitResult(command.id, task);
      Object.assign(result, await after(result));
      if (options.restorable) {
        try {
          ledger!.ended(command.id, result);
        } catch (error) {
          this.#emit('error', command, error as Error); // the exit file (the shim's) still has it
        }
      }
      exitResolve(result);
      this.#emit('exit', command, result);
      if (run.callbackError !== undefined) throw run.callbackError;
      if (result.timedOut) throw new ErrWaitTimeoutReached(`run of "${command.id}" timed out after ${options.timeoutMs} ms`, { result });
      if (run.aborted) throw new ErrRunAborted(`run of "${command.id}"`, { cause: options.signal?.reason, result });
      return result;
    } catch (error) {
      await after();
      exitReject(error);
      if (!run?.started) this.#emit('error', command, error as Error);
      throw error;
    }
  }

  #onStart(run: Run, startCallback: StartCallback | undefined): void {
    this.#emit('start', run.command);
    if (!startCallback) return;
    try {
      startCallback(run.command);
    } catch (error) {
      run.callbackError = error;
      void run.kill(9, false);
    }
  }

  /** Emits without letting a throwing listener break the run: its error goes to 'error' listeners. */
  #emit<E extends keyof SupervisorEvents>(event: E, ...args: Parameters<SupervisorEvents[E]>): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (error) {
      if (event === 'error') return;
      try {
        this.emit('error', args[0] as Command, error as Error);
      } catch {
        // an 'error' listener that throws has nowhere left to report to
      }
    }
  }

  /** Sends a signal (name or number) to the command's whole process tree. */
  async kill(command: Command, signal: string | number = this.#killSignal): Promise<void> {
    const number = toSignalNumber(signal, 'the signal');
    const id = commandId(command);
    const entry = this.#runs.get(id);
    const run = entry?.run;
    if (!run) throw new ErrNotRunning(`command "${id}" is not running`);
    // With a cgroup: every member (a grandchild that called setsid too); until the child has joined it, the group.
    const sent = run.started && !run.exited && (await entry.hooks?.signal?.(number));
    if (!sent && !(await run.kill(number, false))) throw new ErrNotRunning(`command "${id}" is not running`);
  }

  /** The running command's result; rejects ErrWaitTimeoutReached after timeoutMs, without killing it. */
  wait(id: string, timeoutMs?: number): Promise<ExitResult> {
    const entry = this.#runs.get(id);
    if (!entry) return Promise.reject(new ErrNotRunning(`command "${id}" is not running`));
    if (timeoutMs === undefined || timeoutMs === Infinity) return entry.exit;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      return Promise.reject(invalid('the wait timeout', 'a positive number of milliseconds or Infinity', timeoutMs));
    }
    return pTimeout(entry.exit, {
      milliseconds: timeoutMs,
      message: new ErrWaitTimeoutReached(`waited ${timeoutMs} ms for "${id}"`),
    });
  }

  info(id: string): Info {
    return {
      id,
      isRunning: () => {
        const run = this.#runs.get(id)?.run;
        if (run instanceof RestoredRun) return run.isAlive();
        return run !== undefined && run.started && !run.exited;
      },
    };
  }

  /** Every live pid of the command's tree: its cgroup's members, else its process group and its descendants. */
  async getPidsForContainer(id: string): Promise<number[]> {
    const entry = this.#runs.get(id);
    const run = entry?.run;
    if (!entry || !run?.started || run.exited) throw new ErrNotRunning(`command "${id}" is not running`);
    const members = (await entry.hooks?.pids?.()) ?? [];
    const pids = members.length > 0 ? members : await treePids(run.pid);
    if (run.exited || pids.length === 0) throw new ErrNotRunning(`command "${id}" is not running`);
    return pids;
  }

  /**
   * Re-attaches to a restorable command by its id. While the recorded process still runs (same pid and
   * start time, not a zombie) it shows in info/getPidsForContainer/kill/wait again (from the moment this
   * returns) and this resolves with its real result when it ends; if it ended meanwhile, this resolves
   * at once with the recorded result (or an `exitUnknown` one, see ExitResult). ErrNotRunning when the
   * state dir has no entry for the id; ERR_STATE_CORRUPT when it cannot be read.
   */
  restore(command: Command): Promise<ExitResult> {
    try {
      if (this.#closing) throw new ErrSupervisorClosed();
      const existing = this.#runs.get(commandId(command));
      if (existing) return existing.exit;
      return this.#restorer.restore(command);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Restores every command with an entry in the state dir; returns their ids. Unreadable entries go to 'stateError'. */
  async restoreAll(): Promise<string[]> {
    if (this.#closing) throw new ErrSupervisorClosed();
    return this.#restorer.restoreAll(() => this.#closing !== undefined);
  }

  /** Removes the state of every command that has ended (and is not being watched); returns their ids. */
  prune(): Promise<string[]> {
    return this.#restorer.prune();
  }

  #restoreHost(): RestoreHost {
    return {
      has: (id) => this.#runs.has(id),
      track: (id, watched) => {
        this.#runs.set(id, watched);
        const done = watched.exit.then(() => {}, () => {}).finally(() => {
          if (this.#runs.get(id) === watched) this.#runs.delete(id);
          this.#settled.delete(done);
        });
        this.#settled.add(done);
      },
      exited: (command, result) => this.#emit('exit', command, result),
      error: (command, error) => this.#emit('error', command, error),
      stateError: (id, error) => this.#emit('stateError', id, error),
    };
  }

  /**
   * Stops accepting runs, kills every running tree (killSignal, then SIGKILL after killGraceMs), waits
   * until each child is reaped, then stops the pool. Nothing is left running, no zombie is left.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#restorer.stop();
      for (const { run, detach } of this.#runs.values()) {
        if (detach) detach();
        else if (run?.restorable) run.detach();
        else void run?.kill(this.#killSignal, true);
      }
      while (this.#settled.size > 0) await Promise.all([...this.#settled]);
      await this.#pool.close();
      removeExitHook(this);
    })();
    return this.#closing;
  }

  /** @internal the exit hook: the process is dying, kill every live tree now. */
  killAllSync(): void {
    this.#live.killAll();
    this.#driver.killAllSync?.();
  }
}

interface Entry {
  run?: Tracked;
  exit: Promise<ExitResult>;
  hooks?: RunHooks;
  /** A restored command: close() stops watching it (it runs on). */
  detach?: () => void;
}

function resolveDriver(driver: unknown, options: DriverOptions): Driver {
  if (typeof driver === 'string') return getDriver(driver, options);
  if (driver !== null && typeof driver === 'object' && typeof (driver as Driver).prepare === 'function' &&
      typeof (driver as Driver).name === 'string') {
    if (options.cgroupRoot !== undefined) {
      throw invalid('the `cgroupRoot` option', "absent when `driver` is a Driver (give it to the driver's constructor)", options.cgroupRoot);
    }
    return driver as Driver;
  }
  throw invalid('the `driver` option', 'a registered driver name or a Driver', driver);
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(`the \`${name}\` option`, 'a positive integer', value);
  }
  return value;
}

function commandId(command: unknown): string {
  if (command instanceof Command) return command.id;
  throw invalid('the command', 'a Command', command);
}

function toExitResult(id: string, task: TaskResult): ExitResult {
  const result: ExitResult = {
    id,
    pid: task.pid,
    exitCode: exitCodeOf(task.code, task.signal),
    signal: task.signal,
    timedOut: task.timedOut,
    durationMs: task.durationMs,
  };
  if (task.stdout !== undefined) result.stdout = task.stdout;
  if (task.stderr !== undefined) result.stderr = task.stderr;
  if (task.maxBufferExceeded) result.maxBufferExceeded = true;
  if (task.usage) result.usage = task.usage;
  if (task.shimError) result.shimError = task.shimError;
  return result;
}
