/**
 * `execdriver run`: one command, stdio inherited, through a one-worker Supervisor. Exits with the
 * command's status (128 + signal number for a signal death); 124 when --timeout killed it; 127 / 126 when
 * it could not be started; 125 when execdriver itself failed. Signals sent to execdriver (INT, TERM, HUP,
 * QUIT) are forwarded to the command's process tree, which runs in its own session.
 */
import { Command } from '../command.js';
import { ErrNotRunning, ErrWaitTimeoutReached } from '../errors.js';
import type { RunOptions } from '../options.js';
import { Supervisor } from '../supervisor.js';
import { milliseconds, parse, path, quote, UsageError } from './args.js';
import { CliError, type Io, type Subcommand } from './io.js';
import { STATE_DIR_HELP, stateDirOf } from './state.js';

const SPECS = {
  id: { type: 'string' },
  timeout: { type: 'string' },
  'kill-grace': { type: 'string' },
  'state-dir': { type: 'string' },
  restorable: { type: 'boolean' },
} as const;

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Exit statuses of execdriver's own, after timeout(1) and docker run. */
export const TIMED_OUT = 124;
export const OWN_FAILURE = 125;
export const CANNOT_EXECUTE = 126;
export const NOT_FOUND = 127;

const HELP = `Usage: execdriver run [OPTIONS] [--] PROGRAM [ARGS...]

Runs one command with stdin, stdout and stderr inherited, and exits with its
exit status (128 + the signal number when a signal ended it). Options end at
PROGRAM or at "--". Signals INT, TERM, HUP and QUIT sent to execdriver are
forwarded to the command's process tree.

Options:
  --id ID            the command's id (default: a random UUID); 1-128 characters
                     of [A-Za-z0-9_.-], not starting with [_.-]
  --timeout MS       kill the command's tree after MS milliseconds (SIGTERM, then
                     SIGKILL after the kill grace) and exit with status 124
  --kill-grace MS    milliseconds between SIGTERM and SIGKILL (default 5000)
  --restorable       record the command in the state directory, so that it
                     outlives this execdriver (even a SIGKILLed one) and
                     \`execdriver ps\`, \`kill ID\` and \`restore ID\` can find it;
                     prints "execdriver run: restorable command ID (pid PID,
                     state in DIR)" on stderr once it has started
${STATE_DIR_HELP}
                     (only --restorable runs write there)
  -h, --help         show this help

Exit status:
  the command's status, or 124 timed out, 125 execdriver failed,
  126 PROGRAM could not be executed, 127 PROGRAM not found, 2 usage error
`;

export const run: Subcommand = {
  name: 'run',
  summary: 'run one command, stdio inherited, and exit with its status',
  help: HELP,
  async main(argv: readonly string[], io: Io): Promise<number> {
    const { values, rest } = parse(argv, SPECS, true);
    const timeout = milliseconds('--timeout', values.timeout, 1);
    const killGraceMs = milliseconds('--kill-grace', values['kill-grace'], 0);
    const stateDir = path('--state-dir', values['state-dir']);
    const id = values.id as string | undefined;
    const [program, ...args] = rest;
    if (program === undefined) throw new UsageError('missing PROGRAM (execdriver run [OPTIONS] [--] PROGRAM [ARGS...])');
    if (program === '') throw new UsageError('PROGRAM is an empty string');
    let command: Command;
    try {
      command = new Command({ id, entrypoint: program, arguments: args });
    } catch (error) {
      // The only field left that the constructor can refuse is the id.
      throw new UsageError(`invalid value for --id: ${quote(String(id))} (${(error as Error).message})`);
    }

    const supervisor = new Supervisor({ maxWorkers: 1, stateDir: stateDirOf(stateDir, io), killGraceMs });
    let started = false;
    let pending: NodeJS.Signals | undefined;
    const forward = (signal: NodeJS.Signals) => {
      if (started) supervisor.kill(command, signal).catch(() => {}); // already exited: nothing to forward to
      else pending = signal;
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    const onStart = () => {
      started = true;
      if (values.restorable) {
        io.stderr.write(`execdriver run: restorable command ${command.id} (pid ${command.pid()}, state in ${supervisor.stateDir})\n`);
      }
      if (pending) forward(pending);
    };
    const options = { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', timeout } as RunOptions;
    if (values.restorable) Object.assign(options, { restorable: true });
    try {
      const result = await supervisor.run(command, onStart, options);
      return result.exitCode;
    } catch (error) {
      if (error instanceof ErrWaitTimeoutReached && error.result) {
        const how = error.result.signal ? `killed by ${error.result.signal}` : `exited with status ${error.result.exitCode} after the kill signal`;
        io.stderr.write(`execdriver run: ${quote(program)} timed out after ${timeout} ms (${how})\n`);
        return TIMED_OUT;
      }
      if (error instanceof ErrNotRunning) {
        const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
        io.stderr.write(`execdriver run: cannot run ${quote(program)}: ${error.message}\n`);
        return code === 'ENOENT' ? NOT_FOUND : CANNOT_EXECUTE;
      }
      throw new CliError((error as Error).message, OWN_FAILURE, { cause: error });
    } finally {
      await supervisor.close();
      for (const signal of FORWARDED) process.off(signal, forward);
    }
  },
};
