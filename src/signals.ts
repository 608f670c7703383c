/** Signal names and numbers, checked against the running system's table (os.constants.signals). */
import { constants } from 'node:os';
import { invalid } from './errors.js';

const byName = constants.signals as Record<string, number>;
const byNumber = new Map<number, string>();
for (const [name, number] of Object.entries(byName)) {
  if (!byNumber.has(number)) byNumber.set(number, name);
}

/** Accepts 'SIGTERM', 'TERM', 15 or 0 (existence probe); returns the number. Throws a TypeError naming `what`. */
export function toSignalNumber(value: unknown, what = 'the signal'): number {
  if (typeof value === 'number' && Number.isInteger(value) && (value === 0 || byNumber.has(value))) return value;
  if (typeof value === 'string') {
    const name = value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`;
    const number = byName[name];
    if (number !== undefined) return number;
  }
  throw invalid(what, 'a signal name such as "SIGTERM" or a signal number', value);
}

export function signalName(number: number): string | undefined {
  return byNumber.get(number);
}

/** Exit status convention shared with containerd and conmon: the exit code, or 128 + signal number. */
export function exitCodeOf(code: number | null | undefined, signal: string | null | undefined): number {
  if (signal) {
    const number = byName[signal];
    if (number !== undefined) return 128 + number;
  }
  return code ?? -1;
}
