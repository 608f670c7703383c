/** Helpers of the shim and restore tests (the shared ones live in test/helpers.ts): time(1), identity-checked kills, generous polling. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup, proc, sleep } from '../helpers.js';

export { alive, childrenOf, onCleanup, proc, sleep, supervisor, type Proc } from '../helpers.js';

/** A fresh temp dir, removed after the test. */
export function tempDir(prefix = 'execdriver-shim-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
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
