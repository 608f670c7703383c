/**
 * `execdriver restore`: re-attaches to a command of the durable state that outlived its supervisor, waits
 * for it, and exits with its status, as `run` does.
 */
import { atMost, parse, path, UsageError } from './args.js';
import type { Io, Subcommand } from './io.js';
import { OWN_FAILURE } from './run.js';
import { openDurableState } from './state.js';

const SPECS = { 'state-dir': { type: 'string' } } as const;

const HELP = `Usage: execdriver restore [--state-dir DIR] ID

Re-attaches to the command ID, started with \`execdriver run --restorable\`,
that outlived the execdriver which started it; waits for it to exit and exits
with its status, as \`execdriver run\` does. Not available yet: durable state
is not in this build.

Options:
  --state-dir DIR    the state directory (default: $EXECDRIVER_STATE_DIR)
  -h, --help         show this help

Exit status: the command's status, or 125 execdriver failed (no such command,
no state), 2 usage error.
`;

export const restore: Subcommand = {
  name: 'restore',
  summary: 're-attach to a command in the durable state and wait for it',
  help: HELP,
  async main(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parse(argv, SPECS);
    if (values.help) {
      io.stdout.write(HELP);
      return 0;
    }
    atMost(positionals, 1, 'restore takes one ID');
    const [id] = positionals;
    if (id === undefined || id === '') throw new UsageError('missing ID (execdriver restore [--state-dir DIR] ID)');
    const state = openDurableState(path('--state-dir', values['state-dir']), io, OWN_FAILURE);
    const result = await state.restore(id);
    return result.exitCode;
  },
};
