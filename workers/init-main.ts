/**
 * The init program's body, after dockerinit: parse the flags into InitArgs, look up the driver's init
 * function and run it. A custom init program registers its own functions and then calls initMain().
 */
import { parseInitFlags } from '../src/init-args.js';
import { getInitFunc } from '../src/registry.js';

export async function initMain(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  try {
    const args = parseInitFlags(argv, process.env);
    const status = await getInitFunc(args.driver || 'process')(args);
    process.exitCode = status;
  } catch (error) {
    process.stderr.write(`init: ${(error as Error).message}\n`);
    process.exitCode = 127;
  }
}
