import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, ErrNotRunning, ErrWaitTimeoutReached } from '../src/index.js';
import { readFileSync } from 'node:fs';
import { alive, fixture, proc, supervisor, tmpfile, until } from './helpers.js';

/** Starts a command and resolves once it has printed its first line (a fixture's "I am ready"). */
async function startAndRead(s: ReturnType<typeof supervisor>, command: Command, options = {}) {
  let firstLine = '';
  const { file, dir } = tmpfile();
  const exit = s.run(command, undefined, { stdout: { file }, ...options });
  await until(async () => {
    try {
      firstLine = readFileSync(file, 'utf8').split('\n')[0] ?? '';
    } catch {
      // not created yet
    }
    return firstLine !== '';
  }, 5000, `first line of ${command.entrypoint}`);
  await until(() => s.info(command.id).isRunning());
  return { exit, firstLine, dir };
}

describe('kill', () => {
  it('sends a signal by name or number to the whole process group', async () => {
    const s = supervisor();
    const a = new Command({ entrypoint: fixture('spawn-grandchild') });
    const { exit, firstLine } = await startAndRead(s, a);
    const grandchild = Number(firstLine);
    assert.ok(alive(grandchild));
    assert.equal(proc(grandchild)!.pgid, a.pid(), 'the grandchild is in the command\'s group');
    await s.kill(a, 'SIGTERM');
    const r = await exit;
    assert.equal(r.exitCode, 143);
    await until(() => !alive(grandchild), 2000, 'grandchild to die');

    const b = new Command({ entrypoint: fixture('forever') });
    const run = s.run(b);
    await until(() => s.info(b.id).isRunning());
    await s.kill(b, 9);
    assert.equal((await run).signal, 'SIGKILL');
  });

  it('rejects ErrNotRunning for a command that is not running, and a bad signal with a TypeError', async () => {
    const s = supervisor();
    const c = new Command({ entrypoint: 'true' });
    await assert.rejects(s.kill(c, 'SIGTERM'), ErrNotRunning);
    await s.run(c);
    await assert.rejects(s.kill(c, 'SIGTERM'), ErrNotRunning);
    await assert.rejects(s.kill(c, 'SIGBOGUS'), /`SIGBOGUS`|"SIGBOGUS"/);
    await assert.rejects(s.kill(c, 999), TypeError);
  });

  it('kills the leftovers of a group when its leader exits', async () => {
    const s = supervisor();
    const r = await s.run(new Command({ entrypoint: 'sh', arguments: ['-c', 'sleep 100000 & echo $!'] }));
    const leftover = Number(r.stdout);
    await until(() => !alive(leftover), 2000, 'leftover sleep to die');
  });
});

describe('timeout', () => {
  it('kills the tree, and a grandchild holding stdout cannot keep the run pending', async () => {
    const s = supervisor({ killGraceMs: 500 });
    const started = Date.now();
    await assert.rejects(
      s.run(new Command({ entrypoint: 'sh', arguments: ['-c', 'sleep 30 & sleep 30'] }), undefined, { timeout: 300 }),
      (e: ErrWaitTimeoutReached) => {
        assert.ok(e instanceof ErrWaitTimeoutReached);
        assert.match(e.message, /^Wait timeout reached/);
        assert.equal(e.result?.timedOut, true);
        assert.equal(e.result?.signal, 'SIGTERM');
        assert.equal(e.result?.exitCode, 143);
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000, 'not held by the grandchild for 30 s');
  });

  it('escalates to SIGKILL after killGraceMs when killSignal is not enough', async () => {
    const s = supervisor();
    const started = Date.now();
    await assert.rejects(
      s.run(new Command({ entrypoint: fixture('ignore-sigterm') }), undefined, { timeout: 300, killGraceMs: 300 }),
      (e: ErrWaitTimeoutReached) => e.result?.signal === 'SIGKILL' && e.result.exitCode === 137,
    );
    assert.ok(Date.now() - started >= 550);
  });

  it('uses the given killSignal', async () => {
    await assert.rejects(
      supervisor().run(new Command({ entrypoint: fixture('forever') }), undefined, { timeout: 200, killSignal: 'SIGINT' }),
      (e: ErrWaitTimeoutReached) => e.result?.signal === 'SIGINT' && e.result.exitCode === 130,
    );
  });
});

describe('wait, info and getPidsForContainer', () => {
  it('waits for the result, and times out without killing', async () => {
    const s = supervisor();
    const c = new Command({ id: 'waited', entrypoint: 'sh', arguments: ['-c', 'sleep 0.5; exit 4'] });
    const run = s.run(c);
    await until(() => s.info('waited').isRunning());
    await assert.rejects(s.wait('waited', 50), ErrWaitTimeoutReached);
    assert.equal(s.info('waited').isRunning(), true);
    const waited = await s.wait('waited', 10_000);
    assert.equal(waited.exitCode, 4);
    assert.deepEqual(await run, waited);
    await assert.rejects(s.wait('waited'), ErrNotRunning);
    await assert.rejects(s.wait('nobody'), ErrNotRunning);
  });

  it('info reports whether the command runs', async () => {
    const s = supervisor();
    const c = new Command({ entrypoint: fixture('forever') });
    assert.equal(s.info(c.id).isRunning(), false);
    const run = s.run(c);
    await until(() => s.info(c.id).isRunning());
    await s.kill(c, 'SIGKILL');
    await run;
    assert.equal(s.info(c.id).isRunning(), false);
  });

  it('lists every live pid of the tree, including a grandchild that left the group', async () => {
    const s = supervisor();
    const c = new Command({ entrypoint: fixture('setsid-grandchild') });
    const { exit, firstLine } = await startAndRead(s, c);
    const pids = await s.getPidsForContainer(c.id);
    assert.ok(pids.includes(c.pid()));
    assert.ok(pids.includes(Number(firstLine)), `${pids} includes the setsid grandchild ${firstLine}`);
    await s.kill(c, 'SIGKILL');
    await exit;
    assert.equal(alive(Number(firstLine)), false, 'the setsid grandchild died with the command');
    await assert.rejects(s.getPidsForContainer(c.id), ErrNotRunning);
  });
});
