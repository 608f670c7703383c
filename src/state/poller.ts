/**
 * One shared poller for every restored command (not a timer each). A tick costs one stat of the exits
 * directory: only when it changed lately (its mtime moved, or is recent enough that a change within the
 * same coarse clock tick could hide) does it list the directory and read the new exit files. Besides,
 * each tick checks the identity of a round-robin slice of the watched processes, so that every one is
 * checked once per `livenessMs`: that catches a command whose shim was killed and which will never have
 * an exit file.
 */
import { statSync } from 'node:fs';
import { isLive, readStatSync } from '../proc.js';
import type { ExitRecord, StateStore } from './store.js';

export interface Watch {
  id: string;
  pid: number;
  startTime: number;
  /** The shim that will write the exit file, when known: while it lives, the record will come. */
  shim?: { pid: number; startTime: number };
  /** The exit record, or undefined when the command is gone without one (exit unknown). */
  onEnd(record: ExitRecord | undefined): void;
}

export interface PollerOptions {
  intervalMs: number;
  livenessMs: number;
  /** How long a dead command's live shim gets to write the exit file before the exit is unknown. */
  graceMs?: number;
}

const RECENT_MS = 1000;

export class RestorePoller {
  readonly #store: StateStore;
  readonly #options: Required<PollerOptions>;
  readonly #watches = new Map<string, Watch & { deadline?: number }>();
  #timer: NodeJS.Timeout | undefined;
  #lastMtimeMs = -1;
  #cursor = 0;
  #ring: string[] = [];

  constructor(store: StateStore, options: PollerOptions) {
    this.#store = store;
    this.#options = { graceMs: 2000, ...options };
  }

  get size(): number {
    return this.#watches.size;
  }

  watch(watch: Watch): void {
    this.#watches.set(watch.id, watch);
    this.#ring.push(watch.id);
    this.#lastMtimeMs = -1; // its exit file may already be there: list the directory on the next tick
    this.#timer ??= setInterval(() => this.tick(), this.#options.intervalMs);
  }

  unwatch(id: string): void {
    if (!this.#watches.delete(id)) return;
    if (this.#watches.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#ring = [];
    this.#cursor = 0;
  }

  /** One round of checks (public for the benchmark and tests). */
  tick(): void {
    this.#checkExits();
    this.#checkLiveness();
  }

  #checkExits(): void {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.#store.exitsDir).mtimeMs;
    } catch {
      return;
    }
    if (mtimeMs === this.#lastMtimeMs && Date.now() - mtimeMs > RECENT_MS) return;
    this.#lastMtimeMs = mtimeMs;
    let ids: string[];
    try {
      ids = this.#store.exitIdsSync();
    } catch {
      return;
    }
    for (const id of ids) {
      const watch = this.#watches.get(id);
      if (watch) this.#tryExitFile(watch);
    }
  }

  /** Ends the watch if its exit file is there and is this process's. */
  #tryExitFile(watch: Watch): boolean {
    let record: ExitRecord | undefined;
    try {
      record = this.#store.readExitSync(watch.id);
    } catch {
      record = undefined; // corrupt: not the shim's (it writes atomically); the liveness check decides
    }
    if (!record || record.pid !== watch.pid || record.startTime !== watch.startTime) return false;
    this.#end(watch, record);
    return true;
  }

  #checkLiveness(): void {
    const n = this.#ring.length;
    if (n === 0) return;
    const slice = Math.max(1, Math.ceil((n * this.#options.intervalMs) / this.#options.livenessMs));
    const now = Date.now();
    for (let k = 0; k < slice && this.#ring.length > 0; k++) {
      if (this.#cursor >= this.#ring.length) this.#cursor = 0;
      const id = this.#ring[this.#cursor]!;
      const watch = this.#watches.get(id);
      if (!watch) {
        this.#ring.splice(this.#cursor, 1); // unwatched: drop lazily
        continue;
      }
      this.#cursor++;
      // While its shim lives the exit file will come; check the shim when known, else the command.
      const target = watch.shim ?? { pid: watch.pid, startTime: watch.startTime };
      if (same(target.pid, target.startTime)) continue;
      if (watch.shim && !watch.deadline && same(watch.pid, watch.startTime)) {
        watch.shim = undefined; // the shim is gone but the command runs on: watch the command itself
        continue;
      }
      if (this.#tryExitFile(watch)) continue;
      watch.deadline ??= now + this.#options.graceMs;
      if (now >= watch.deadline) this.#end(watch, undefined);
    }
  }

  #end(watch: Watch, record: ExitRecord | undefined): void {
    this.unwatch(watch.id);
    watch.onEnd(record);
  }
}

/** True while pid is a live (non-zombie) process that started at startTime. */
export function same(pid: number, startTime: number): boolean {
  const stat = readStatSync(pid);
  return isLive(stat) && stat.startTime === startTime;
}
