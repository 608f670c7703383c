/**
 * The CPU cost of watching restored commands: N restorable `sleep` commands are started and let go
 * (close() detaches), a new Supervisor restores them all, and the process's CPU time (process.cpuUsage,
 * user + system, main thread and workers) is measured over an idle window in which none of them exits,
 * then over the window in which all of them are killed and their exits picked up.
 *   node dist/benchmarks/restore-poller.js [--commands 1000] [--window-ms 10000] [--interval-ms 100] [--liveness-ms 2000]
 * Prints one JSON report. Standalone, so that benchmarks/index.ts can plug it in as a scope.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Command, Supervisor } from '../src/index.js';

export interface PollerReport {
  commands: number;
  intervalMs: number;
  livenessMs: number;
  windowMs: number;
  /** CPU time used per second of wall time while watching, as a percentage of one core. */
  idleCpuPercent: number;
  /** The same, before restoreAll(), with nothing watched: the supervisor process's own idle cost. */
  baselineCpuPercent: number;
  /** CPU microseconds per poller tick, all commands included. */
  idleCpuUsPerTick: number;
  /** Kill all and wait until every restore has resolved: wall and CPU time. */
  drainWallMs: number;
  drainCpuMs: number;
  startWallMs: number;
  restoreAllMs: number;
}

export async function runRestorePoller(opts: { commands: number; windowMs: number; intervalMs: number; livenessMs: number }): Promise<PollerReport> {
  const stateDir = mkdtempSync(join(tmpdir(), 'execdriver-bench-poller-'));
  const ids = Array.from({ length: opts.commands }, (_, i) => `bench-${i}`);
  let restorer: Supervisor | undefined;
  try {
    const starter = new Supervisor({ stateDir });
    const t0 = performance.now();
    const pending: Promise<unknown>[] = [];
    const lanes = 8;
    for (let lane = 0; lane < lanes; lane++) {
      pending.push((async () => {
        for (let i = lane; i < ids.length; i += lanes) {
          await new Promise<void>((resolve, reject) => {
            starter.run(new Command({ id: ids[i], entrypoint: 'sleep', arguments: ['100000'] }), () => resolve(), { restorable: true })
              .catch((error: { code?: string }) => (error.code === 'ERR_DETACHED' ? undefined : reject(error)));
          });
        }
      })());
    }
    await Promise.all(pending);
    const startWallMs = performance.now() - t0;
    await starter.close();

    restorer = new Supervisor({ stateDir, pollIntervalMs: opts.intervalMs, livenessMs: opts.livenessMs });
    const s = restorer;
    // The same supervisor watching nothing yet: the process's own idle cost, measured the same way.
    await new Promise((r) => setTimeout(r, 500));
    const b0 = process.cpuUsage();
    const bw0 = performance.now();
    await new Promise((r) => setTimeout(r, opts.windowMs));
    const b1 = process.cpuUsage(b0);
    const baselineCpuPercent = +(((b1.user + b1.system) / 1000 / (performance.now() - bw0)) * 100).toFixed(2);
    const t1 = performance.now();
    const restored = await s.restoreAll();
    const restoreAllMs = performance.now() - t1;
    if (restored.length !== ids.length) throw new Error(`restored ${restored.length} of ${ids.length}`);
    const waits = ids.map((id) => s.wait(id));
    for (const id of ids) if (!s.info(id).isRunning()) throw new Error(`${id} is not watched`);

    await new Promise((r) => setTimeout(r, 500)); // settle
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, opts.windowMs));
    const c1 = process.cpuUsage(c0);
    const wall = performance.now() - w0;
    const cpuUs = c1.user + c1.system;

    const c2 = process.cpuUsage();
    const d0 = performance.now();
    for (const id of ids) await s.kill(new Command({ id, entrypoint: 'sleep' }), 'SIGKILL');
    const results = await Promise.all(waits);
    const drainWallMs = performance.now() - d0;
    const c3 = process.cpuUsage(c2);
    const wrong = results.filter((r) => r.exitCode !== 137);
    if (wrong.length > 0) throw new Error(`${wrong.length} results are not 137: ${JSON.stringify(wrong[0])}`);
    return {
      commands: ids.length,
      intervalMs: opts.intervalMs,
      livenessMs: opts.livenessMs,
      windowMs: Math.round(wall),
      idleCpuPercent: +((cpuUs / 1000 / wall) * 100).toFixed(2),
      baselineCpuPercent,
      idleCpuUsPerTick: Math.round(cpuUs / (wall / opts.intervalMs)),
      drainWallMs: Math.round(drainWallMs),
      drainCpuMs: Math.round((c3.user + c3.system) / 1000),
      startWallMs: Math.round(startWallMs),
      restoreAllMs: Math.round(restoreAllMs),
    };
  } finally {
    if (restorer) {
      for (const id of ids) await restorer.kill(new Command({ id, entrypoint: 'sleep' }), 'SIGKILL').catch(() => {});
      await restorer.close();
    }
    rmSync(stateDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      commands: { type: 'string', default: '1000' },
      'window-ms': { type: 'string', default: '10000' },
      'interval-ms': { type: 'string', default: '100' },
      'liveness-ms': { type: 'string', default: '2000' },
    },
  });
  const report = await runRestorePoller({
    commands: Number(values.commands),
    windowMs: Number(values['window-ms']),
    intervalMs: Number(values['interval-ms']),
    livenessMs: Number(values['liveness-ms']),
  });
  console.log(JSON.stringify({ scope: 'restore-poller', ...report }, null, 2));
}
