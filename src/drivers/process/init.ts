/**
 * The process driver's init function, run by the init program inside the command's process group: it
 * applies workDir, user and env, runs the entrypoint, forwards signals to it and ends with its status
 * (a signal death is raised again on itself, so the supervisor sees the same signal).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { InitArgs } from '../../init-args.js';
import { resolveUser } from './user.js';

const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export async function processInit(args: InitArgs): Promise<number> {
  const [file, ...rest] = args.args;
  if (!file) throw new TypeError('init: no entrypoint after --');
  if (args.workDir) process.chdir(args.workDir);
  const env: Record<string, string> = {};
  for (const entry of args.env) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  if (args.user) {
    const user = await resolveUser(args.user);
    process.setgroups?.([user.gid]);
    process.setgid?.(user.gid);
    process.setuid?.(user.uid);
    if (user.home && env.HOME === undefined) env.HOME = user.home;
  }
  const child = spawn(file, rest, { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      process.stderr.write(`init: cannot run ${JSON.stringify(file)}: ${error.message}\n`);
      resolve([error.code === 'ENOENT' ? 127 : 126, null]);
    });
    child.once('exit', (c, s) => resolve([c, s]));
  });
  for (const s of FORWARDED) process.off(s, forward);
  if (signal) {
    process.kill(process.pid, signal);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a signal we cannot die of: fall through
    return 128 + (constants.signals[signal] ?? 0);
  }
  return code ?? 1;
}
