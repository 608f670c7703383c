/**
 * Options of a run and of the Supervisor, each validated once, before anything is spawned, with an
 * error in execa's form naming the option and the value.
 */
import { invalid } from './errors.js';
import type { FileStdio, InputStdio, OutputStdio } from './protocol.js';
import { toSignalNumber } from './signals.js';

export interface RunOptions {
  /** Milliseconds; on expiry the tree gets killSignal, then SIGKILL after killGraceMs. Default: none. */
  timeout?: number;
  /** Signal for timeouts, aborts and close(). Default: the supervisor's (SIGTERM). */
  killSignal?: string | number;
  /** Grace between killSignal and SIGKILL. Default: the supervisor's. */
  killGraceMs?: number;
  /** Cancels the run: the tree is killed as on a timeout and run() rejects with ErrRunAborted. */
  signal?: AbortSignal;
  stdin?: InputStdio;
  stdout?: OutputStdio;
  stderr?: OutputStdio;
  /** Most characters kept of a buffered stream; past it the process is killed. Default 100 MB. */
  maxBuffer?: number;
  /**
   * The command outlives the supervisor (its shim double-forks and records its exit in the state dir):
   * close() and the exit hooks leave it running, and restore() re-attaches to it. stdout and stderr
   * default to 'ignore' and cannot be 'buffer' (the pipe would die with the supervisor).
   */
  restorable?: boolean;
}

export interface NormalizedRunOptions {
  timeoutMs: number;
  killSignal: number;
  killGraceMs: number;
  signal: AbortSignal | undefined;
  stdin: InputStdio;
  stdout: OutputStdio;
  stderr: OutputStdio;
  maxBuffer: number;
  restorable: boolean;
}

const KNOWN = new Set(['timeout', 'killSignal', 'killGraceMs', 'signal', 'stdin', 'stdout', 'stderr', 'maxBuffer', 'restorable']);

export function normalizeRunOptions(
  options: RunOptions | undefined,
  defaults: { killSignal: number; killGraceMs: number },
): NormalizedRunOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') throw invalid('the run options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw invalid(`\`${key}\``, `one of the run options (${[...KNOWN].join(', ')})`, key);
  }
  const restorable = options.restorable ?? false;
  if (typeof restorable !== 'boolean') throw invalid('the `restorable` option', 'a boolean', restorable);
  const outputDefault = restorable ? 'ignore' : 'buffer';
  const normalized = {
    timeoutMs: timeout(options.timeout),
    killSignal: options.killSignal === undefined ? defaults.killSignal : toSignalNumber(options.killSignal, 'the `killSignal` option'),
    killGraceMs: options.killGraceMs === undefined ? defaults.killGraceMs : killGraceMs(options.killGraceMs),
    signal: abortSignal(options.signal),
    stdin: stdio('stdin', options.stdin ?? 'ignore', false),
    stdout: stdio('stdout', options.stdout ?? outputDefault, true),
    stderr: stdio('stderr', options.stderr ?? outputDefault, true),
    maxBuffer: maxBuffer(options.maxBuffer),
    restorable,
  };
  if (restorable) {
    for (const name of ['stdout', 'stderr'] as const) {
      if (normalized[name] === 'buffer') {
        throw invalid(`the \`${name}\` option of a restorable run`, "'ignore', 'inherit' or { file, append? } (a 'buffer' pipe would die with the supervisor)", 'buffer');
      }
    }
  }
  return normalized;
}

function timeout(value: unknown): number {
  if (value === undefined || value === Infinity) return Infinity;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || value > 2 ** 31 - 1) {
    throw invalid('the `timeout` option', 'a positive number of milliseconds (at most 2^31-1) or Infinity', value);
  }
  return value;
}

export function killGraceMs(value: unknown, what = 'the `killGraceMs` option'): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value) || value > 2 ** 31 - 1) {
    throw invalid(what, 'a non-negative finite number of milliseconds', value);
  }
  return value;
}

function abortSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalid('the `signal` option', 'an AbortSignal', value);
  return value;
}

function maxBuffer(value: unknown): number {
  if (value === undefined) return 100_000_000;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid('the `maxBuffer` option', 'a positive integer', value);
  }
  return value;
}

function stdio(name: string, value: unknown, output: boolean): any {
  if (value === 'ignore' || value === 'inherit' || (output && value === 'buffer')) return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { file, append, ...rest } = value as FileStdio;
    if (typeof file === 'string' && file !== '' && !file.includes('\0') && Object.keys(rest).length === 0) {
      if (append === undefined || typeof append === 'boolean') return { file, append: append ?? false };
    }
  }
  const choices = output ? "'ignore', 'inherit', 'buffer' or { file, append? }" : "'ignore', 'inherit' or { file }";
  throw invalid(`the \`${name}\` option`, choices, value);
}
