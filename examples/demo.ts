/**
 * The main job on an embedded default: a batch of example commands through one Supervisor, a line per
 * job as it ends, and a summary.
 */
import { Command, ErrWaitTimeoutReached, Supervisor, type ExitResult } from '../src/index.js';

const jobs: [string, string[], number?][] = [
  ['true', []],
  ['sh', ['-c', 'echo hello from $$']],
  ['sh', ['-c', 'exit 3']],
  ['sh', ['-c', 'kill -TERM $$']],
  ['sleep', ['0.3']],
  ['sh', ['-c', 'sleep 30 & sleep 30'], 500],
  ['no-such-program', []],
  ...Array.from({ length: 40 }, (_, i): [string, string[]] => ['sh', ['-c', `exit ${i % 2}`]]),
];

const supervisor = new Supervisor({ killGraceMs: 500 });
const started = performance.now();
let failed = 0;
let timedOut = 0;
let notStarted = 0;
const results = await Promise.all(
  jobs.map(async ([entrypoint, args, timeout], i) => {
    const command = new Command({ id: `demo-${i}`, entrypoint, arguments: args });
    let result: ExitResult | undefined;
    try {
      result = await supervisor.run(command, undefined, { timeout, stdout: 'buffer', stderr: 'ignore' });
    } catch (error) {
      if (error instanceof ErrWaitTimeoutReached) {
        timedOut++;
        result = error.result;
      } else {
        notStarted++;
        console.log(`${command.id.padEnd(8)} ${(error as Error).message}`);
        return undefined;
      }
    }
    if (result && result.exitCode !== 0) failed++;
    if (i < 7) {
      const out = result?.stdout?.trim() ? `  stdout: ${result.stdout.trim()}` : '';
      console.log(`${command.id.padEnd(8)} exit ${result?.exitCode} ${result?.signal ?? ''}${result?.timedOut ? ' (timed out)' : ''} in ${result?.durationMs.toFixed(1)} ms${out}`);
    }
    return result;
  }),
);
await supervisor.close();
const wall = (performance.now() - started) / 1000;
console.log(
  `ran ${results.length}, failed ${failed}, timed out ${timedOut}, not started ${notStarted}, ` +
    `wall ${wall.toFixed(2)} s, ${(results.length / wall).toFixed(0)} jobs/s`,
);
