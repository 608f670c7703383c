/** Helpers of the shim and restore tests: a cleanup registry, /proc checks, time(1), polling. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'node:test';
import { Supervisor, type SupervisorOptions } from '../../src/index.js';

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

/** A fresh temp dir, removed after the test. */
export function tempDir(prefix = 'execdriver-shim-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

afterEach(async () => {
  await Promise.all([...open].map((s) => s.close()));
  open.clear();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

process.on('warning', (warning) => {
  process.exitCode = 1;
  console.error('warning during tests:', warning);
});

export interface Proc {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
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

/** Children of a pid (any state, zombies included), from /proc. */
export function childrenOf(ppid: number): Proc[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => proc(Number(n)))
    .filter((p): p is Proc => p !== undefined && p.ppid === ppid);
}

/** SIGKILLs a pid if it is still the process that started at `startTime` (never pid <= 0). */
export function killIfSame(pid: number, startTime: number): void {
  if (pid <= 0) return;
  const p = proc(pid);
  if (p && p.startTime === startTime) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Polls until `check` holds, failing after `ms` (generous: the machine is shared). */
export async function until(check: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GNU time(1) on the same command: user and system CPU in ms, max RSS in bytes. */
export function timeOf(file: string, args: string[]): { cpuMs: number; maxRssBytes: number } {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %M', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  return parseTime(r.stderr);
}

function parseTime(stderr: string): { cpuMs: number; maxRssBytes: number } {
  const line = stderr.split('\n').find((l) => l.startsWith('TIME '));
  if (!line) throw new Error(`no time(1) line in ${JSON.stringify(stderr)}`);
  const [, u, s, m] = line.split(' ');
  return { cpuMs: (Number(u) + Number(s)) * 1000, maxRssBytes: Number(m) * 1024 };
}

/** The median of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
