/**
 * What a subcommand talks to: its streams and environment, and the errors that decide the exit status.
 * The bin passes the real process's; the formatting functions take plain values so they can be tested.
 */
import type { Readable, Writable } from 'node:stream';

export interface Io {
  stdin: Readable;
  stdout: Writable;
  /** isTTY and columns when it is a terminal. */
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

export function processIo(): Io {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** A failure of execdriver itself (not of the command it runs), with the exit status it ends with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

export interface Subcommand {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The full --help text. */
  help: string;
  /** Runs the subcommand; resolves with the exit status. Throws UsageError or CliError for the bin to print. */
  main(argv: readonly string[], io: Io): Promise<number>;
}

/** "850 ms", "2.41 s", "3m05s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${s}s` : `${m}m${s}s`;
}

/** Jobs per second with three significant figures ("0.512", "8.30", "1240"). */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0';
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toPrecision(3);
}
