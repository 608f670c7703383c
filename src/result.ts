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
  /** Wall time from spawn to exit, in milliseconds (monotonic clock, microsecond resolution). */
  durationMs: number;
  /** Output, when the run was started with `stdout: 'buffer'` / `stderr: 'buffer'`. */
  stdout?: string;
  stderr?: string;
  /** True when the buffered output passed `maxBuffer` and the process was killed for it. */
  maxBufferExceeded?: boolean;
}
