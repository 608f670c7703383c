/**
 * `execdriver restore`: re-attaches to a command of the durable state that outlived its supervisor, waits
 * for it, writes its result as one JSON line (batch's record keys, without `line`) and exits with its
 * status, as `run` does.
 */
import type { ExitResult } from '../result.js';
import { atMost, parse, path, UsageError } from './args.js';
import type { Io, Subcommand } from './io.js';
import { figures } from './results.js';
import { OWN_FAILURE } from './run.js';
import { openDurableState, STATE_DIR_HELP } from './state.js';

const SPECS = { 'state-dir': { type: 'string' } } as const;

const HELP = `Usage: execdriver restore [--state-dir DIR] ID

Re-attaches to the command ID that \`execdriver run --restorable\` recorded in
the state directory, also one whose execdriver died; waits for it to end (at
once if it already has), writes its result to stdout as one JSON line:
  {"id":"X","pid":123,"exitCode":7,"signal":null,"timedOut":false,"durationMs":2004.1}
and exits with its status, as \`execdriver run\` does (128 + the signal number
when a signal ended it). The command's own output is not shown: it went where
\`execdriver run\` sent it. Interrupting restore leaves the command running.

When the command ended and nothing recorded how (its shim was killed too, or
its pid now belongs to another process), the line has "exitCode":null and
"exitUnknown":true, stderr says so, and the status is 125.

Options:
${STATE_DIR_HELP}
  -h, --help         show this help

Exit status: the command's status; 125 when its exit is unknown, or
execdriver failed (no such ID in the state directory, unreadable entry);
2 usage error.
`;

export const restore: Subcommand = {
  name: 'restore',
  summary: 're-attach to a command in the durable state and wait for it',
  help: HELP,
  async main(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parse(argv, SPECS);
    atMost(positionals, 1, 'restore takes one ID');
    const [id] = positionals;
    if (id === undefined || id === '') throw new UsageError('missing ID (execdriver restore [--state-dir DIR] ID)');
    const state = openDurableState(path('--state-dir', values['state-dir']), io, OWN_FAILURE);
    const result = await state.restore(id);
    io.stdout.write(`${JSON.stringify(restoreRecord(result))}\n`);
    if (result.exitUnknown) {
      io.stderr.write(`execdriver restore: command "${result.id}" ended and nothing recorded its exit status (pid ${result.pid}): exit status unknown\n`);
      return OWN_FAILURE;
    }
    return result.exitCode;
  },
};

/** The batch record's keys (without `line`) plus pid; exitCode and durationMs null and `exitUnknown` when unknown. */
export function restoreRecord(result: ExitResult): Record<string, unknown> {
  if (result.exitUnknown) {
    return { id: result.id, pid: result.pid, exitCode: null, signal: null, timedOut: false, durationMs: null, exitUnknown: true };
  }
  return {
    id: result.id, pid: result.pid, exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut,
    durationMs: Math.round(result.durationMs * 1000) / 1000, ...figures(result),
  };
}
