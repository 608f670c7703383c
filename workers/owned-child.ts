/**
 * One child owned by a worker thread: spawned with execa as the leader of its own process group, so that
 * a signal to -pgid reaches its whole tree and a grandchild holding stdout cannot keep a run pending.
 */
import { closeSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { execa, type Options, type ResultPromise } from 'execa';
import type { FileStdio, SpawnSpec, TaskResult } from '../src/protocol.js';

const SIGKILL = 9;

type Stdio = 'ignore' | 'inherit' | 'pipe' | number;

export class OwnedChild {
  readonly pid: number;
  #spec: SpawnSpec;
  #live: Int32Array;
  #subprocess: ResultPromise | undefined;
  #startedAt: number;
  #exitedAt = 0;
  #exited = false;
  #timedOut = false;
  #timers: NodeJS.Timeout[] = [];
  #spawnError: TaskResult['spawnError'];

  private constructor(spec: SpawnSpec, live: Int32Array) {
    this.#spec = spec;
    this.#live = live;
    this.#startedAt = performance.now();
    const fds: number[] = [];
    try {
      const stdin = stdio(spec.stdin, 'r', fds);
      const stdout = stdio(spec.stdout, 'w', fds);
      const stderr = stdio(spec.stderr, 'w', fds);
      const buffered = spec.stdout === 'buffer' || spec.stderr === 'buffer';
      this.#subprocess = execa(spec.file, spec.args, {
        detached: true, // setsid(): the child leads its own process group
        cleanup: false, // does not work from a worker thread; the supervisor cleans up itself
        reject: false,
        stdin,
        stdout,
        stderr,
        buffer: buffered,
        maxBuffer: spec.maxBuffer,
        encoding: 'utf8',
        stripFinalNewline: false,
        cwd: spec.cwd || undefined,
        env: spec.env,
        extendEnv: true,
        uid: spec.uid,
        gid: spec.gid,
      } as Options);
    } catch (error) {
      this.#spawnError = { message: (error as Error).message, code: (error as NodeJS.ErrnoException).code };
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    this.pid = this.#subprocess?.pid ?? -1;
    if (this.pid > 0) {
      Atomics.store(this.#live, spec.slot, this.pid);
      this.#subprocess!.once('exit', () => this.#onExit());
      if (Number.isFinite(spec.timeoutMs)) {
        this.#timers.push(setTimeout(() => this.#onTimeout(), spec.timeoutMs));
      }
    }
  }

  static spawn(spec: SpawnSpec, live: Int32Array): OwnedChild {
    return new OwnedChild(spec, live);
  }

  /** The result of a run that could not be started. */
  async failure(): Promise<TaskResult> {
    let spawnError = this.#spawnError;
    if (!spawnError && this.#subprocess) {
      const result = await this.#subprocess;
      const cause = result.cause as NodeJS.ErrnoException | undefined;
      spawnError = { message: String(cause?.message ?? result.shortMessage), code: cause?.code ?? result.code };
    }
    return { pid: -1, code: null, signal: null, timedOut: false, durationMs: 0, spawnError };
  }

  /**
   * Signals the whole process group. Returns false when the leader has already exited. With `escalate`,
   * SIGKILLs the group after killGraceMs if the leader is still running then.
   */
  signal(signal: number, escalate: boolean): boolean {
    if (this.#exited) return false;
    process.kill(-this.pid, signal);
    if (escalate && signal !== SIGKILL) {
      this.#timers.push(setTimeout(() => this.#killGroup(), this.#spec.killGraceMs));
    }
    return true;
  }

  /** Resolves once the child has exited, been reaped and its stdio has drained. */
  async result(): Promise<TaskResult> {
    const r = await this.#subprocess!;
    const result: TaskResult = {
      pid: this.pid,
      code: r.signal ? null : (r.exitCode ?? null),
      signal: r.signal ?? null,
      timedOut: this.#timedOut,
      durationMs: (this.#exitedAt || performance.now()) - this.#startedAt,
    };
    if (this.#spec.stdout === 'buffer') result.stdout = String(r.stdout ?? '');
    if (this.#spec.stderr === 'buffer') result.stderr = String(r.stderr ?? '');
    if (r.isMaxBuffer) result.maxBufferExceeded = true;
    return result;
  }

  #onTimeout(): void {
    if (this.#exited) return;
    this.#timedOut = true;
    this.signal(this.#spec.killSignal, true);
  }

  /** The leader has been reaped: whatever is left of its group dies with it, then the slot is freed. */
  #onExit(): void {
    this.#exitedAt = performance.now();
    this.#exited = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#killGroup();
    Atomics.store(this.#live, this.#spec.slot, 0);
  }

  #killGroup(): void {
    try {
      process.kill(-this.pid, SIGKILL);
    } catch {
      // ESRCH: the group is already empty.
    }
  }
}

function stdio(spec: SpawnSpec['stdout'], mode: 'r' | 'w', fds: number[]): Stdio {
  if (spec === 'buffer') return 'pipe';
  if (spec === 'ignore' || spec === 'inherit') return spec;
  const file = spec as FileStdio;
  const fd = openSync(file.file, mode === 'r' ? 'r' : file.append ? 'a' : 'w');
  fds.push(fd);
  return fd;
}
