/**
 * One child owned by a worker thread. The worker spawns the execdriver-shim with execa (its own session,
 * so never in the way of a group kill); the shim forks the command as the leader of its own process
 * group, reports its pid and, when the tree is gone, its exit status and rusage on fd 3. Signals go to
 * the command's group (-pid), never to the shim; the shim kills and reaps what is left when the command
 * exits, so a grandchild holding stdout cannot keep a run pending.
 */
import { closeSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { execa, type Options, type Result, type ResultPromise } from 'execa';
import type { FileStdio, SpawnSpec, TaskResult } from '../src/protocol.js';
import { readStatSync } from '../src/proc.js';
import { signalName } from '../src/signals.js';
import { LineSplitter, parseShimLine, type ShimEvent } from './shim-channel.js';

const SIGKILL = 9;

type Stdio = 'ignore' | 'inherit' | 'pipe' | number;
type ExitEvent = Extract<ShimEvent, { t: 'exit' }>;
type SpawnErrEvent = Extract<ShimEvent, { t: 'spawnerr' }>;

/** What `started` resolves with: the command's pid, or the failed run's result. */
export type Started = { pid: number; startTime: number } | { failure: TaskResult };

export class OwnedChild {
  /** The command's pid once the shim has reported it, else -1. */
  pid = -1;
  startTime = 0;
  /** Resolves once the command has exec'd, or with the failure when it could not be started. */
  readonly started: Promise<Started>;
  #resolveStarted!: (started: Started) => void;
  #spec: SpawnSpec;
  #live: Int32Array;
  #subprocess: ResultPromise | undefined;
  #settled: Promise<Result | undefined>;
  #channel: Readable | undefined;
  #startedAt: number;
  #exitedAt = 0;
  #exit: ExitEvent | undefined;
  #spawnErr: SpawnErrEvent | undefined;
  #shimMessages: string[] = [];
  #shimGone = false;
  #detached = false;
  #detachWhenStarted = false;
  /** The shim said the command exited ('exited' line): no more signals to its group. */
  #commandExited = false;
  #timedOut = false;
  #timers: NodeJS.Timeout[] = [];
  /** Signals asked for before the pid was known: sent as soon as it is. */
  #pendingSignals: number[] = [];

  private constructor(spec: SpawnSpec, live: Int32Array) {
    this.#spec = spec;
    this.#live = live;
    this.#startedAt = performance.now();
    this.started = new Promise((resolve) => (this.#resolveStarted = resolve));
    const fds: number[] = [];
    let spawnError: TaskResult['spawnError'];
    try {
      const stdin = stdio(spec.stdin, 'r', fds);
      const stdout = stdio(spec.stdout, 'w', fds);
      const stderr = stdio(spec.stderr, 'w', fds);
      this.#subprocess = execa(spec.shim, [...shimArgs(spec), '--', spec.file, ...spec.args], {
        detached: true, // setsid(): the shim is out of every group the supervisor signals
        cleanup: false, // does not work from a worker thread; the supervisor cleans up itself
        reject: false,
        stdio: [stdin, stdout, stderr, 'pipe'],
        buffer: { stdout: spec.stdout === 'buffer', stderr: spec.stderr === 'buffer', fd3: false },
        maxBuffer: spec.maxBuffer,
        encoding: 'utf8',
        stripFinalNewline: false,
        cwd: spec.cwd || undefined,
        // No per-run copy of process.env when the command adds nothing to it (execa copies it otherwise).
        ...(Object.keys(spec.env).length === 0 ? { env: process.env, extendEnv: false } : { env: spec.env, extendEnv: true }),
      } as Options);
    } catch (error) {
      spawnError = { message: (error as Error).message, code: (error as NodeJS.ErrnoException).code };
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    const shimPid = this.#subprocess?.pid ?? -1;
    if (shimPid <= 0) {
      this.#settled = (this.#subprocess ?? Promise.resolve(undefined)) as Promise<Result | undefined>;
      void this.#settled.then((r) => {
        const cause = r?.cause as NodeJS.ErrnoException | undefined;
        spawnError ??= { message: String(cause?.message ?? r?.shortMessage), code: cause?.code ?? r?.code };
        this.#resolveStarted({ failure: failed(spawnError) });
      });
      return;
    }
    // Until the command's pid is known, the exit hook kills the shim; the command has PDEATHSIG.
    if (!spec.restorable) Atomics.store(this.#live, spec.slot, shimPid);
    this.#channel = this.#subprocess!.stdio[3] as Readable;
    this.#channel.setEncoding('utf8');
    const lines = new LineSplitter((line) => this.#onLine(line));
    this.#channel.on('data', (chunk: string) => lines.push(chunk));
    this.#channel.on('error', () => {}); // a destroyed channel (detach) is not an error
    // The channel closes when the shim exits: without an exit line, its command is nobody's now. (This can
    // come long before execa settles: an orphaned command may hold stdout until its group is killed here.)
    this.#channel.once('close', () => {
      if (!this.#exit && !this.#detached && !spec.restorable) this.#killOrphanedGroup();
    });
    this.#settled = this.#subprocess!.then((r) => r, () => undefined);
    void this.#settled.then(() => this.#onShimGone());
    if (Number.isFinite(spec.timeoutMs)) {
      this.#timers.push(setTimeout(() => this.#onTimeout(), spec.timeoutMs));
    }
  }

  static spawn(spec: SpawnSpec, live: Int32Array): OwnedChild {
    return new OwnedChild(spec, live);
  }

  #onLine(line: string): void {
    const event = parseShimLine(line);
    if (!event) return;
    if (event.t === 'pid') {
      this.pid = event.pid;
      this.startTime = event.startTime;
      if (!this.#spec.restorable) Atomics.store(this.#live, this.#spec.slot, event.pid);
      this.#resolveStarted({ pid: event.pid, startTime: event.startTime });
      for (const signal of this.#pendingSignals.splice(0)) this.#send(signal);
      if (this.#detachWhenStarted) this.detach();
    } else if (event.t === 'exited') {
      this.#onCommandExited();
    } else if (event.t === 'exit') {
      this.#exit = event;
      this.#onExit();
    } else if (event.t === 'spawnerr') {
      this.#spawnErr = event;
    } else {
      this.#shimMessages.push(`${event.t}: ${event.message}`);
    }
  }

  /** The shim has exited and its stdio has drained (or the channel was destroyed by detach()). */
  #onShimGone(): void {
    this.#shimGone = true;
    if (this.pid < 0) {
      const e = this.#spawnErr;
      const message = e
        ? e.stage === 'exec' ? `spawn ${this.#spec.file} ${e.code}` : `spawn ${this.#spec.file}: ${e.stage} failed: ${e.message} (${e.code})`
        : `execdriver-shim ended before starting ${this.#spec.file}${this.#shimMessages.length ? `: ${this.#shimMessages.join('; ')}` : ''}`;
      this.#resolveStarted({ failure: failed({ message, code: e?.code ?? 'ERR_SHIM_FAILED' }) });
    }
    if (!this.#exit) this.#onExit();
  }

  /**
   * Signals the command's process group. Returns false when the command has already exited. With
   * `escalate`, SIGKILLs the group after killGraceMs if it has not exited by then.
   */
  signal(signal: number, escalate: boolean): boolean {
    if (this.#commandExited || this.#exit || this.#shimGone) return false;
    if (this.pid < 0) this.#pendingSignals.push(signal);
    else if (!this.#send(signal)) return false;
    if (escalate && signal !== SIGKILL) {
      this.#timers.push(setTimeout(() => this.signal(SIGKILL, false), this.#spec.killGraceMs));
    }
    return true;
  }

  #send(signal: number): boolean {
    if (this.pid <= 0) return false;
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      return false; // ESRCH: the group is gone (the shim is about to report the exit)
    }
  }

  /** Stops watching a restorable run: it keeps running under its shim, which records its exit. */
  detach(): void {
    if (!this.#spec.restorable || this.#exit) return;
    if (this.pid < 0) {
      // Not started yet: keep reading until the pid line, or the run would look like a failed start.
      this.#detachWhenStarted = true;
      return;
    }
    this.#detached = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#channel?.destroy();
  }

  /** Resolves once the shim has exited and the stdio has drained (or at once after detach()). */
  async result(): Promise<TaskResult> {
    const r = await this.#settled;
    // The shim's own clock (fork to exit) when it reported; else what this worker saw.
    const durationMs = this.#exit ? this.#exit.wallUs / 1000 : (this.#exitedAt || performance.now()) - this.#startedAt;
    const base = { pid: this.pid, startTime: this.startTime, timedOut: this.#timedOut, durationMs };
    let result: TaskResult;
    if (this.#detached && !this.#exit) {
      result = { ...base, code: null, signal: null, detached: true };
    } else if (this.#exit) {
      const e = this.#exit;
      const signal = e.code < 0 ? signalName(e.signo) ?? `SIG${e.signo}` : null;
      result = {
        ...base,
        code: e.code < 0 ? null : e.code,
        signal,
        usage: { userCpuMs: e.utimeUs / 1000, systemCpuMs: e.stimeUs / 1000, maxRssBytes: e.maxRssKb * 1024 },
      };
    } else {
      const how = r?.signal ? `was killed by ${r.signal}` : `exited with ${r?.exitCode ?? 'an unknown status'}`;
      result = {
        ...base,
        code: r?.signal ? null : (r?.exitCode ?? null),
        signal: r?.signal ?? null,
        shimError: `execdriver-shim ${how} before reporting the command's exit: the status is the shim's, usage is unknown` +
          (this.#shimMessages.length ? ` (${this.#shimMessages.join('; ')})` : ''),
      };
    }
    if (this.#spec.stdout === 'buffer') result.stdout = String(r?.stdout ?? '');
    if (this.#spec.stderr === 'buffer') result.stderr = String(r?.stderr ?? '');
    if (r?.isMaxBuffer) result.maxBufferExceeded = true;
    return result;
  }

  #onTimeout(): void {
    if (this.#commandExited || this.#exit || this.#shimGone) return;
    this.#timedOut = true;
    this.signal(this.#spec.killSignal, true);
  }

  /**
   * The command has exited and is still its shim's zombie, so its pid cannot have been reused yet: from
   * here on nothing signals -pid (the shim kills and reaps what is left of the tree itself).
   */
  #onCommandExited(): void {
    this.#commandExited = true;
    for (const timer of this.#timers) clearTimeout(timer);
    if (!this.#spec.restorable) Atomics.store(this.#live, this.#spec.slot, 0);
  }

  /** The command's tree is gone (the exit line), or the shim is (without one): stop and free the slot. */
  #onExit(): void {
    this.#exitedAt ||= performance.now();
    for (const timer of this.#timers) clearTimeout(timer);
    if (!this.#exit && !this.#spec.restorable) this.#killOrphanedGroup();
    if (!this.#spec.restorable) Atomics.store(this.#live, this.#spec.slot, 0);
  }

  /**
   * The shim died without reporting: SIGKILL the command's group, unless its pid now belongs to another
   * process (another start time). A leader killed by PDEATHSIG may be a zombie or already gone while the
   * rest of its group lives on; a vanished pid cannot lead a new group, so -pid is still ours then.
   */
  #killOrphanedGroup(): void {
    if (this.pid <= 0) return;
    const stat = readStatSync(this.pid);
    if (stat && stat.startTime !== this.startTime) return;
    try {
      process.kill(-this.pid, SIGKILL);
    } catch {
      // ESRCH: the group is empty
    }
  }
}

function shimArgs(spec: SpawnSpec): string[] {
  const args: string[] = [];
  for (const path of spec.join ?? []) args.push('--join', path);
  if (spec.uid !== undefined) args.push('--uid', String(spec.uid));
  if (spec.gid !== undefined) args.push('--gid', String(spec.gid));
  if (spec.restorable) args.push('--daemon', '--pid-file', spec.restorable.pidFile, '--exit-file', spec.restorable.exitFile);
  return args;
}

function failed(spawnError: NonNullable<TaskResult['spawnError']>): TaskResult {
  return { pid: -1, code: null, signal: null, timedOut: false, durationMs: 0, spawnError };
}

function stdio(spec: SpawnSpec['stdout'], mode: 'r' | 'w', fds: number[]): Stdio {
  if (spec === 'buffer') return 'pipe';
  if (spec === 'ignore' || spec === 'inherit') return spec;
  const file = spec as FileStdio;
  const fd = openSync(file.file, mode === 'r' ? 'r' : file.append ? 'a' : 'w');
  fds.push(fd);
  return fd;
}
