#!/usr/bin/env node
/**
 * The `execdriver` bin: picks the subcommand, runs it, prints its error (if any) and sets the exit status.
 * It never calls process.exit(), so every pending write reaches its stream before the process ends.
 */
import { readFileSync } from 'node:fs';
import { HelpRequested, quote, UsageError } from './args.js';
import { batch } from './batch.js';
import { CliError, processIo, type Io, type Subcommand } from './io.js';
import { kill } from './kill.js';
import { ps } from './ps.js';
import { restore } from './restore.js';
import { run } from './run.js';

const SUBCOMMANDS: readonly Subcommand[] = [run, batch, ps, kill, restore];

function usage(): string {
  const width = Math.max(...SUBCOMMANDS.map((s) => s.name.length));
  return `Usage: execdriver COMMAND [OPTIONS] [ARGS...]

A process supervisor: runs commands in their own process groups, passes their
exit status through, kills whole trees on timeouts and interrupts.

Commands:
${SUBCOMMANDS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`).join('\n')}

Run 'execdriver COMMAND --help' for a command's options.
Options: -h, --help (this help), --version.
`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `execdriver ${pkg.version}\n`;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(usage());
    return 2;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? SUBCOMMANDS.find((s) => s.name === rest[0]) : undefined;
    io.stdout.write(topic ? topic.help : usage());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(version());
    return 0;
  }
  const subcommand = SUBCOMMANDS.find((s) => s.name === name);
  if (!subcommand) {
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command ${quote(name)}`;
    io.stderr.write(`execdriver: ${what}\nRun 'execdriver --help' for the commands.\n`);
    return 2;
  }
  try {
    return await subcommand.main(rest, io);
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.stdout.write(subcommand.help);
      return 0;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`execdriver ${name}: ${error.message}\nRun 'execdriver ${name} --help' for usage.\n`);
      return 2;
    }
    if (error instanceof CliError) {
      io.stderr.write(`execdriver ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`execdriver ${name}: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2), processIo());
