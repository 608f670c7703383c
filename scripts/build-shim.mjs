#!/usr/bin/env node
/**
 * Builds workers/shim/execdriver-shim.c into dist/workers/execdriver-shim with the system C compiler
 * ($CC, else cc); also the package's install step. Without a compiler the build still succeeds, with a
 * warning, keeping a binary already there; with none, runs fail with ERR_SHIM_MISSING naming the file.
 * A compiler that rejects the source fails the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';

const cc = process.env.CC || 'cc';
const out = 'dist/workers/execdriver-shim';
const args = ['-O2', '-Wall', '-Wextra', '-o', out, 'workers/shim/execdriver-shim.c'];
mkdirSync('dist/workers', { recursive: true });
const result = spawnSync(cc, args, { stdio: 'inherit' });
if (result.error?.code === 'ENOENT') {
  // A binary already there (the one the published package carries, built for linux-x64) is kept.
  console.warn(existsSync(out)
    ? `warning: no C compiler (${cc}) found: keeping the existing ${out}; rebuild with a compiler if it does not run here`
    : `warning: no C compiler (${cc}) found: ${out} was not built; every run will fail with ERR_SHIM_MISSING until it is (install gcc, then npm run build)`);
} else if (result.error || result.status !== 0) {
  console.error(`error: ${cc} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
  process.exit(1);
}
