import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command, type ExecDriverError } from '../../src/index.js';
import { defaultStateDir, prepareStateDir } from '../../src/state/dir.js';
import { alive, onCleanup, proc, supervisor, tempDir, until } from '../shim/helpers.js';

const cmd = (id: string) => new Command({ id, entrypoint: 'sh' });

function entry(id: string, pid: number | null, startTime: number | null, extra: object = {}) {
  return {
    version: 1, id, command: new Command({ id, entrypoint: 'sleep', arguments: ['1000'] }).toJSON(), status: 'running',
    pid, startTime, createdAtMs: Date.now(), startedAtMs: Date.now(), owner: { pid: 1, startTime: 0 }, result: null, ...extra,
  };
}

function writeEntry(stateDir: string, id: string, value: unknown) {
  mkdirSync(join(stateDir, 'entries'), { recursive: true });
  writeFileSync(join(stateDir, 'entries', `${id}.json`), typeof value === 'string' ? value : JSON.stringify(value));
}

/** A sleeping child of this test process, killed after the test. */
async function victim(): Promise<{ pid: number; startTime: number }> {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  await until(() => proc(child.pid!) !== undefined);
  return { pid: child.pid!, startTime: proc(child.pid!)!.startTime };
}

describe('state entries', () => {
  it('never signals a pid whose start time differs from the recorded one', async () => {
    const stateDir = tempDir();
    const v = await victim();
    writeEntry(stateDir, 'forged', entry('forged', v.pid, v.startTime + 1));
    const s = supervisor({ stateDir });
    const r = await s.restore(cmd('forged'));
    assert.equal(r.exitUnknown, true);
    assert.equal(r.exitCode, -1);
    assert.equal(r.signal, null);
    assert.equal(r.pid, v.pid);
    await assert.rejects(s.kill(cmd('forged'), 'SIGKILL'));
    assert.ok(alive(v.pid), 'the other process was not signalled');
    // Entries of ended commands go with prune(); the forged one has ended as far as we can tell.
    assert.deepEqual(await s.prune(), ['forged']);
    assert.ok(alive(v.pid));
  });

  it('leaves alone an entry that a live supervisor is still starting (no pid yet)', async () => {
    const stateDir = tempDir();
    const v = await victim(); // stands for the owning supervisor: alive, with its start time
    writeEntry(stateDir, 'starting', entry('starting', null, null, { status: 'starting', startedAtMs: null, owner: v }));
    const s = supervisor({ stateDir });
    await assert.rejects(s.restore(cmd('starting')), /still being started by the supervisor of pid/);
    assert.deepEqual(await s.restoreAll(), []);
    assert.deepEqual(await s.prune(), []);
    assert.equal(JSON.parse(readFileSync(join(stateDir, 'entries', 'starting.json'), 'utf8')).status, 'starting', 'not marked ended');
    // Once its owner is gone without having started it, the exit is unknown.
    process.kill(v.pid, 'SIGKILL');
    await until(() => !alive(v.pid));
    const r = await s.restore(cmd('starting'));
    assert.equal(r.exitUnknown, true);
  });

  it('re-attaches to a live pid with the recorded start time (a restored process is signalled)', async () => {
    const stateDir = tempDir();
    const v = await victim();
    writeEntry(stateDir, 'mine', entry('mine', v.pid, v.startTime));
    const s = supervisor({ stateDir, pollIntervalMs: 50, livenessMs: 200 });
    const restored = s.restore(cmd('mine'));
    assert.ok(s.info('mine').isRunning());
    await s.kill(cmd('mine'), 'SIGKILL');
    // No shim recorded its exit: once it is gone, the exit is unknown (and marked so).
    const r = await restored;
    assert.equal(r.exitUnknown, true);
  });

  it('reports a corrupt entry for its id only, and leaves it in place', async () => {
    const stateDir = tempDir();
    writeEntry(stateDir, 'broken', '{"version":1,"id":"bro');
    writeEntry(stateDir, 'badpid', entry('badpid', -5, 1));
    writeEntry(stateDir, 'ok', entry('ok', null, null, { status: 'exited', result: { id: 'ok', pid: 7, exitCode: 4, signal: null, timedOut: false, durationMs: 1 } }));
    const s = supervisor({ stateDir });
    const errors = new Map<string, ExecDriverError>();
    s.on('stateError', (id, e) => errors.set(id, e));
    await assert.rejects(s.restore(cmd('broken')), (e: ExecDriverError) => {
      assert.equal(e.code, 'ERR_STATE_CORRUPT');
      assert.match(e.message, /broken/);
      assert.match(e.message, /not JSON/);
      return true;
    });
    await assert.rejects(s.restore(cmd('badpid')), /`pid` is `-5`/);
    assert.deepEqual(await s.restoreAll(), ['ok']);
    assert.deepEqual([...errors.keys()].sort(), ['badpid', 'broken']);
    assert.equal((await s.restore(cmd('ok'))).exitCode, 4);
    assert.deepEqual(await s.prune(), ['ok']);
    assert.deepEqual(readdirSync(join(stateDir, 'entries')).sort(), ['badpid.json', 'broken.json']);
  });

  it('creates the state dir mode 0700, entries 0600, and tightens a looser existing dir', async () => {
    const base = tempDir();
    const fresh = join(base, 'a', 'b', 'state');
    await supervisor({ stateDir: fresh }).run(new Command({ id: 'x', entrypoint: 'true' }), undefined, { restorable: true });
    assert.equal(statSync(fresh).mode & 0o777, 0o700);
    assert.equal(statSync(join(fresh, 'entries')).mode & 0o777, 0o700);
    assert.equal(statSync(join(fresh, 'entries', 'x.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(fresh, 'exits', 'x.json')).mode & 0o777, 0o600);
    const loose = join(base, 'loose');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    prepareStateDir(loose);
    assert.equal(statSync(loose).mode & 0o777, 0o700);
    const file = join(base, 'file');
    writeFileSync(file, '');
    assert.throws(() => prepareStateDir(file), (e: ExecDriverError) => e.code === 'ERR_STATE_DIR');
  });

  it('validates the options before anything is spawned, naming them', async () => {
    assert.throws(() => supervisor({ pollIntervalMs: 0 }), /`pollIntervalMs` option to be a positive integer, got `0`/);
    assert.throws(() => supervisor({ stateDir: '' }), /`stateDir` option/);
    await assert.rejects(supervisor({ stateDir: tempDir() }).run(new Command({ entrypoint: 'true' }), undefined, { restorable: 'yes' as never }),
      /`restorable` option to be a boolean, got `"yes"`/);
  });

  it('refuses a restorable run with resources (its cgroup would die with the supervisor), spawning nothing', async () => {
    const stateDir = tempDir();
    const command = new Command({ id: 'limited', entrypoint: 'true', resources: { memory: 64 * 2 ** 20 } });
    await assert.rejects(supervisor({ stateDir }).run(command, undefined, { restorable: true }), (e: ExecDriverError) => {
      // Where cgroups cannot be made at all, the driver refuses first, with its own error.
      assert.ok(e.code === 'ERR_RESTORABLE_RESOURCES' || /cgroup/i.test(e.message), `${e.code}: ${e.message}`);
      return true;
    });
    const entries = join(stateDir, 'entries');
    assert.deepEqual(existsSync(entries) ? readdirSync(entries).filter((n) => n.startsWith('limited')) : [], []);
  });

  it('defaults to $XDG_STATE_HOME/execdriver, else ~/.local/state/execdriver', () => {
    assert.equal(defaultStateDir({ XDG_STATE_HOME: '/x/state' }), '/x/state/execdriver');
    assert.match(defaultStateDir({ XDG_STATE_HOME: 'relative' }), /\/\.local\/state\/execdriver$/);
    assert.match(defaultStateDir({}), /\/\.local\/state\/execdriver$/);
  });

  it('removes the entry of a command that could not start', async () => {
    const stateDir = tempDir();
    await assert.rejects(supervisor({ stateDir }).run(new Command({ id: 'nope', entrypoint: 'no-such-program-x' }), undefined, { restorable: true }));
    assert.deepEqual(readdirSync(join(stateDir, 'entries')), []);
  });

  it('keeps the entry as JSON holding the seed, pid, start time, status and result', async () => {
    const stateDir = tempDir();
    const r = await supervisor({ stateDir }).run(new Command({ id: 'j', entrypoint: 'sh', arguments: ['-c', 'exit 3'] }), undefined, { restorable: true });
    const e = JSON.parse(readFileSync(join(stateDir, 'entries', 'j.json'), 'utf8'));
    assert.equal(e.status, 'exited');
    assert.equal(e.pid, r.pid);
    assert.ok(e.startTime > 0);
    assert.deepEqual(Command.fromJSON(e.command).toJSON(), e.command);
    assert.equal(e.result.exitCode, 3);
  });
});
