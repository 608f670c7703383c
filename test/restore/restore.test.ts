import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command, ErrNotRunning, type ExecDriverError, type ExitResult } from '../../src/index.js';
import { alive, killIfSame, onCleanup, proc, supervisor, tempDir, until } from '../shim/helpers.js';
import { host } from './helpers.js';

const cmd = (id: string) => new Command({ id, entrypoint: 'sh' });

/** A FIFO: commands `read _ < fifo` block (at no CPU cost) until release() opens and closes it. */
function gate(dir: string) {
  const fifo = join(dir, 'gate');
  execFileSync('mkfifo', [fifo]);
  return {
    wait: `read _ < ${fifo}`,
    release: () => closeSync(openSync(fifo, 'w')),
  };
}

describe('restore after the supervisor was SIGKILLed', () => {
  it('gives the real exit code of a command that ended while no supervisor was alive', async () => {
    const stateDir = tempDir();
    const g = gate(stateDir);
    const h = await host(stateDir, [{ id: 'job', script: `${g.wait}; exit 42` }]);
    await h.kill();
    const pid = h.pidOf('job');
    assert.ok(alive(pid), 'the command survived its supervisor');
    g.release();
    await until(() => !alive(pid), 15_000, 'the command to end');
    const r = await supervisor({ stateDir }).restore(cmd('job'));
    assert.equal(r.exitCode, 42);
    assert.equal(r.signal, null);
    assert.equal(r.pid, pid);
    assert.ok(r.usage, 'usage comes from the exit file');
    assert.equal(r.exitUnknown, undefined);
  });

  it('re-attaches to a running command and resolves with its real code when it ends', async () => {
    const stateDir = tempDir();
    const g = gate(stateDir);
    const h = await host(stateDir, [{ id: 'job', script: `${g.wait}; exit 9` }]);
    await h.kill();
    const s = supervisor({ stateDir, pollIntervalMs: 50 });
    const c = cmd('job');
    const restored = s.restore(c);
    assert.equal(c.pid(), h.pidOf('job'), 'command.pid() is the command itself');
    assert.ok(s.info('job').isRunning());
    assert.ok((await s.getPidsForContainer('job')).includes(h.pidOf('job')));
    const waited = s.wait('job');
    g.release();
    const [r, w] = await Promise.all([restored, waited]);
    assert.equal(r.exitCode, 9);
    assert.deepEqual(w, r);
    assert.equal(s.info('job').isRunning(), false);
    assert.equal(c.pid(), -1);
  });

  for (const [signal, number] of [['TERM', 15], ['INT', 2], ['HUP', 1], ['KILL', 9]] as const) {
    it(`records a death by SIG${signal} sent from outside while no supervisor was alive`, async () => {
      const stateDir = tempDir();
      const h = await host(stateDir, [{ id: 'job', script: 'exec sleep 1000' }]);
      await h.kill();
      const pid = h.pidOf('job');
      process.kill(pid, `SIG${signal}`);
      await until(() => !alive(pid), 15_000, 'the command to die');
      const r = await supervisor({ stateDir }).restore(cmd('job'));
      assert.equal(r.exitCode, 128 + number);
      assert.equal(r.signal, `SIG${signal}`);
    });
  }

  it('kills and waits a restored command', async () => {
    const stateDir = tempDir();
    const h = await host(stateDir, [{ id: 'job', script: 'sleep 1000; exit 3' }]);
    await h.kill();
    const s = supervisor({ stateDir, pollIntervalMs: 50 });
    const c = cmd('job');
    const restored = s.restore(c);
    const tree = await s.getPidsForContainer('job');
    assert.ok(tree.length >= 2, `sh and its sleep: ${tree}`);
    await s.kill(c, 'SIGTERM');
    const r = await s.wait('job', 30_000);
    assert.equal(r.exitCode, 143);
    assert.equal(r.signal, 'SIGTERM');
    assert.deepEqual(await restored, r);
    for (const pid of tree) await until(() => !alive(pid), 10_000, `pid ${pid} to be gone`);
    await assert.rejects(s.kill(c), ErrNotRunning);
  });

  it('restores 200 orphaned commands at once, each with its own exit code', async () => {
    const stateDir = tempDir();
    const g = gate(stateDir);
    const commands = Array.from({ length: 200 }, (_, i) => ({ id: `job-${i}`, script: `${g.wait}; exit ${i % 256}` }));
    const h = await host(stateDir, commands);
    await h.kill();
    const s = supervisor({ stateDir, pollIntervalMs: 50 });
    const results = new Map<string, ExitResult>();
    s.on('exit', (c, r) => results.set(c.id, r));
    const ids = await s.restoreAll();
    assert.equal(ids.length, 200);
    for (const { id } of commands) assert.ok(s.info(id).isRunning(), `${id} is watched`);
    const all = Promise.all(ids.map((id) => s.wait(id, 120_000)));
    g.release();
    const rs = await all;
    for (const [i, r] of rs.entries()) {
      assert.equal(r.id, ids[i]);
      assert.equal(r.exitCode, Number(ids[i]!.slice(4)) % 256, `${r.id}: ${JSON.stringify(r)}`);
    }
    assert.equal(results.size, 200);
  });

  it('resolves at once with the recorded result of a command that ended under its supervisor', async () => {
    const stateDir = tempDir();
    const s1 = supervisor({ stateDir });
    const r1 = await s1.run(new Command({ id: 'done', entrypoint: 'sh', arguments: ['-c', 'exit 5'] }), undefined, { restorable: true });
    await s1.close();
    const r2 = await supervisor({ stateDir }).restore(cmd('done'));
    assert.equal(r2.exitCode, 5);
    assert.equal(r2.pid, r1.pid);
  });

  it('rejects ErrNotRunning when there is no state for the id', async () => {
    await assert.rejects(supervisor({ stateDir: tempDir() }).restore(cmd('nothing')), ErrNotRunning);
  });
});

describe('restorable runs under a live supervisor', () => {
  it('writes the entry (pid, start time) before the start callback fires', async () => {
    const stateDir = tempDir();
    const s = supervisor({ stateDir });
    let seen: any;
    const r = await s.run(new Command({ id: 'cb', entrypoint: 'sh', arguments: ['-c', 'exit 1'] }), (c) => {
      seen = { ...JSON.parse(readFileSync(join(stateDir, 'entries', 'cb.json'), 'utf8')), expect: c.pid() };
    }, { restorable: true });
    assert.equal(seen.status, 'running');
    assert.equal(seen.pid, seen.expect);
    assert.equal(seen.startTime, proc(seen.pid)?.startTime ?? seen.startTime);
    assert.equal(r.exitCode, 1);
    assert.ok(r.usage);
  });

  it("refuses 'buffer' stdio and defaults to 'ignore'", async () => {
    const s = supervisor({ stateDir: tempDir() });
    await assert.rejects(s.run(new Command({ entrypoint: 'true' }), undefined, { restorable: true, stdout: 'buffer' }),
      /`stdout` option of a restorable run/);
    const r = await s.run(new Command({ entrypoint: 'echo', arguments: ['hi'] }), undefined, { restorable: true });
    assert.equal(r.stdout, undefined);
    assert.equal(r.exitCode, 0);
  });

  it('writes to files', async () => {
    const dir = tempDir();
    const file = join(dir, 'out');
    await supervisor({ stateDir: dir }).run(new Command({ entrypoint: 'echo', arguments: ['hello'] }), undefined, { restorable: true, stdout: { file } });
    assert.equal(readFileSync(file, 'utf8'), 'hello\n');
  });

  it('close() detaches instead of killing; a new supervisor restores it', async () => {
    const stateDir = tempDir();
    const s1 = supervisor({ stateDir });
    let pid = -1;
    const run = s1.run(new Command({ id: 'detached', entrypoint: 'sleep', arguments: ['1000'] }), (c) => (pid = c.pid()), { restorable: true });
    await until(() => pid > 0);
    const start = proc(pid)!.startTime;
    onCleanup(() => killIfSame(pid, start));
    await s1.close();
    await assert.rejects(run, (e: ExecDriverError) => e.code === 'ERR_DETACHED');
    assert.ok(alive(pid), 'still running after close()');
    const s2 = supervisor({ stateDir, pollIntervalMs: 50 });
    const restored = s2.restore(cmd('detached'));
    await s2.kill(cmd('detached'), 'SIGKILL');
    const r = await restored;
    assert.equal(r.exitCode, 137);
  });

  for (const mode of ['exit', 'sigterm'] as const) {
    it(`the exit hook leaves restorable commands alone (${mode})`, async () => {
      const stateDir = tempDir();
      const h = await host(stateDir, [{ id: 'survivor', script: 'exec sleep 1000' }], mode);
      await h.exited;
      const pid = h.pidOf('survivor');
      assert.ok(alive(pid), 'the command survived its supervisor');
      const s = supervisor({ stateDir, pollIntervalMs: 50 });
      const restored = s.restore(cmd('survivor'));
      await s.kill(cmd('survivor'), 'SIGTERM');
      assert.equal((await restored).exitCode, 143);
    });
  }

  it('refuses to run an id whose recorded process still runs', async () => {
    const stateDir = tempDir();
    const h = await host(stateDir, [{ id: 'busy', script: 'exec sleep 1000' }]);
    await h.kill();
    await assert.rejects(supervisor({ stateDir }).run(new Command({ id: 'busy', entrypoint: 'true' }), undefined, { restorable: true }),
      (e: ExecDriverError) => e.code === 'ERR_ALREADY_RUNNING');
    assert.ok(alive(h.pidOf('busy')));
  });
});
