/**
 * `execdriver ps`: the commands in the durable state, as a table or as NDJSON (--json).
 */
import { atMost, parse, path } from './args.js';
import type { Io, Subcommand } from './io.js';
import { openDurableState, STATE_DIR_HELP, type StateEntry } from './state.js';

const SPECS = { 'state-dir': { type: 'string' }, json: { type: 'boolean' } } as const;

const HELP = `Usage: execdriver ps [--state-dir DIR] [--json]

Lists the commands that \`execdriver run --restorable\` recorded in the state
directory, also those whose execdriver died: ID, PID, STATUS, STARTED (UTC),
EXIT (exit code, or 128 + the signal number) and COMMAND. STATUS is
  running    the recorded process still runs (same pid and start time)
  starting   its execdriver is starting it
  exited     it ended; EXIT is its recorded status
  unknown    it ended and nothing recorded how (its shim was killed too)
  corrupt    the entry cannot be read (the reason is in COMMAND; with --json,
             in "error"); the other entries are still listed
Reads only: nothing is written, no process is signalled.

Options:
${STATE_DIR_HELP}
  --json             one JSON object a line (NDJSON) instead of the table
  -h, --help         show this help

Exit status: 0, or 1 when the state cannot be read, 2 usage error.
`;

export const ps: Subcommand = {
  name: 'ps',
  summary: 'list the commands in the durable state',
  help: HELP,
  async main(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parse(argv, SPECS);
    atMost(positionals, 0, 'ps takes no arguments');
    const state = openDurableState(path('--state-dir', values['state-dir']), io, 1);
    const entries = await state.list();
    io.stdout.write(values.json ? formatPsJson(entries) : formatPsTable(entries));
    return 0;
  },
};

/** One JSON object a line, every key of StateEntry present (`error` only for a corrupt entry). */
export function formatPsJson(entries: readonly StateEntry[]): string {
  return entries.map((e) => `${JSON.stringify({
    id: e.id, pid: e.pid, status: e.status, startedAt: e.startedAt, exitCode: e.exitCode,
    entrypoint: e.entrypoint, arguments: e.arguments, ...(e.error === undefined ? {} : { error: e.error }),
  })}\n`).join('');
}

const COMMAND_WIDTH = 40;

/** A table with a header, columns padded to their widest cell; COMMAND is cut at 40 characters. */
export function formatPsTable(entries: readonly StateEntry[]): string {
  const rows = [['ID', 'PID', 'STATUS', 'STARTED', 'EXIT', 'COMMAND']];
  for (const e of entries) {
    rows.push([
      e.id,
      e.pid > 0 ? String(e.pid) : '-',
      e.status,
      e.startedAt ?? '-',
      e.exitCode === null ? '-' : String(e.exitCode),
      e.error ?? cut([e.entrypoint, ...e.arguments].map(shellWord).join(' '), COMMAND_WIDTH),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`).join('');
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 3)}...`;
}
