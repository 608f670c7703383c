/**
 * The one typed protocol between the main thread (src/) and the worker threads (workers/): the task a
 * run sends, the messages on its private MessagePort, and the result the task resolves with.
 */
import type { MessagePort } from 'node:worker_threads';

export type FileStdio = { file: string; append?: boolean };
export type InputStdio = 'ignore' | 'inherit' | FileStdio;
export type OutputStdio = 'ignore' | 'inherit' | 'buffer' | FileStdio;

/** What the worker spawns: the driver's translation of a Command plus the run's options. */
export interface SpawnSpec {
  id: string;
  file: string;
  args: string[];
  /** '' = the supervisor's working directory. */
  cwd: string;
  /** Added on top of the supervisor's process.env (shared with the workers). */
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  stdin: InputStdio;
  stdout: OutputStdio;
  stderr: OutputStdio;
  maxBuffer: number;
  /** Infinity = no timeout. */
  timeoutMs: number;
  killSignal: number;
  killGraceMs: number;
  /** This run's index in the live table. */
  slot: number;
  /** The execdriver-shim binary the command is run through. */
  shim: string;
  /** cgroup.procs files the command joins before exec (written "0" by the shim's child). */
  join?: string[];
  /**
   * A restorable run: the shim double-forks (--daemon) so that it outlives the supervisor, and records
   * the command's pid (pidFile) and exit (exitFile) itself. Its pid never enters the live table.
   */
  restorable?: { pidFile: string; exitFile: string };
}

export interface RunTask {
  spec: SpawnSpec;
  port: MessagePort;
}

/** Data the pool gives every worker once. */
export interface WorkerData {
  /** Int32Array view: slot -> pid of a live child (0 = free), read by the main thread's exit hook. */
  live: SharedArrayBuffer;
}

/** main -> worker */
export type ToWorker =
  /** Signal the process group; with `escalate`, SIGKILL it after killGraceMs if the leader still runs. */
  | { t: 'kill'; req: number; signal: number; escalate: boolean }
  /** Stop watching a restorable run without touching it: the task resolves at once with `detached`. */
  | { t: 'detach' };

/** worker -> main */
export type ToMain =
  /** The command has exec'd: its own pid (not the shim's) and start time (field 22 of its stat). */
  | { t: 'spawned'; pid: number; startTime: number }
  /** Answer to a kill: `sent` false when the process had already exited. */
  | { t: 'killed'; req: number; sent: boolean; error?: string };

export interface SpawnFailure {
  message: string;
  code?: string;
}

export interface TaskResult {
  pid: number;
  /** Exit code, or null with `signal` set. */
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  stdout?: string;
  stderr?: string;
  maxBufferExceeded?: boolean;
  /** Set (and pid = -1) when the process could not be started. */
  spawnError?: SpawnFailure;
  /** The command's start time (clock ticks after boot), with pid its identity. */
  startTime?: number;
  usage?: { userCpuMs: number; systemCpuMs: number; maxRssBytes: number };
  /** The shim ended without an exit line: code/signal are the shim's (see ExitResult.shimError). */
  shimError?: string;
  /** A restorable run that the supervisor stopped watching (close()); nothing else is set. */
  detached?: boolean;
}
