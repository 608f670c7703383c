/**
 * Restore poller CPU: N restorable `sleep` commands are started and let go, a new Supervisor restores
 * them all, and the process's CPU is measured over an idle window while its one shared poller watches
 * them, against the same supervisor watching nothing (benchmarks/restore-poller.ts does the work).
 */
import type { Scope, ScopeContext, ScopeOutput } from '../lib/report.js';
import { runRestorePoller } from '../restore-poller.js';

export const restore: Scope = {
  name: 'restore',
  description: "restore poller's CPU with 1,000 restored commands",
  async run(ctx: ScopeContext): Promise<ScopeOutput> {
    const params = ctx.smoke
      ? { commands: 50, windowMs: 1000, intervalMs: 100, livenessMs: 2000 }
      : { commands: 1000, windowMs: 10_000, intervalMs: 100, livenessMs: 2000 };
    const r = await runRestorePoller(params);
    const f = (n: number, d = 2) => n.toFixed(d);
    return {
      title: `Restore poller CPU with ${r.commands} restored commands (interval ${r.intervalMs} ms, liveness ${r.livenessMs} ms)`,
      params,
      data: r,
      tables: [{
        title: 'CPU of one process, % of one core, over an idle window (process.cpuUsage, all threads)',
        columns: ['commands', 'watching', 'watching nothing', 'poller (difference)', 'CPU µs per tick', 'restoreAll ms', 'kill all + collect ms'],
        rows: [[String(r.commands), f(r.idleCpuPercent), f(r.baselineCpuPercent), f(r.idleCpuPercent - r.baselineCpuPercent),
          f(r.idleCpuUsPerTick, 0), f(r.restoreAllMs, 0), f(r.drainWallMs, 0)]],
      }],
      goals: [],
      notes: ['one shared poller: one stat() of exits/ per tick, plus an identity check of a rotating slice of the commands'],
    };
  },
};
