/**
 * Alternation: every peer measured in the same process run, rounds interleaved (A B C A B C ...), so a
 * burst of background load lands on all peers alike instead of on whichever ran during it.
 */
export async function alternate<P extends { name: string }, R>(
  peers: readonly P[],
  rounds: number,
  measure: (peer: P, round: number) => Promise<R>,
  log: (line: string) => void = () => {},
): Promise<Map<string, R[]>> {
  const results = new Map<string, R[]>(peers.map((p) => [p.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const peer of peers) {
      log(`  round ${round + 1}/${rounds}: ${peer.name}`);
      results.get(peer.name)!.push(await measure(peer, round));
    }
  }
  return results;
}

/** Runs `total` jobs, at most `concurrency` at a time; each lane starts its next job when its last settles. */
export async function runLanes(total: number, concurrency: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < total) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
}

/**
 * Background load: `concurrency` lanes repeating `job` until stopped. stop() resolves, with the number of
 * jobs done, when every lane has. Wait for the load with reached(), not with a timer: lanes that spawn on
 * the main thread can starve its timers for as long as they run.
 */
export function startLoad(concurrency: number, job: () => Promise<void>): { reached(count: number): Promise<void>; stop(): Promise<number> } {
  let stopped = false;
  let count = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const lane = async () => {
    while (!stopped) {
      await job();
      count++;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (count >= waiters[i]!.count) waiters.splice(i, 1)[0]!.resolve();
      }
    }
  };
  const lanes = Promise.all(Array.from({ length: concurrency }, lane));
  return {
    reached: (target) => (count >= target ? Promise.resolve() : new Promise((resolve) => waiters.push({ count: target, resolve }))),
    async stop() {
      stopped = true;
      await lanes;
      for (const waiter of waiters.splice(0)) waiter.resolve();
      return count;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
