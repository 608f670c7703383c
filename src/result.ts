import type { CgroupUsage } from './cgroups/cgroup.js';

export type { CgroupUsage };

/**
 * Resources used by the command's whole process tree, from getrusage(RUSAGE_CHILDREN) in the
 * execdriver-shim once every process of the tree has been reaped (as time(1) reports them).
 */
export interface Usage {
  /** User CPU time, milliseconds (microsecond resolution). */
  userCpuMs: number;
  /** System CPU time, milliseconds (microsecond resolution). */
  systemCpuMs: number;
  /** Largest resident set of any single process of the tree, bytes (the kernel counts in KiB). */
  maxRssBytes: number;
}

/** What a finished run reports. */
export interface ExitResult {
  /** The command's id. */
  id: string;
  /** The pid the command ran as. */
  pid: number;
  /** The exit code, or 128 + signal number when a signal ended the process. */
  exitCode: number;
  /** The name of the signal that ended the process ('SIGTERM'), or null when it exited. */
  signal: string | null;
  /** True when the run's `timeout` expired and the supervisor killed the process tree. */
  timedOut: boolean;
  /** Wall time from fork to exit by the shim's monotonic clock, in milliseconds (microsecond resolution). */
  durationMs: number;
  /** Output, when the run was started with `stdout: 'buffer'` / `stderr: 'buffer'`. */
  stdout?: string;
  stderr?: string;
  /** True when the buffered output passed `maxBuffer` and the process was killed for it. */
  maxBufferExceeded?: boolean;
  /**
   * Runs with resources that had a memory cgroup: true when the kernel's OOM killer killed a process of
   * the run (the cgroup's oom_kill counter). exitCode is then 137 if it was the command's own process.
   */
  oomKilled?: boolean;
  /** Runs with resources: what the kernel accounted to the run's cgroup (whole tree, bias-free). */
  cgroup?: CgroupUsage;
  /** CPU and memory of the whole tree; absent when the shim could not report it (see shimError). */
  usage?: Usage;
  /**
   * Set when the execdriver-shim ended without reporting the command's exit (it was killed): exitCode and
   * signal are then the shim's own status, not the command's, and usage is absent.
   */
  shimError?: string;
  /**
   * Set by restore() when the command ended and nothing recorded how (its shim was killed too, or the
   * supervisor died before learning its pid), or when its pid now belongs to another process: exitCode
   * is then -1 and signal null. Such a process is never signalled.
   */
  exitUnknown?: boolean;
}
