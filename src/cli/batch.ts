/**
 * `execdriver batch`: NDJSON commands in, through one Supervisor, NDJSON results out (one per job, in the
 * order they finish). A progress bar on stderr when it is a terminal, a one-line summary at the end.
 * SIGINT (or TERM, HUP) stops dispatching and kills what runs; the results of what ran are still
 * written, and execdriver exits with 128 + the signal number.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Supervisor } from '../supervisor.js';
import { atMost, milliseconds, parse, path, positiveInt, quote, UsageError } from './args.js';
import { BatchRunner } from './batch-runner.js';
import type { Io, Subcommand } from './io.js';
import { parseJobs } from './jobs.js';
import { reporter } from './progress.js';
import { emptyCounts, formatSummary, problemRecord, ResultSink } from './results.js';
import { stateDirOf } from './state.js';

const SPECS = {
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  'kill-grace': { type: 'string' },
  out: { type: 'string' },
  logs: { type: 'string' },
  'state-dir': { type: 'string' },
} as const;

const STOPPING = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const MAX_CONCURRENCY = 65536;

const HELP = `Usage: execdriver batch [FILE|-] [OPTIONS]

Reads commands as NDJSON from FILE, or from standard input when FILE is "-" or
absent: one JSON object a line, in the fields Command.fromJSON reads, e.g.
  {"id":"build","entrypoint":"make","arguments":["-j2"],"working_dir":"/src","env":{"CC":"gcc"}}
Runs them through one supervisor, at most --concurrency at a time, and writes
one NDJSON result a job, in the order they finish:
  {"id":"build","line":1,"exitCode":0,"signal":null,"timedOut":false,"durationMs":812.4,
   "usage":{"userCpuMs":640.2,"systemCpuMs":95.1,"maxRssBytes":48234496}}
exitCode is 128 + the signal number when a signal ended the job. usage is the
CPU and peak RSS of the job's whole process tree (as time(1) reports them);
"oomKilled" is added for a job with a memory limit. A line that
cannot be read as a command is reported on stderr with its line number and
gets a result with "error"; the other jobs still run. So does a job that could
not be started ("exitCode":null). On a terminal, stderr shows a progress bar;
a one-line summary ends the run.

Ctrl-C (SIGINT; also TERM and HUP) stops dispatching and kills the running jobs
(SIGTERM, then SIGKILL after the kill grace; a second Ctrl-C sends SIGKILL at
once). Their results are written with "interrupted":true; jobs not started
get none.

Options:
  --concurrency N    jobs running at once (default: the number of CPUs)
  --timeout MS       kill a job's tree after MS milliseconds ("timedOut":true)
  --kill-grace MS    milliseconds between SIGTERM and SIGKILL (default 5000)
  --out FILE         write the results to FILE instead of stdout
  --logs DIR         write each job's stdout and stderr to DIR/ID.out and
                     DIR/ID.err (default: discarded)
  --state-dir DIR    the supervisor's state directory (same default as run's);
                     batch's jobs are not restorable, so nothing is written
                     there: their results are the NDJSON above
  -h, --help         show this help

Exit status: 0 when every job exited 0; 1 when one did not (failed, killed by a
signal, timed out, could not start) or a line was malformed; 128 + the signal
number when interrupted; 2 usage error.
`;

export const batch: Subcommand = {
  name: 'batch',
  summary: 'run NDJSON commands through one supervisor, write NDJSON results',
  help: HELP,
  async main(argv: readonly string[], io: Io): Promise<number> {
    const started = performance.now();
    const { values, positionals } = parse(argv, SPECS);
    atMost(positionals, 1, 'batch reads one FILE');
    const concurrency = positiveInt('--concurrency', values.concurrency, MAX_CONCURRENCY) ?? availableParallelism();
    const timeout = milliseconds('--timeout', values.timeout, 1);
    const killGraceMs = milliseconds('--kill-grace', values['kill-grace'], 0);
    const out = path('--out', values.out);
    const logs = path('--logs', values.logs);
    const stateDir = path('--state-dir', values['state-dir']);
    const file = positionals[0] ?? '-';
    if (file === '') throw new UsageError('FILE is an empty string');
    if (logs !== undefined) {
      try {
        mkdirSync(logs, { recursive: true });
      } catch (error) {
        throw new UsageError(`cannot use --logs ${quote(logs)}: ${(error as Error).message}`);
      }
    }
    const sink = ResultSink.open(out, io);

    let interrupted: NodeJS.Signals | undefined;
    let runner: BatchRunner | undefined;
    const reading = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      interrupted ??= signal;
      reading.abort();
      runner?.interrupt(signal);
    };
    for (const signal of STOPPING) process.on(signal, onSignal);
    try {
      const text = await readInput(file, io, reading.signal);
      let counts = emptyCounts();
      let malformed = 0;
      if (text !== undefined) {
        const { jobs, problems } = parseJobs(text);
        malformed = problems.length;
        const report = reporter(io.stderr, jobs.length, out === undefined && (io.stdout as { isTTY?: boolean }).isTTY === true);
        for (const problem of problems) {
          report.log(`execdriver batch: line ${problem.line}: ${problem.message}`);
          report.around(() => sink.write(problemRecord(problem)));
        }
        const supervisor = new Supervisor({ stateDir: stateDirOf(stateDir, io), killGraceMs, maxRunning: Math.max(1, Math.min(concurrency, jobs.length)) });
        runner = new BatchRunner(supervisor, jobs, { concurrency, timeout, logs }, sink, report);
        if (interrupted) runner.interrupt(interrupted);
        try {
          await runner.run();
        } finally {
          report.stop();
          await supervisor.close();
        }
        counts = runner.counts;
      }
      const wallMs = performance.now() - started;
      io.stderr.write(`execdriver batch: ${formatSummary({ counts, malformed, wallMs, interrupted })}\n`);
      if (sink.error) io.stderr.write(`execdriver batch: could not write the results: ${sink.error.message}\n`);
      if (interrupted) return 128 + constants.signals[interrupted];
      return counts.failed > 0 || malformed > 0 || sink.error ? 1 : 0;
    } finally {
      for (const signal of STOPPING) process.off(signal, onSignal);
      sink.close();
    }
  },
};

/** The whole input, or undefined when `signal` aborted the read (the batch was interrupted first). */
async function readInput(file: string, io: Io, signal: AbortSignal): Promise<string | undefined> {
  if (file !== '-') {
    try {
      return await readFile(file, { encoding: 'utf8', signal });
    } catch (error) {
      if (signal.aborted) return undefined;
      throw new UsageError(`cannot read FILE ${quote(file)}: ${(error as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  const onAbort = () => io.stdin.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of io.stdin) chunks.push(chunk as Buffer);
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return signal.aborted ? undefined : Buffer.concat(chunks).toString('utf8');
}
