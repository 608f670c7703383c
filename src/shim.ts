/** Finding the execdriver-shim binary that every run goes through (built by `npm run build`). */
import { accessSync, constants } from 'node:fs';
import { ExecDriverError } from './errors.js';
import { shimPath } from './paths.js';

const checked = new Set<string>();

/** Returns `path` if it is an executable file; throws ERR_SHIM_MISSING naming it otherwise. */
export function requireShim(path: string = shimPath): string {
  if (checked.has(path)) return path;
  try {
    accessSync(path, constants.X_OK);
  } catch (error) {
    throw new ExecDriverError(
      'ERR_SHIM_MISSING',
      `The execdriver-shim binary is missing: expected an executable file at ${path}`,
      'it is compiled from workers/shim/execdriver-shim.c by `npm run build`, which needs a C compiler (cc or $CC); install one (e.g. gcc) and build again',
      { cause: error },
    );
  }
  checked.add(path);
  return path;
}
