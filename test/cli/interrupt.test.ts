/**
 * Ctrl-C in the middle of a batch: dispatching stops, the running jobs are killed, the finished jobs'
 * results are still written, the bin exits 130, and /proc shows that nothing of the batch survives.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { binTestFile, catchesSighup, job, liveProcessesWith, liveProcessesWithArg, ndjson, start, waitFor } from './bin.js';

const { mark, dir } = binTestFile();

function lines(path: string): Record<string, unknown>[] {
  try {
    return ndjson(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

describe('execdriver batch, interrupted', () => {
  it('on SIGINT writes the finished jobs\' results, kills the running ones, starts no more, exits 130', async () => {
    const out = join(dir.path, 'sigint.ndjson');
    const sleep = `304.${mark}`;
    const input = ['q1', 'q2', 'q3'].map((id) => job({ id, entrypoint: 'true' })).join('') +
      ['s1', 's2', 's3', 's4', 's5'].map((id) => job({ id, entrypoint: 'sleep', arguments: [sleep] })).join('');
    const bin = start(['batch', '--concurrency', '2', '--out', out], { input });
    await waitFor('the quick jobs\' results', () => lines(out).length === 3);
    await waitFor('two sleeps running', () => liveProcessesWithArg(sleep).length === 2);
    bin.child.kill('SIGINT');
    const r = await bin.done;

    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(liveProcessesWith(sleep), [], 'a job of the batch survived it');
    const records = lines(out);
    const quick = records.filter((rec) => String(rec.id).startsWith('q'));
    assert.deepEqual(quick.map((rec) => [rec.id, rec.exitCode, rec.interrupted]).sort(),
      [['q1', 0, undefined], ['q2', 0, undefined], ['q3', 0, undefined]]);
    const killed = records.filter((rec) => String(rec.id).startsWith('s'));
    assert.equal(killed.length, 2, JSON.stringify(records));
    for (const rec of killed) {
      assert.deepEqual([rec.interrupted, rec.signal, rec.exitCode, rec.timedOut], [true, 'SIGTERM', 143, false]);
    }
    assert.match(r.stderr, /^execdriver batch: SIGINT: not starting 3 job\(s\), killing 2/m);
    assert.match(r.stderr, /^execdriver batch: ran 5, failed 0, timed out 0, wall .*; interrupted by SIGINT: 2 killed, 3 not started$/m);
  });

  it('a second SIGINT SIGKILLs jobs that ignore SIGTERM, without waiting for the kill grace', { timeout: 180_000 }, async () => {
    const sleep = `305.${mark}`;
    const input = ['t1', 't2'].map((id) => job({ id, entrypoint: 'sh', arguments: ['-c', `trap '' TERM; sleep ${sleep}`] })).join('');
    const bin = start(['batch', '--concurrency', '2', '--kill-grace', '600000'], { input });
    await waitFor('two sleeps running', () => liveProcessesWithArg(sleep).length === 2);
    bin.child.kill('SIGINT');
    await waitFor('the first interrupt to be handled', () => bin.stderr().includes('not starting 0 job(s), killing 2'));
    assert.equal(liveProcessesWithArg(sleep).length, 2, 'SIGTERM is ignored: they should still run');
    bin.child.kill('SIGINT');
    const r = await bin.done;
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(liveProcessesWith(sleep), []);
    const records = ndjson(r.stdout);
    assert.deepEqual(records.map((rec) => [rec.signal, rec.interrupted]), [['SIGKILL', true], ['SIGKILL', true]]);
    assert.ok(r.ms < 120_000, `took ${r.ms} ms: waited for the 600 s kill grace?`);
  });

  it('SIGTERM interrupts as SIGINT does and exits 143', async () => {
    const sleep = `306.${mark}`;
    const bin = start(['batch'], { input: job({ id: 'long', entrypoint: 'sleep', arguments: [sleep] }) });
    await waitFor('the sleep running', () => liveProcessesWithArg(sleep).length === 1);
    bin.child.kill('SIGTERM');
    const r = await bin.done;
    assert.equal(r.code, 143, r.stderr);
    assert.deepEqual(liveProcessesWith(sleep), []);
    assert.deepEqual(ndjson(r.stdout).map((rec) => [rec.id, rec.interrupted]), [['long', true]]);
    assert.match(r.stderr, /interrupted by SIGTERM: 1 killed, 0 not started$/m);
  });

  it('SIGINT while the input is still being read: nothing runs, exits 130', async () => {
    const bin = start(['batch', '-'], { input: job({ id: 'never', entrypoint: 'true' }), keepStdin: true });
    await waitFor('the signal handlers', () => catchesSighup(bin.child.pid!));
    bin.child.kill('SIGINT');
    const r = await bin.done;
    assert.equal(r.code, 130, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /ran 0, failed 0, timed out 0, .*; interrupted by SIGINT: 0 killed, 0 not started$/m);
  });
});
