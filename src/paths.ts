import { fileURLToPath } from 'node:url';

/** The shipped init program: use it as a Command's initPath. */
export const defaultInitPath: string = fileURLToPath(new URL('../workers/init.js', import.meta.url));
