import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command } from '../../src/index.js';
import { median, supervisor, timeOf } from './helpers.js';

const noTime = !existsSync('/usr/bin/time') && 'GNU time(1) is not installed at /usr/bin/time';
const BUSY = ['-c', 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'];

describe('durationMs (the shim\'s clock)', () => {
  it('is the command\'s own wall time, not when the worker noticed its exit', async () => {
    const s = supervisor({ maxWorkers: 1 });
    const slept = await s.run(new Command({ entrypoint: 'sleep', arguments: ['0.3'] }));
    assert.ok(slept.durationMs >= 300 && slept.durationMs < 3000, `sleep 0.3 took ${slept.durationMs} ms`);
    // 200 runs on one worker at once: the worker is busy spawning while the first ones exit, so what it
    // notices is late by up to the whole burst; the shim's fork-to-exit clock is not.
    const burst = await Promise.all(Array.from({ length: 200 }, () =>
      s.run(new Command({ entrypoint: 'true' }), undefined, { stdout: 'ignore', stderr: 'ignore' })));
    const took = median(burst.map((r) => r.durationMs));
    assert.ok(took < 100, `median durationMs of /bin/true in a burst of 200: ${took} ms`);
  });
});

describe('usage (from the shim)', () => {
  it('reports the CPU of a busy child within 10% of time(1) (medians of 5 interleaved runs)', { skip: noTime }, async () => {
    const s = supervisor();
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await s.run(new Command({ entrypoint: 'sh', arguments: BUSY }), undefined, { stdout: 'ignore', stderr: 'ignore' });
      assert.ok(r.usage, 'usage is reported');
      ours.push(r.usage.userCpuMs + r.usage.systemCpuMs);
      theirs.push(timeOf('sh', BUSY).cpuMs);
    }
    const a = median(ours);
    const b = median(theirs);
    assert.ok(b > 50, `the busy loop takes measurable CPU (time(1): ${b} ms)`);
    assert.ok(Math.abs(a - b) <= 0.1 * b, `usage ${a.toFixed(1)} ms vs time(1) ${b.toFixed(1)} ms (runs: ${ours} / ${theirs})`);
  });

  for (const [name, file, args] of [
    ['dd (64 MiB buffer)', 'dd', ['if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=2']],
    ['node (96 MiB Buffer)', process.execPath, ['-e', 'Buffer.alloc(96 * 2 ** 20, 1)']],
  ] as const) {
    it(`reports the max RSS of ${name} within 20% of time(1)`, { skip: noTime }, async () => {
      const r = await supervisor().run(new Command({ entrypoint: file, arguments: [...args] }), undefined, { stdout: 'ignore', stderr: 'ignore' });
      assert.equal(r.exitCode, 0);
      assert.ok(r.usage);
      const t = timeOf(file, [...args]);
      assert.ok(t.maxRssBytes > 60 * 2 ** 20, `time(1) sees the touched memory (${t.maxRssBytes})`);
      const ratio = r.usage.maxRssBytes / t.maxRssBytes;
      assert.ok(ratio > 0.8 && ratio < 1.2, `maxRss ${r.usage.maxRssBytes} vs time(1) ${t.maxRssBytes}`);
    });
  }

  it("does not inflate a small child's max RSS with the supervisor's own", async () => {
    const r = await supervisor().run(new Command({ entrypoint: '/bin/true' }), undefined, { stdout: 'ignore', stderr: 'ignore' });
    assert.ok(r.usage);
    const self = process.memoryUsage().rss;
    assert.ok(self > 30 * 2 ** 20, `this node process is large (${self})`);
    assert.ok(r.usage.maxRssBytes < 16 * 2 ** 20, `/bin/true reported ${r.usage.maxRssBytes} bytes (node: ${self})`);
  });

  it("counts the whole tree's CPU, children included", async () => {
    const r = await supervisor().run(
      new Command({ entrypoint: 'sh', arguments: ['-c', `sh ${BUSY.map((a) => `'${a}'`).join(' ')}; true`] }),
      undefined, { stdout: 'ignore', stderr: 'ignore' });
    assert.ok(r.usage && r.usage.userCpuMs + r.usage.systemCpuMs > 50, JSON.stringify(r.usage));
  });
});
