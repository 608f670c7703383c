/**
 * Main-thread responsiveness: a 1 ms interval timer, and the gap between its consecutive ticks. A
 * blocked event loop shows as a long gap; an idle one as gaps of about 1 ms.
 */
import { performance } from 'node:perf_hooks';

export interface GapMonitor {
  /** Stops the timer and returns every gap seen, in ms. */
  stop(): number[];
}

export function monitorGaps(): GapMonitor {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      gaps.push(performance.now() - last); // the gap still open when the burst ended counts too
      return gaps;
    },
  };
}
