/**
 * Restoring a restorable command: deciding from its state entry, its pid and exit files and /proc what
 * became of it, and the handle (RestoredRun) through which a supervisor that did not start it signals it.
 * A pid is only ever signalled while it is still the recorded process: same start time, not a zombie.
 */
import { attachPid, type Command } from './command.js';
import { isLive, readStatSync } from './proc.js';
import type { ExitResult } from './result.js';
import { signalName } from './signals.js';
import { same } from './state/poller.js';
import type { Entry, ExitRecord, PidRecord, StateStore } from './state/store.js';

export type Outcome =
  /** The command has ended: its real result, or the explicit unknown-exit one. */
  | { kind: 'ended'; result: ExitResult }
  /** Still the recorded process (or its shim is about to record its exit): watch it. */
  | { kind: 'alive'; pid: number; startTime: number; shim?: { pid: number; startTime: number } }
  /** Its supervisor is alive and still starting it (no pid yet): not ours to restore, nor to mark ended. */
  | { kind: 'starting'; ownerPid: number };

/** What a restore sees, from the entry, the shim's files and /proc (synchronously: a few small reads). */
export function inspect(store: StateStore, entry: Entry): Outcome {
  const id = entry.id;
  let pidRecord: PidRecord | undefined;
  try {
    pidRecord = store.readPidSync(id);
  } catch {
    pidRecord = undefined; // the entry's own pid, if any, decides
  }
  const pid = entry.pid ?? pidRecord?.pid ?? null;
  const startTime = entry.startTime ?? pidRecord?.startTime ?? null;
  const exit = store.readExitSync(id);
  if (exit && (pid === null || (exit.pid === pid && exit.startTime === startTime))) {
    return { kind: 'ended', result: fromExitRecord(id, exit, entry.startedAtMs) };
  }
  if (entry.status === 'exited' && entry.result) return { kind: 'ended', result: entry.result };
  if (pid === null || startTime === null) {
    if (entry.status === 'starting' && same(entry.owner.pid, entry.owner.startTime)) {
      return { kind: 'starting', ownerPid: entry.owner.pid };
    }
    // Never seen started: the owner died between writing the entry and learning the pid.
    return { kind: 'ended', result: unknownExit(id, -1) };
  }
  const shim = pidRecord && pidRecord.pid === pid ? { pid: pidRecord.shimPid, startTime: pidRecord.shimStartTime } : undefined;
  const stat = readStatSync(pid);
  if (isLive(stat) && stat.startTime === startTime) return { kind: 'alive', pid, startTime, shim };
  // Gone (or its pid is another process now): its shim, if it still lives, is about to write the exit.
  if (shim && same(shim.pid, shim.startTime)) return { kind: 'alive', pid, startTime, shim };
  const late = store.readExitSync(id);
  if (late && late.pid === pid && late.startTime === startTime) return { kind: 'ended', result: fromExitRecord(id, late, entry.startedAtMs) };
  return { kind: 'ended', result: unknownExit(id, pid) };
}

export function fromExitRecord(id: string, record: ExitRecord, startedAtMs: number | null): ExitResult {
  const signal = record.code < 0 ? signalName(record.signo) ?? `SIG${record.signo}` : null;
  return {
    id,
    pid: record.pid,
    exitCode: record.code < 0 ? 128 + record.signo : record.code,
    signal,
    timedOut: false,
    durationMs: record.wallUs !== undefined ? record.wallUs / 1000
      : startedAtMs === null ? 0 : Math.max(0, record.exitedAtMs - startedAtMs),
    usage: { userCpuMs: record.utimeUs / 1000, systemCpuMs: record.stimeUs / 1000, maxRssBytes: record.maxRssKb * 1024 },
  };
}

/** The command ended while nobody could record its status: exitCode -1, exitUnknown true. */
export function unknownExit(id: string, pid: number): ExitResult {
  return { id, pid, exitCode: -1, signal: null, timedOut: false, durationMs: 0, exitUnknown: true };
}

/** A restored command: not this process's child; signalled only while it is still the recorded process. */
export class RestoredRun {
  readonly command: Command;
  readonly pid: number;
  readonly startTime: number;
  readonly restorable = true;
  started = true;
  exited = false;
  readonly #killGraceMs: number;
  #timers: NodeJS.Timeout[] = [];

  constructor(command: Command, pid: number, startTime: number, killGraceMs: number) {
    this.command = command;
    this.pid = pid;
    this.startTime = startTime;
    this.#killGraceMs = killGraceMs;
    command[attachPid](pid);
  }

  /** Signals the command's process group (or the process, if it left its group). False if it is gone. */
  kill(signal: number, escalate: boolean): Promise<boolean> {
    const sent = this.#send(signal);
    if (sent && escalate && signal !== 9) this.#timers.push(setTimeout(() => this.#send(9), this.#killGraceMs));
    return Promise.resolve(sent);
  }

  #send(signal: number): boolean {
    if (this.exited || this.pid <= 0) return false;
    const stat = readStatSync(this.pid);
    if (!isLive(stat) || stat.startTime !== this.startTime) return false;
    try {
      process.kill(stat.pgid === this.pid ? -this.pid : this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** True while the pid is still the recorded process and not a zombie (read from /proc at each call). */
  isAlive(): boolean {
    if (this.exited) return false;
    const stat = readStatSync(this.pid);
    return isLive(stat) && stat.startTime === this.startTime;
  }

  /** Stops watching (the command runs on, under its shim). */
  detach(): void {
    this.finish();
  }

  finish(): void {
    this.exited = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.command[attachPid](-1);
  }
}
