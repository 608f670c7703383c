/**
 * `execdriver kill`: signals a command of the durable state (its whole process tree).
 */
import { toSignalNumber } from '../signals.js';
import { atMost, parse, path, quote, UsageError } from './args.js';
import type { Io, Subcommand } from './io.js';
import { openDurableState, STATE_DIR_HELP } from './state.js';

const SPECS = { 'state-dir': { type: 'string' } } as const;

const HELP = `Usage: execdriver kill [--state-dir DIR] ID [SIGNAL]

Sends SIGNAL (default SIGTERM) to the process group of the command ID that
\`execdriver run --restorable\` recorded in the state directory, also one whose
execdriver died. SIGNAL is a name (TERM, SIGTERM) or a number. The pid is
signalled only while it is still the recorded process (same start time, not a
zombie): a reused pid is never signalled. Does not wait for the command to
end: \`execdriver restore ID\` does.

Options:
${STATE_DIR_HELP}
  -h, --help         show this help

Exit status: 0 when the signal was sent; 1 when the command is not running, is
not in the state directory, or its entry cannot be read; 2 usage error.
`;

export const kill: Subcommand = {
  name: 'kill',
  summary: 'send a signal to a command in the durable state',
  help: HELP,
  async main(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parse(argv, SPECS);
    atMost(positionals, 2, 'kill takes ID and SIGNAL');
    const [id, signalArg = 'SIGTERM'] = positionals;
    if (id === undefined || id === '') throw new UsageError('missing ID (execdriver kill [--state-dir DIR] ID [SIGNAL])');
    const signal = parseSignal(signalArg);
    const state = openDurableState(path('--state-dir', values['state-dir']), io, 1);
    await state.kill(id, signal);
    return 0;
  },
};

/** "TERM", "SIGTERM", "sigterm" or "15"; a usage error naming the value otherwise. */
export function parseSignal(text: string): number {
  try {
    return toSignalNumber(/^\d+$/.test(text) ? Number(text) : text);
  } catch {
    throw new UsageError(`invalid SIGNAL ${quote(text)} (expected a signal name such as TERM or SIGKILL, or its number)`);
  }
}
