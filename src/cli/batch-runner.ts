/**
 * Dispatches a batch's jobs through one Supervisor, at most `concurrency` at a time, and turns each
 * settled run into a result record. interrupt() stops dispatching and aborts every running job (the
 * supervisor kills its tree: kill signal, then SIGKILL after the grace); a second one SIGKILLs them at once.
 */
import { join } from 'node:path';
import { ErrRunAborted, ErrWaitTimeoutReached } from '../errors.js';
import type { RunOptions } from '../options.js';
import type { ExitResult } from '../result.js';
import type { Supervisor } from '../supervisor.js';
import { quote } from './args.js';
import type { Job } from './jobs.js';
import type { Reporter } from './progress.js';
import { emptyCounts, figures, type Counts, type ResultRecord, type ResultSink } from './results.js';

export interface BatchOptions {
  concurrency: number;
  /** Per-job timeout in ms, or undefined for none. */
  timeout: number | undefined;
  /** Directory for DIR/ID.out and DIR/ID.err, or undefined to discard the jobs' output. */
  logs: string | undefined;
}

export class BatchRunner {
  readonly counts: Counts = emptyCounts();
  readonly #supervisor: Supervisor;
  readonly #jobs: readonly Job[];
  readonly #options: BatchOptions;
  readonly #sink: ResultSink;
  readonly #report: Reporter;
  readonly #running = new Map<Job, AbortController>();
  #next = 0;
  #interrupted = false;
  #done: (() => void) | undefined;

  constructor(supervisor: Supervisor, jobs: readonly Job[], options: BatchOptions, sink: ResultSink, report: Reporter) {
    this.#supervisor = supervisor;
    this.#jobs = jobs;
    this.#options = options;
    this.#sink = sink;
    this.#report = report;
  }

  /** Resolves when every job has settled, or, once interrupted, when every running job has. */
  run(): Promise<void> {
    return new Promise((resolve) => {
      this.#done = resolve;
      this.#pump();
    });
  }

  /** The first call stops dispatching and aborts what runs; later calls SIGKILL what still runs. */
  interrupt(signal: string): void {
    if (this.#interrupted) {
      for (const job of this.#running.keys()) this.#supervisor.kill(job.command, 'SIGKILL').catch(() => {});
      return;
    }
    this.#interrupted = true;
    const left = this.#jobs.length - this.#next;
    this.#report.log(
      `execdriver batch: ${signal}: not starting ${left} job(s), killing ${this.#running.size} (${signal} again to SIGKILL them)`,
    );
    for (const controller of this.#running.values()) controller.abort();
    this.#pump();
  }

  #pump(): void {
    const { concurrency } = this.#options;
    while (!this.#interrupted && this.#running.size < concurrency && this.#next < this.#jobs.length) {
      this.#start(this.#jobs[this.#next++]!);
    }
    if (this.#running.size === 0 && (this.#interrupted || this.#next >= this.#jobs.length) && this.#done) {
      this.counts.notStarted += this.#jobs.length - this.#next;
      this.#next = this.#jobs.length;
      const done = this.#done;
      this.#done = undefined;
      done();
    }
  }

  #start(job: Job): void {
    const controller = new AbortController();
    this.#running.set(job, controller);
    const { timeout, logs } = this.#options;
    const id = job.command.id;
    const options: RunOptions = {
      timeout,
      signal: controller.signal,
      stdin: 'ignore',
      stdout: logs === undefined ? 'ignore' : { file: join(logs, `${id}.out`) },
      stderr: logs === undefined ? 'ignore' : { file: join(logs, `${id}.err`) },
    };
    this.#supervisor.run(job.command, undefined, options).then(
      (result) => this.#settle(job, result, undefined),
      (error: unknown) => this.#settle(job, (error as { result?: ExitResult }).result, error),
    ).finally(() => {
      this.#running.delete(job);
      this.#report.update(this.counts.ran + this.counts.notStarted, this.counts.failed);
      this.#pump();
    });
  }

  #settle(job: Job, result: ExitResult | undefined, error: unknown): void {
    const counts = this.counts;
    if (error instanceof ErrRunAborted && !result) {
      counts.notStarted++; // aborted before its process was spawned
      return;
    }
    counts.ran++;
    const record: ResultRecord = result
      ? {
          id: job.command.id, line: job.line, exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut,
          durationMs: Math.round(result.durationMs * 1000) / 1000, ...figures(result),
        }
      : { id: job.command.id, line: job.line, exitCode: null, signal: null, timedOut: false, durationMs: null };
    const expected = error === undefined || error instanceof ErrWaitTimeoutReached || error instanceof ErrRunAborted;
    if (!result || !expected) {
      record.error = error instanceof Error ? error.message : String(error);
      this.#report.log(`execdriver batch: line ${job.line} (id ${quote(job.command.id)}): ${record.error}`);
    }
    if (error instanceof ErrRunAborted) {
      record.interrupted = true;
      counts.killed++;
    } else if (record.exitCode !== 0 || record.timedOut || record.error) {
      counts.failed++;
      if (record.timedOut) counts.timedOut++;
    }
    this.#report.around(() => this.#sink.write(record));
  }
}
