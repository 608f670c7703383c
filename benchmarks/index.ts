/**
 * The benchmark entry: `npm run bench [-- --scope throughput,latency] [--out file.json] [--smoke]`.
 * Runs the chosen scopes one after another, writes a JSON report (benchmarks/results/latest.json by
 * default) and prints a table per scope and the goals, met or not. Progress goes to stderr, tables to
 * stdout. Exits 1 only when a scope failed (an error, or a job that exited non-zero), not for a missed goal.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/args.js';
import type { Goal, Scope, ScopeOutput } from './lib/report.js';
import { renderTable } from './lib/table.js';
import { latency } from './scopes/latency.js';
import { memory } from './scopes/memory.js';
import { restore } from './scopes/restore.js';
import { throughput } from './scopes/throughput.js';
import { timeout } from './scopes/timeout.js';

const SCOPES: Scope[] = [throughput, latency, memory, timeout, restore];
const DEFAULT_OUT = fileURLToPath(new URL('../../benchmarks/results/latest.json', import.meta.url));

function usage(): string {
  return [
    'Usage: npm run bench -- [--scope a,b] [--out file.json] [--smoke]',
    '  --scope  scopes to run, comma-separated (default: all)',
    '  --out    where to write the JSON report (default: benchmarks/results/latest.json)',
    '  --smoke  every scope at tiny sizes (a few seconds; figures mean nothing)',
    'Scopes:',
    ...SCOPES.map((s) => `  ${s.name.padEnd(11)}${s.description}`),
  ].join('\n');
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), SCOPES.map((s) => s.name));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage()}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const chosen = args.scopes ? SCOPES.filter((s) => args.scopes!.includes(s.name)) : SCOPES;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const meta = {
    date: new Date().toISOString(),
    command: ['node', ...process.argv.slice(1)].join(' '),
    commit: gitCommit(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model,
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    smoke: args.smoke,
    loadavgBefore: loadavg(),
    loadavgAfter: [] as number[],
    elapsedMs: 0,
  };
  const started = performance.now();
  const reports: Record<string, (ScopeOutput & { elapsedMs: number; loadavgAfter: number[] }) | { error: string; elapsedMs: number }> = {};
  let failed = false;
  for (const scope of chosen) {
    log(`[${scope.name}] ${scope.description}${args.smoke ? ' (smoke)' : ''}`);
    const t0 = performance.now();
    try {
      const output = await scope.run({ smoke: args.smoke, log });
      reports[scope.name] = { ...output, elapsedMs: performance.now() - t0, loadavgAfter: loadavg() };
      if (output.failures?.length) failed = true;
    } catch (error) {
      failed = true;
      reports[scope.name] = { error: (error as Error).stack ?? String(error), elapsedMs: performance.now() - t0 };
      log(`[${scope.name}] failed: ${(error as Error).stack ?? error}`);
    }
    log(`[${scope.name}] done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  meta.elapsedMs = performance.now() - started;
  meta.loadavgAfter = loadavg();

  const goals: (Goal & { scope: string })[] = [];
  for (const [name, report] of Object.entries(reports)) {
    if ('goals' in report) for (const goal of report.goals) goals.push({ scope: name, ...goal });
  }
  const out = resolve(args.out ?? DEFAULT_OUT);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ meta, scopes: reports, goals }, null, 2)}\n`);

  const print = (text = '') => process.stdout.write(`${text}\n`);
  print(`execdriver benchmarks${args.smoke ? ' (SMOKE: tiny sizes, the figures mean nothing)' : ''}`);
  print(`${meta.date}  node ${meta.node}  ${meta.cores} cores (${meta.cpu ?? 'unknown cpu'})  commit ${meta.commit ?? '?'}`);
  print(`load average before ${meta.loadavgBefore.map((l) => l.toFixed(2)).join(' ')}, after ${meta.loadavgAfter.map((l) => l.toFixed(2)).join(' ')}` +
    ' (a shared machine: absolute figures drift, ratios of alternated rounds hold better)');
  for (const [name, report] of Object.entries(reports)) {
    print();
    if ('error' in report) {
      print(`[${name}] FAILED: ${report.error.split('\n')[0]}`);
      continue;
    }
    print(`[${name}] ${report.title}  (${(report.elapsedMs / 1000).toFixed(1)} s)`);
    for (const table of report.tables) print(renderTable(table));
    for (const note of report.notes) print(`  ${note}`);
    for (const failure of report.failures ?? []) print(`  FAILURE: ${failure}`);
  }
  if (goals.length > 0) {
    print();
    print(renderTable({
      title: `Goals${args.smoke ? ' (smoke sizes: not a verdict)' : ''}`,
      columns: ['goal', 'target', 'measured', 'status'],
      rows: goals.map((g) => [g.goal, g.target, g.measured, g.met === null ? 'not measured' : g.met ? 'met' : 'NOT MET']),
    }));
  }
  print();
  print(`Report: ${out}  (total ${(meta.elapsedMs / 1000).toFixed(1)} s)`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
// Every scope closes what it made; if something still holds the loop open, say so instead of hanging CI.
setTimeout(() => {
  process.stderr.write('bench: handles still open 10 s after the end; exiting\n');
  process.exit(process.exitCode || 1);
}, 10_000).unref();
