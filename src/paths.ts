import { fileURLToPath } from 'node:url';

/** The shipped init program: use it as a Command's initPath. */
export const defaultInitPath: string = fileURLToPath(new URL('../workers/init.js', import.meta.url));

/** The execdriver-shim binary that `npm run build` compiles (see workers/shim/execdriver-shim.c). */
export const shimPath: string = fileURLToPath(new URL('../workers/execdriver-shim', import.meta.url));
