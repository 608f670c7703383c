/** The CLI's pure parts: argument parsing, NDJSON job parsing, the progress line, the summary, ps output. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { HelpRequested, parse, UsageError } from '../../src/cli/args.js';
import { parseJobs } from '../../src/cli/jobs.js';
import { formatPsJson, formatPsTable } from '../../src/cli/ps.js';
import { renderProgress } from '../../src/cli/progress.js';
import { formatSummary } from '../../src/cli/results.js';
import type { StateEntry } from '../../src/cli/state.js';
import { BIN, job } from './bin.js';

describe('parse (util.parseArgs tokens)', () => {
  const specs = { timeout: { type: 'string' }, json: { type: 'boolean' } } as const;

  it('reads long options, --name=value and positionals', () => {
    assert.deepEqual(parse(['--timeout', '5', 'a', '--json', '--timeout=7'], specs), {
      values: { timeout: '7', json: true }, positionals: ['a'], rest: [],
    });
  });

  it('stops at the first positional or at -- with stopAtPositional, leaving the rest untouched', () => {
    assert.deepEqual(parse(['--timeout', '5', 'sh', '-c', '--json'], specs, true), {
      values: { timeout: '5' }, positionals: [], rest: ['sh', '-c', '--json'],
    });
    assert.deepEqual(parse(['--json', '--', '--timeout', 'x'], specs, true).rest, ['--timeout', 'x']);
  });

  it('refuses unknown options, missing values and values given to booleans', () => {
    assert.throws(() => parse(['--nope'], specs), new UsageError('unknown option --nope'));
    assert.throws(() => parse(['-q'], specs), new UsageError('unknown option -q'));
    assert.throws(() => parse(['--timeout'], specs), new UsageError('option --timeout needs a value'));
    assert.throws(() => parse(['--json=no'], specs), new UsageError('option --json takes no value, got "no"'));
  });

  it('lets -h/--help win over any mistake', () => {
    assert.throws(() => parse(['--nope', '-h'], specs), HelpRequested);
  });
});

describe('parseJobs', () => {
  it('reads Command.fromJSON fields plus env, with 1-based line numbers, skipping blank lines', () => {
    const text = job({ id: 'a', entrypoint: 'echo', arguments: ['x'], working_dir: '/tmp', env: { K: 'v' } }) + '\n  \n' +
      job({ entrypoint: 'true' });
    const { jobs, problems } = parseJobs(text);
    assert.deepEqual(problems, []);
    assert.deepEqual(jobs.map((j) => j.line), [1, 4]);
    const a = jobs[0]!.command;
    assert.deepEqual([a.id, a.entrypoint, a.arguments, a.workingDir, a.env], ['a', 'echo', ['x'], '/tmp', { K: 'v' }]);
    assert.match(jobs[1]!.command.id, /^[0-9a-f-]{36}$/);
  });

  it('turns bad JSON, invalid commands and repeated ids into problems, keeping the rest', () => {
    const text = '{"id":"a","entrypoint":"true"}\n{oops\n[1]\n{"id":"b","entrypoint":""}\n{"id":"a","entrypoint":"true"}\n{"id":"c","entrypoint":"true"}';
    const { jobs, problems } = parseJobs(text);
    assert.deepEqual(jobs.map((j) => [j.line, j.command.id]), [[1, 'a'], [6, 'c']]);
    assert.deepEqual(problems.map((p) => [p.line, p.id]), [[2, null], [3, null], [4, 'b'], [5, 'a']]);
    assert.match(problems[0]!.message, /^not valid JSON: /);
    assert.match(problems[1]!.message, /Expected a command to be a JSON object/);
    assert.match(problems[2]!.message, /`entrypoint`/);
    assert.equal(problems[3]!.message, 'duplicate id "a" (first on line 1)');
  });

  it('accepts CRLF line ends', () => {
    assert.equal(parseJobs('{"entrypoint":"true"}\r\n{"entrypoint":"true"}\r\n').jobs.length, 2);
  });
});

describe('renderProgress', () => {
  it('shows the bar, done/total, failures, jobs/s and ETA', () => {
    assert.equal(renderProgress({ done: 5, total: 20, failed: 1, elapsedMs: 2000 }, 100),
      `[${'#'.repeat(7)}${'-'.repeat(23)}] 5/20  1 failed  2.50 jobs/s  ETA 6.00 s`);
  });

  it('has no ETA before the first job finishes, and 0 at the end', () => {
    assert.match(renderProgress({ done: 0, total: 3, failed: 0, elapsedMs: 500 }, 100), /0\/3 .* 0 jobs\/s  ETA --$/);
    assert.match(renderProgress({ done: 3, total: 3, failed: 0, elapsedMs: 1500 }, 100), /^\[#+\] 3\/3 .* ETA 0 ms$/);
  });

  it('never reaches the last column: narrower bar, then no bar, then cut', () => {
    const state = { done: 1234, total: 5678, failed: 12, elapsedMs: 61_000 };
    for (const columns of [120, 80, 60, 50, 30, 10]) {
      assert.ok(renderProgress(state, columns).length <= columns - 1, `columns ${columns}`);
    }
    assert.doesNotMatch(renderProgress(state, 50), /\[/);
  });
});

describe('formatSummary', () => {
  const counts = { ran: 20, failed: 3, timedOut: 1, killed: 0, notStarted: 0 };
  it('says ran, failed, timed out, wall time and jobs/s', () => {
    assert.equal(formatSummary({ counts, malformed: 0, wallMs: 2500 }), 'ran 20, failed 3, timed out 1, wall 2.50 s, 8.00 jobs/s');
    assert.equal(formatSummary({ counts, malformed: 2, wallMs: 800 }), 'ran 20, failed 3, timed out 1, malformed 2, wall 800 ms, 25.0 jobs/s');
  });
  it('says what an interrupt left', () => {
    assert.equal(formatSummary({ counts: { ...counts, killed: 2, notStarted: 5 }, malformed: 0, wallMs: 65_000, interrupted: 'SIGINT' }),
      'ran 20, failed 3, timed out 1, wall 1m05s, 0.308 jobs/s; interrupted by SIGINT: 2 killed, 5 not started');
  });
});

describe('ps output', () => {
  const entries: StateEntry[] = [
    { id: 'web', pid: 4242, status: 'running', startedAt: '2024-05-01T10:00:00.000Z', exitCode: null, entrypoint: 'node', arguments: ['server.js', '--port', '8080'] },
    { id: 'backup-nightly', pid: -1, status: 'exited', startedAt: null, exitCode: 137, entrypoint: 'sh', arguments: ['-c', "tar czf /backup/all.tgz /srv && echo 'done'"] },
  ];

  it('is a padded table with a header; COMMAND quoted like a shell and cut at 40 characters', () => {
    assert.equal(formatPsTable(entries), [
      'ID              PID   STATUS   STARTED                   EXIT  COMMAND',
      'web             4242  running  2024-05-01T10:00:00.000Z  -     node server.js --port 8080',
      "backup-nightly  -     exited   -                         137   sh -c 'tar czf /backup/all.tgz /srv &...",
      '',
    ].join('\n'));
    assert.equal(formatPsTable([]), 'ID  PID  STATUS  STARTED  EXIT  COMMAND\n');
  });

  it('is one JSON object a line with --json', () => {
    const lines = formatPsJson(entries).trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, entries);
  });
});

describe('the progress bar on a real terminal', () => {
  const script = '/usr/bin/script';
  it('draws done/total, failures, jobs/s and ETA on stderr, then erases it for the summary', { skip: !existsSync(script) && 'util-linux script(1) is not installed' }, () => {
    const input = [1, 2, 3].map((n) => job({ id: `p${n}`, entrypoint: 'sleep', arguments: ['0.3'] })).join('') + job({ id: 'f', entrypoint: 'false' });
    const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    // script(1) gives the bin a pseudo-terminal as stdin/stdout/stderr; its jobs come from a file.
    const r = spawnSync(script, ['-qec', `printf %s ${shellQuote(input)} > /tmp/execdriver-pty-$$.ndjson && ` +
      `${shellQuote(process.execPath)} ${shellQuote(BIN)} batch /tmp/execdriver-pty-$$.ndjson --concurrency 1 --out /dev/null; ` +
      'status=$?; rm -f /tmp/execdriver-pty-$$.ndjson; exit $status', '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /\r\[[#-]+\] 0\/4  0 failed  0 jobs\/s  ETA --\x1b\[K/);
    assert.match(r.stdout, /\r\[#+\] 4\/4  1 failed  [\d.]+ jobs\/s  ETA 0 ms\x1b\[K/);
    assert.match(r.stdout, /\r\x1b\[Kexecdriver batch: ran 4, failed 1, timed out 0, wall/);
  });
});
