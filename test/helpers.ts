/** Shared test helpers: fixtures, a cleanup registry that closes every supervisor a test made, /proc checks. */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'node:test';
import { Supervisor, type SupervisorOptions } from '../src/index.js';

/** Fixture paths: test/fixtures/ in the source tree (dist/test/helpers.js -> ../../test/fixtures). */
export const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

const open = new Set<Supervisor>();
const cleanups: (() => void | Promise<void>)[] = [];

/** A Supervisor closed after the test, pass or fail. */
export function supervisor(options: SupervisorOptions = {}): Supervisor {
  const s = new Supervisor({ killGraceMs: 1000, maxWorkers: 2, ...options });
  open.add(s);
  return s;
}

/** Runs after the test (after the supervisors are closed), pass or fail. */
export function onCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn);
}

afterEach(async () => {
  await Promise.all([...open].map((s) => s.close()));
  open.clear();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

// Warnings fail the run.
process.on('warning', (warning) => {
  process.exitCode = 1;
  console.error('warning during tests:', warning);
});

export interface Proc {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  /** Field 22 of stat: with the pid, the process's identity. */
  startTime: number;
}

export function proc(pid: number): Proc | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), startTime: Number(f[19]) };
  } catch {
    return undefined;
  }
}

/** True while the pid is a live (non-zombie) process. */
export function alive(pid: number): boolean {
  const p = proc(pid);
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

/** Children of a pid (any state), from /proc. */
export function childrenOf(ppid: number): Proc[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => proc(Number(n)))
    .filter((p): p is Proc => p !== undefined && p.ppid === ppid);
}

/** Polls until `check` holds, failing after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh temp dir and a file path inside it. */
export function tmpfile(name = 'out'): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'execdriver-test-'));
  return { dir, file: join(dir, name) };
}
