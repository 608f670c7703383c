/** `execdriver batch` driven as a user would: NDJSON in and out, summary, exit status, --out, --logs. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { binTestFile, execdriver, job, liveProcessesWith, ndjson } from './bin.js';

const { mark, dir } = binTestFile();

const SUMMARY = /^execdriver batch: ran (\d+), failed (\d+), timed out (\d+)(?:, malformed (\d+))?, wall [\d.]+ m?s, [\d.]+ jobs\/s$/m;

describe('execdriver batch', () => {
  let mixed: string;
  before(() => {
    mixed = join(dir.path, 'mixed.ndjson');
    writeFileSync(mixed, [
      job({ id: 'ok', entrypoint: 'true' }),
      job({ id: 'exit3', entrypoint: 'sh', arguments: ['-c', 'exit 3'] }),
      '\n', // a blank line is skipped, but still counts for the line numbers
      job({ id: 'term', entrypoint: 'sh', arguments: ['-c', 'kill -TERM $$'] }),
      '{"id": "broken", "entrypoint": \n', // malformed: line 5
      job({ id: 'slow', entrypoint: 'sleep', arguments: [`303.${mark}`] }),
      job({ id: 'env', entrypoint: 'sh', arguments: ['-c', 'test "$GREETING" = hello'], env: { GREETING: 'hello' } }),
      job({ id: 'no-entrypoint' }), // not a valid command: line 8
      job({ id: 'ok', entrypoint: 'true' }), // duplicate id: line 9
      job({ id: 'missing', entrypoint: `no-such-program-${mark}` }),
    ].join(''));
  });

  it('runs every valid job, reports malformed lines by number, writes one result per line, exits 1', async () => {
    const r = await execdriver(['batch', mixed, '--timeout', '1500', '--concurrency', '3']);
    assert.equal(r.code, 1, r.stderr);
    const records = ndjson(r.stdout);
    const byLine = new Map(records.map((rec) => [rec.line, rec]));
    assert.equal(records.length, 9, r.stdout);
    const first = byLine.get(1)!;
    assert.deepEqual(first, { id: 'ok', line: 1, exitCode: 0, signal: null, timedOut: false, durationMs: first.durationMs, usage: first.usage });
    assert.equal(typeof first.durationMs, 'number');
    const usage = first.usage as Record<string, number>;
    assert.deepEqual(Object.keys(usage).sort(), ['maxRssBytes', 'systemCpuMs', 'userCpuMs']);
    assert.ok(usage.maxRssBytes! > 0 && usage.userCpuMs! >= 0 && usage.systemCpuMs! >= 0, JSON.stringify(usage));
    assert.equal(byLine.get(2)!.exitCode, 3);
    assert.deepEqual([byLine.get(4)!.exitCode, byLine.get(4)!.signal], [143, 'SIGTERM']);
    assert.equal(byLine.get(6)!.timedOut, true);
    assert.ok((byLine.get(6)!.durationMs as number) >= 1400, `timed out after ${byLine.get(6)!.durationMs} ms`);
    assert.equal(byLine.get(7)!.exitCode, 0);
    for (const line of [5, 8, 9]) {
      assert.equal(byLine.get(line)!.exitCode, null);
      assert.equal(typeof byLine.get(line)!.error, 'string');
    }
    assert.equal(byLine.get(5)!.id, null);
    assert.match(byLine.get(9)!.error as string, /duplicate id "ok" \(first on line 1\)/);
    assert.equal(byLine.get(10)!.exitCode, null);
    assert.match(byLine.get(10)!.error as string, /ENOENT/);

    assert.match(r.stderr, /^execdriver batch: line 5: not valid JSON/m);
    assert.match(r.stderr, /^execdriver batch: line 8: .*entrypoint/m);
    assert.match(r.stderr, /^execdriver batch: line 9: duplicate id/m);
    assert.match(r.stderr, /^execdriver batch: line 10 \(id "missing"\): .*ENOENT/m);
    const summary = SUMMARY.exec(r.stderr);
    assert.ok(summary, r.stderr);
    // ran: ok exit3 term slow env missing; failed: exit3 term slow missing; timed out: slow; malformed: 5 8 9
    assert.deepEqual(summary.slice(1, 5), ['6', '4', '1', '3']);
    assert.deepEqual(liveProcessesWith(`303.${mark}`), []);
  });

  it('exits 0 when every job exited 0, reading standard input ("-" or no FILE)', async () => {
    const input = job({ id: 'a', entrypoint: 'true' }) + job({ id: 'b', entrypoint: 'sh', arguments: ['-c', 'exit 0'] });
    for (const args of [['batch', '-'], ['batch']]) {
      const r = await execdriver(args, { input });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(ndjson(r.stdout).map((rec) => rec.id).sort(), ['a', 'b']);
      assert.deepEqual(SUMMARY.exec(r.stderr)?.slice(1, 5), ['2', '0', '0', undefined]);
    }
  });

  it('writes the results to --out, and nothing to stdout', async () => {
    const out = join(dir.path, 'results.ndjson');
    writeFileSync(out, 'stale content that must be replaced\n');
    const input = job({ id: 'x', entrypoint: 'true' }) + job({ id: 'y', entrypoint: 'false' });
    const r = await execdriver(['batch', '--out', out], { input });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    const records = ndjson(readFileSync(out, 'utf8'));
    assert.deepEqual(records.map((rec) => [rec.id, rec.exitCode]).sort(), [['x', 0], ['y', 1]]);
    assert.match(r.stderr, SUMMARY);
  });

  it('keeps each job\'s output in --logs DIR', async () => {
    const logs = join(dir.path, 'logs', 'nested');
    const input = job({ id: 'talk', entrypoint: 'sh', arguments: ['-c', 'echo out; echo err >&2'] });
    const r = await execdriver(['batch', '--logs', logs], { input });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(logs, 'talk.out'), 'utf8'), 'out\n');
    assert.equal(readFileSync(join(logs, 'talk.err'), 'utf8'), 'err\n');
  });

  it('runs no more than --concurrency jobs at once', async () => {
    // Each job holds a lock file while it runs; a second holder at the same time would find it.
    const lock = join(dir.path, 'lock');
    const script = `if [ -e ${lock} ]; then exit 9; fi; : > ${lock}; sleep 0.2; rm ${lock}`;
    const input = [1, 2, 3, 4].map((n) => job({ id: `c${n}`, entrypoint: 'sh', arguments: ['-c', script] })).join('');
    const r = await execdriver(['batch', '--concurrency', '1'], { input });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(existsSync(lock), false);
  });

  it('reports an empty input as an empty run', async () => {
    const r = await execdriver(['batch'], { input: '\n\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(SUMMARY.exec(r.stderr)?.slice(1, 4), ['0', '0', '0']);
  });

  it('refuses an unreadable FILE or --out before running anything (status 2)', async () => {
    const missing = await execdriver(['batch', join(dir.path, 'nope.ndjson')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read FILE ".*nope\.ndjson": ENOENT/);
    const out = await execdriver(['batch', mixed, '--out', join(dir.path, 'no-dir', 'r.ndjson')]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /cannot open --out ".*no-dir\/r\.ndjson": ENOENT/);
    assert.deepEqual(liveProcessesWith(`303.${mark}`), []);
  });
});
