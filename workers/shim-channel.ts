/**
 * The worker's side of the shim's status channel (fd 3): splits the stream into lines and parses each
 * line (see workers/shim/execdriver-shim.c for the format).
 */
import { constants } from 'node:os';

export type ShimEvent =
  | { t: 'pid'; pid: number; startTime: number }
  | { t: 'spawnerr'; stage: string; errno: number; code: string; message: string }
  | { t: 'exited' }
  | { t: 'exit'; code: number; signo: number; utimeUs: number; stimeUs: number; maxRssKb: number; wallUs: number }
  | { t: 'error'; message: string }
  | { t: 'warning'; message: string };

const errnoNames = new Map<number, string>();
for (const [name, number] of Object.entries(constants.errno)) if (!errnoNames.has(number)) errnoNames.set(number, name);

/** 'ENOENT' for 2, as Node names spawn errors. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

export function parseShimLine(line: string): ShimEvent | undefined {
  const space = line.indexOf(' ');
  const kind = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  switch (kind) {
    case 'pid': {
      const [pid, startTime] = rest.split(' ').map(Number);
      return pid! > 0 && Number.isSafeInteger(pid) && startTime! >= 0 ? { t: 'pid', pid: pid!, startTime: startTime! } : undefined;
    }
    case 'exited':
      return { t: 'exited' };
    case 'exit': {
      const f = rest.split(' ').map(Number);
      if (f.length !== 6 || f.some((n) => !Number.isFinite(n))) return undefined;
      return { t: 'exit', code: f[0]!, signo: f[1]!, utimeUs: f[2]!, stimeUs: f[3]!, maxRssKb: f[4]!, wallUs: f[5]! };
    }
    case 'spawnerr': {
      const m = /^(\S+) (\d+) (.*)$/.exec(rest);
      if (!m) return undefined;
      const errno = Number(m[2]);
      return { t: 'spawnerr', stage: m[1]!, errno, code: errnoName(errno), message: m[3]! };
    }
    case 'error':
    case 'warning':
      return { t: kind, message: rest };
    default:
      return undefined;
  }
}

/** Feeds chunks, calls back once per complete line. */
export class LineSplitter {
  #partial = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const text = this.#partial + chunk;
    const lines = text.split('\n');
    this.#partial = lines.pop()!;
    for (const line of lines) this.onLine(line);
  }
}
