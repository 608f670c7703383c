/**
 * The batch's output: one NDJSON result per job (to stdout or --out), and the one-line summary.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { quote, UsageError } from './args.js';
import { formatDuration, formatRate, type Io } from './io.js';
import type { Problem } from './jobs.js';
import type { ExitResult, Usage } from '../result.js';

/** One line of the batch's output. Every record has the same six keys; `interrupted` and `error` only when true/set. */
export interface ResultRecord {
  /** null for a line that gave no string id. */
  id: string | null;
  /** The job's line in the input. */
  line: number;
  /** Exit code, or 128 + signal number; null when the job never ran (malformed line, could not start). */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Spawn to exit, milliseconds; null when the job never ran. */
  durationMs: number | null;
  /** CPU and peak memory of the job's whole tree (from the shim's rusage), when known. */
  usage?: Usage;
  /** The kernel's OOM killer ended a process of a job with a memory limit. */
  oomKilled?: boolean;
  /** Killed because the batch was interrupted. */
  interrupted?: true;
  /** Why the job has no exit status (malformed line, could not be started). */
  error?: string;
}

/** The figures a finished run adds to its record: usage where known, and the OOM verdict of a memory cgroup. */
export function figures(result: ExitResult): Pick<ResultRecord, 'usage' | 'oomKilled'> {
  const out: Pick<ResultRecord, 'usage' | 'oomKilled'> = {};
  if (result.usage) out.usage = result.usage;
  if (result.oomKilled !== undefined) out.oomKilled = result.oomKilled;
  return out;
}

export function problemRecord(problem: Problem): ResultRecord {
  return {
    id: problem.id, line: problem.line, exitCode: null, signal: null, timedOut: false, durationMs: null, error: problem.message,
  };
}

/** Where the records go: a file opened before anything runs, or stdout. */
export class ResultSink {
  readonly #fd: number | undefined;
  readonly #stdout: Io['stdout'];
  #error: Error | undefined;

  private constructor(fd: number | undefined, stdout: Io['stdout']) {
    this.#fd = fd;
    this.#stdout = stdout;
    if (fd === undefined) stdout.on('error', (error: Error) => (this.#error ??= error));
  }

  /** Opens --out (truncating it), or stdout when `out` is undefined. A file that cannot be opened is a usage error. */
  static open(out: string | undefined, io: Io): ResultSink {
    if (out === undefined) return new ResultSink(undefined, io.stdout);
    try {
      return new ResultSink(openSync(out, 'w'), io.stdout);
    } catch (error) {
      throw new UsageError(`cannot open --out ${quote(out)}: ${(error as Error).message}`);
    }
  }

  /** The first write error (EPIPE when stdout's reader went away, ENOSPC, ...), if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  write(record: ResultRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    if (this.#fd === undefined) {
      if (!this.#error) this.#stdout.write(line);
      return;
    }
    try {
      if (!this.#error) writeSync(this.#fd, line);
    } catch (error) {
      this.#error = error as Error;
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
  }
}

export interface Counts {
  /** Jobs whose process was started (or could not be) and has a result. */
  ran: number;
  /** Of those, the ones that did not exit 0 (timed out and could-not-start included), not counting `killed`. */
  failed: number;
  timedOut: number;
  /** Killed because the batch was interrupted. */
  killed: number;
  /** Never started because the batch was interrupted. */
  notStarted: number;
}

export function emptyCounts(): Counts {
  return { ran: 0, failed: 0, timedOut: 0, killed: 0, notStarted: 0 };
}

export interface Summary {
  counts: Counts;
  malformed: number;
  wallMs: number;
  /** The signal that interrupted the batch. */
  interrupted?: string;
}

/** "ran 20, failed 3, timed out 1, malformed 1, wall 2.41 s, 8.30 jobs/s[; interrupted by SIGINT: 2 killed, 5 not started]" */
export function formatSummary({ counts, malformed, wallMs, interrupted }: Summary): string {
  const parts = [`ran ${counts.ran}`, `failed ${counts.failed}`, `timed out ${counts.timedOut}`];
  if (malformed > 0) parts.push(`malformed ${malformed}`);
  parts.push(`wall ${formatDuration(wallMs)}`, `${formatRate(counts.ran / (wallMs / 1000))} jobs/s`);
  let line = parts.join(', ');
  if (interrupted) line += `; interrupted by ${interrupted}: ${counts.killed} killed, ${counts.notStarted} not started`;
  return line;
}
