/**
 * Restore poller CPU (1,000 restored commands): to be measured once Supervisor.restore() works. Until
 * then this scope only probes, with one real case, whether it does: supervisor A (with a stateDir) runs
 * `sleep 30`; supervisor B, on the same stateDir, is asked to restore that command. No figure is
 * reported, and none is invented, until restore attaches.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../lib/alternate.js';
import type { Scope, ScopeOutput } from '../lib/report.js';
import { Command, Supervisor } from '../../src/index.js';

const IO = { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } as const;

export const restore: Scope = {
  name: 'restore',
  description: "restore poller's CPU with 1,000 restored commands (probes whether restore exists yet)",
  async run(): Promise<ScopeOutput> {
    const stateDir = mkdtempSync(join(tmpdir(), 'execdriver-bench-restore-'));
    const a = new Supervisor({ stateDir, killGraceMs: 100 });
    const b = new Supervisor({ stateDir, killGraceMs: 100 });
    let outcome: string;
    let available = false;
    let stateEntries = 0;
    try {
      const command = new Command({ entrypoint: 'sleep', arguments: ['30'] });
      let onStart!: () => void;
      const started = new Promise<void>((resolve) => (onStart = resolve));
      const run = a.run(command, () => onStart(), IO);
      run.catch(() => {});
      await started;
      stateEntries = readdirSync(stateDir, { recursive: true }).length;
      const restored = b.restore(Command.fromJSON(command.toJSON()));
      restored.catch(() => {});
      outcome = await Promise.race([
        restored.then(() => 'resolved at once', (error: Error) => `rejected: ${error.name}: ${error.message}`),
        sleep(500).then(() => 'attached (still pending after 500 ms, as a wait on a live sleep should be)'),
      ]);
      available = outcome.startsWith('attached');
    } finally {
      await a.close();
      await b.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
    const status = available
      ? 'restore() now attaches: this scope\'s CPU measurement is still to be written (no figure reported)'
      : 'not available yet';
    return {
      title: `Restore poller CPU with 1,000 restored commands: ${status}`,
      params: { probe: 'A runs sleep 30 with a stateDir; B restores it from the same stateDir' },
      data: { available, outcome, stateEntriesWhileRunning: stateEntries },
      tables: [],
      goals: [],
      notes: [
        `probe: supervisor A wrote ${stateEntries} state entr${stateEntries === 1 ? 'y' : 'ies'} for a running command; B.restore() ${outcome}.`,
        'no figures: nothing is measured until restore works.',
      ],
    };
  },
};
