/**
 * Memory per concurrent child: n `sleep` children alive at once through one peer, in a fresh Node
 * process per peer and round (memory-probe.js, --expose-gc), so that no peer's garbage or threads count
 * against another. Growth per child = (RSS with n alive - RSS once the peer is warmed up) / n.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { alternate } from '../lib/alternate.js';
import { LABELS, type PeerName } from '../lib/peers.js';
import type { Scope, ScopeOutput } from '../lib/report.js';
import { median, pairedRatio } from '../lib/stats.js';
import { fmt, ratio } from '../lib/table.js';
import type { ProbeOutput } from './memory-probe.js';

const PROBE = fileURLToPath(new URL('./memory-probe.js', import.meta.url));
const PEERS: PeerName[] = ['spawn', 'execa', 'supervisor'];
const RATIO_GOAL = 2;

function runProbe(peer: string, n: number, timeoutMs: number): Promise<ProbeOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', PROBE, peer, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // SIGTERM first: the probe's Supervisor then kills its children on the way out.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`memory probe (${peer}) ended with ${code ?? signal}: ${stderr.trim()}`));
      try {
        resolve(JSON.parse(stdout) as ProbeOutput);
      } catch {
        reject(new Error(`memory probe (${peer}) printed no report: ${stdout.trim()} ${stderr.trim()}`));
      }
    });
  });
}

const perChild = (o: ProbeOutput, key: 'rss' | 'heapUsed' | 'external') => (o.loaded[key] - o.ready[key]) / o.n;
const KB = 1024;
const MB = 1024 * 1024;

export const memory: Scope = {
  name: 'memory',
  description: 'RSS and heap growth per concurrent `sleep` child (fresh process per peer)',
  async run({ smoke, log }): Promise<ScopeOutput> {
    const n = smoke ? 20 : 1000;
    const rounds = smoke ? 1 : 2;
    const results = await alternate(PEERS.map((name) => ({ name })), rounds, ({ name }) => runProbe(name, n, 120_000), log);
    const of = (name: PeerName) => results.get(name)!;
    const rss = (name: PeerName) => of(name).map((o) => perChild(o, 'rss'));
    const rows = PEERS.map((name) => [
      LABELS[name],
      fmt(median(rss(name)) / KB),
      ratio(pairedRatio(rss(name), rss('spawn'))),
      fmt(median(of(name).map((o) => perChild(o, 'heapUsed'))) / KB),
      fmt(median(of(name).map((o) => perChild(o, 'external'))) / KB),
      fmt(median(of(name).map((o) => (o.ready.rss - o.base.rss) / MB))),
      fmt(median(of(name).map((o) => o.loaded.rss / MB))),
      fmt(median(of(name).map((o) => o.startAllMs))),
    ]);
    // A baseline that did not grow (possible at smoke sizes) makes the ratio meaningless, not a pass.
    const baselineGrew = rss('spawn').every((v) => v > 0);
    const supRatio = baselineGrew ? pairedRatio(rss('supervisor'), rss('spawn')) : NaN;
    return {
      title: `Memory per concurrent child: ${n} x sleep, fresh process per peer and round`,
      params: { n, rounds, command: 'sleep 300', stdio: 'ignore', nodeFlags: ['--expose-gc'] },
      data: Object.fromEntries(results),
      tables: [{
        title: `Memory per concurrent child (${n} alive), ${rounds} alternating round(s), each in a fresh node process`,
        columns: ['peer', 'RSS KiB/child', 'vs spawn', 'main heap KiB/child', 'external KiB/child', 'fixed RSS MiB', 'RSS MiB loaded', `start ${n} ms`],
        rows,
        notes: [
          'per child = (figure with all alive - figure once the peer is warmed up) / n, after gc; median over rounds.',
          'fixed RSS: what building and warming the peer cost (pool threads) before any sleep started.',
          "main heap is the main thread's V8 heap only: the Supervisor's worker-thread heaps show in RSS, not here.",
          "RSS is this process only (every thread); the children's own memory is not counted for any peer.",
        ],
      }],
      goals: [{
        goal: 'Memory (RSS) per concurrent child: Supervisor vs raw spawn',
        target: `<= ${RATIO_GOAL.toFixed(2)}x`,
        measured: `${ratio(supRatio)} (${fmt(median(rss('supervisor')) / KB)} vs ${fmt(median(rss('spawn')) / KB)} KiB)`,
        met: baselineGrew ? supRatio <= RATIO_GOAL : null,
      }],
      notes: [],
    };
  },
};
