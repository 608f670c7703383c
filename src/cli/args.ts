/**
 * Argument handling shared by the subcommands: node's own util.parseArgs does the lexing (long and short
 * options, `--name=value`, `--`); this module turns its tokens into values, refuses what a subcommand does
 * not know, and checks values once, with errors that name the flag and the value (exit status 2).
 */
import { parseArgs } from 'node:util';

/** A command-line mistake: the message names the flag and the value; the process exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface Parsed {
  /** Option values by name (the last one given wins); `help` is true when -h/--help was given. */
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** With `stopAtPositional`: argv from the first positional (or after `--`) on, unparsed. */
  rest: string[];
}

const HELP: OptionSpec = { type: 'boolean', short: 'h' };

/**
 * Parses argv against the specs. With `stopAtPositional`, options end at the first positional argument or
 * at `--`, and everything from there on is returned untouched in `rest` (a program and its arguments).
 * -h/--help wins over every other mistake: when it is there, parse throws HelpRequested, and the
 * dispatcher (main.ts) prints the subcommand's help.
 */
/** Thrown by parse() when -h/--help is among a subcommand's own options. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested');
  }
}

export function parse(argv: readonly string[], specs: OptionSpecs, stopAtPositional = false): Parsed {
  const options = { help: HELP, ...specs };
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  let end = argv.length;
  let restFrom = argv.length;
  if (stopAtPositional) {
    const first = tokens.find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
    if (first) {
      end = first.index;
      restFrom = first.kind === 'option-terminator' ? first.index + 1 : first.index;
    }
  }
  const mine = tokens.filter((t) => t.index < end);
  if (mine.some((t) => t.kind === 'option' && t.name === 'help')) throw new HelpRequested();
  const values: Parsed['values'] = {};
  const positionals: string[] = [];
  for (const token of mine) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = (options as OptionSpecs)[token.name];
    if (!spec) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.type === 'string') {
      if (token.value === undefined) throw new UsageError(`option ${token.rawName} needs a value`);
      values[token.name] = token.value;
    } else {
      if (token.inlineValue) throw new UsageError(`option ${token.rawName} takes no value, got ${quote(token.value ?? '')}`);
      values[token.name] = true;
    }
  }
  return { values, positionals, rest: argv.slice(restFrom) };
}

export function quote(value: string): string {
  return JSON.stringify(value);
}

function invalidValue(flag: string, value: string, expected: string): UsageError {
  return new UsageError(`invalid value for ${flag}: ${quote(value)} (expected ${expected})`);
}

const MAX_MS = 2 ** 31 - 1;

/** A whole number of milliseconds in [min, 2^31-1], or undefined when the flag was not given. */
export function milliseconds(flag: string, value: string | boolean | undefined, min: 0 | 1): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const expected = `${min === 1 ? 'a positive' : 'a non-negative'} whole number of milliseconds, at most ${MAX_MS}`;
  if (!/^\d+$/.test(text)) throw invalidValue(flag, text, expected);
  const number = Number(text);
  if (number < min || number > MAX_MS) throw invalidValue(flag, text, expected);
  return number;
}

/** A positive integer in [1, max], or undefined when the flag was not given. */
export function positiveInt(flag: string, value: string | boolean | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const expected = `a whole number from 1 to ${max}`;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw invalidValue(flag, text, expected);
  return Number(text);
}

/** A non-empty path without NUL, or undefined when the flag was not given. */
export function path(flag: string, value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (text === '' || text.includes('\0')) throw invalidValue(flag, text, 'a path');
  return text;
}

/** Refuses positionals past `max`, naming the first one that is too many. */
export function atMost(positionals: readonly string[], max: number, what: string): void {
  if (positionals.length > max) throw new UsageError(`unexpected argument ${quote(positionals[max]!)} (${what})`);
}
