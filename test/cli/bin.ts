/**
 * Drives the real bin as a user would: `node dist/src/cli/main.js ARGS...` with pipes, and reads /proc
 * for what it leaves behind. (node --test runs every .js under dist/test: this file has no tests.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Running {
  child: ChildProcess;
  /** What the bin has written so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<Outcome>;
}

const live = new Set<ChildProcess>();

/** Starts the bin; `input` is written to its stdin and stdin closed, unless `keepStdin`. */
export function start(args: readonly string[], options: { input?: string; keepStdin?: boolean; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Running {
  const began = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: 'pipe', cwd: options.cwd, env: options.env });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.on('error', () => {}); // the bin may exit before reading it
  if (options.input !== undefined) child.stdin!.write(options.input);
  if (!options.keepStdin) child.stdin!.end();
  const done = new Promise<Outcome>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - began });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs the bin to its end. */
export function execdriver(args: readonly string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Outcome> {
  return start(args, options).done;
}

/** Cleanup registry: ends every bin a test left running (TERM lets it kill its jobs; KILL if it lingers). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map(async (child) => {
    const closed = new Promise((resolve) => child.once('close', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await closed;
    clearTimeout(timer);
  }));
}

/** Polls `check` every 50 ms until it returns a truthy value; throws after `ms` (generous by default). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, ms = 30_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A token unique to this test run, to put in command lines and find them again in /proc. */
export function marker(): string {
  return randomBytes(4).readUInt32BE(0).toString().padStart(10, '1');
}

/** Pids of live (not zombie) processes whose command line contains `text` (a wrapping `sh -c` included). */
export function liveProcessesWith(text: string): number[] {
  return liveProcesses((argv) => argv.join(' ').includes(text));
}

/**
 * Pids of live (not zombie) processes that have `arg` as one whole argument (`sleep ARG`, not `sh -c '... ARG'`),
 * the commands themselves, not the execdriver-shim that is each one's parent (`execdriver-shim -- sleep ARG`).
 */
export function liveProcessesWithArg(arg: string): number[] {
  return liveProcesses((argv) => !argv[0]?.endsWith('execdriver-shim') && argv.slice(1).includes(arg));
}

function liveProcesses(match: (argv: string[]) => boolean): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').slice(0, -1);
      if (!match(argv)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state !== 'Z' && state !== 'X') found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** SIGKILLs whatever a failed test left with `text` in its command line. */
export function killLeftovers(text: string): void {
  for (const pid of liveProcessesWith(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** True once the process catches SIGHUP: the batch installs its INT, TERM and HUP handlers together. */
export function catchesSighup(pid: number): boolean {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('SigCgt:'));
    return line !== undefined && (BigInt(`0x${line.slice(7).trim()}`) & 1n) === 1n;
  } catch {
    return false;
  }
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'execdriver-cli-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Parses NDJSON output, one object a line. */
export function ndjson(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** One NDJSON job line. */
export function job(fields: Record<string, unknown>): string {
  return `${JSON.stringify(fields)}\n`;
}

/**
 * A CLI test file's set-up: a marker for the processes it starts and a temp dir; after each test its bins
 * are stopped, after the file its leftovers are killed and the dir removed.
 */
export function binTestFile(): { mark: string; dir: { path: string; remove(): void } } {
  const mark = marker();
  const dir = tempDir();
  afterEach(stopAll);
  after(() => {
    killLeftovers(mark);
    dir.remove();
  });
  return { mark, dir };
}
