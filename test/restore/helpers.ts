/** Helpers of the restore tests: a supervisor host process to kill, and cleanup of what it left. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { killIfSame, onCleanup, proc, until } from '../shim/helpers.js';

export const hostScript = fileURLToPath(new URL('../../../test/fixtures/restore-host.mjs', import.meta.url));

export interface Hosted {
  id: string;
  pid: number;
}

/**
 * Starts a supervisor process that runs the given restorable commands; resolves once all have started,
 * with their pids. Every command (and the host) is SIGKILLed after the test if still the same process.
 */
export async function host(stateDir: string, commands: { id: string; script: string }[], mode: 'idle' | 'exit' | 'sigterm' = 'idle') {
  const child = spawn(process.execPath, [hostScript, stateDir, JSON.stringify(commands), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await until(() => out.includes('\n') || child.exitCode !== null, 60_000, 'the host to start its commands');
  const started = JSON.parse(out.split('\n')[0]!) as Hosted[];
  for (const { pid } of started) {
    const p = proc(pid);
    if (p) onCleanup(() => killIfSame(pid, p.startTime));
  }
  return {
    started,
    pidOf: (id: string) => started.find((s) => s.id === id)!.pid,
    /** SIGKILLs the host and waits until it is reaped. */
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    exited,
  };
}
