/**
 * The state directory: $XDG_STATE_HOME/execdriver, else ~/.local/state/execdriver. Created mode 0700;
 * an existing one must be a directory owned by this user, and looser permission bits are tightened to
 * 0700 (the entries hold command lines and environments), never loosened.
 */
import { chmodSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ExecDriverError, describe } from '../errors.js';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec: a relative path is invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, 'execdriver');
  return join(homedir(), '.local', 'state', 'execdriver');
}

/** Creates (0700) or checks and tightens the state dir and its entries/ and exits/ subdirectories. */
export function prepareStateDir(dir: string): void {
  for (const path of [dir, join(dir, 'entries'), join(dir, 'exits')]) {
    try {
      mkdirSync(path, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw unusable(dir, (error as Error).message, error);
    }
    const st = lstatSync(path).isSymbolicLink() && path === dir ? statSync(path) : lstatSync(path);
    if (!st.isDirectory()) throw unusable(dir, `${path} is not a directory`);
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) throw unusable(dir, `${path} is owned by uid ${st.uid}, not by this process's uid ${uid}`);
    if ((st.mode & 0o077) !== 0) chmodSync(path, st.mode & 0o700);
  }
}

function unusable(dir: string, detail: string, cause?: unknown): ExecDriverError {
  return new ExecDriverError('ERR_STATE_DIR', `The state directory ${describe(dir)} cannot be used`, detail, { cause });
}
