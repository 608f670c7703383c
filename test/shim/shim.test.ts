import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { Command, ErrNotRunning, type ExecDriverError } from '../../src/index.js';
import { shimPath } from '../../src/paths.js';
import { requireShim } from '../../src/shim.js';
import { alive, childrenOf, proc, supervisor, until } from './helpers.js';

const sh = (script: string) => new Command({ entrypoint: 'sh', arguments: ['-c', script] });

describe('runs through the execdriver-shim', () => {
  it('gives command.pid() as the command itself, which leads its own group', async () => {
    const s = supervisor();
    let seen: { pid: number; pgid: number; parent: string } | undefined;
    const r = await s.run(sh('sleep 0.3'), (c) => {
      const p = proc(c.pid())!;
      seen = { pid: c.pid(), pgid: p.pgid, parent: String(proc(p.ppid)?.pid) };
    });
    assert.ok(seen);
    assert.equal(seen.pgid, seen.pid, 'the command leads its process group');
    assert.notEqual(Number(seen.parent), process.pid, "the shim is the command's parent");
    assert.equal(r.pid, seen.pid);
    assert.equal(r.exitCode, 0);
  });

  it('rejects ErrNotRunning with code ENOENT when the file does not exist', async () => {
    await assert.rejects(supervisor().run(new Command({ entrypoint: 'no-such-program-here' })), (error: ExecDriverError) => {
      assert.ok(error instanceof ErrNotRunning);
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
      assert.match(error.message, /no-such-program-here/);
      return true;
    });
  });

  it('rejects ErrNotRunning with code EACCES for a file that is not executable', async () => {
    await assert.rejects(supervisor().run(new Command({ entrypoint: '/etc/passwd' })), (error: ExecDriverError) => {
      assert.ok(error instanceof ErrNotRunning);
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'EACCES');
      return true;
    });
  });

  for (const [signal, number] of [['TERM', 15], ['KILL', 9], ['INT', 2], ['SEGV', 11]] as const) {
    it(`reports a death by SIG${signal} as ${128 + number}`, async () => {
      const r = await supervisor().run(sh(`kill -${signal} $$`));
      assert.equal(r.exitCode, 128 + number);
      assert.equal(r.signal, `SIG${signal}`);
      assert.ok(r.usage);
    });
  }

  it('gives the command every signal disposition default and an empty mask (SIG_IGN survives exec)', async () => {
    // The shim ignores SIGPIPE and blocks signals around fork: none of that may reach the command.
    const r = await supervisor().run(new Command({ entrypoint: 'grep', arguments: ['-E', '^Sig(Ign|Blk)', '/proc/self/status'] }));
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout!, /^SigBlk:\s+0+$/m);
    assert.match(r.stdout!, /^SigIgn:\s+0+$/m);
  });

  it('kills and reaps a setsid grandchild when the command exits', async () => {
    const r = await supervisor().run(sh('setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!'));
    const grandchild = Number(r.stdout!.trim());
    assert.ok(grandchild > 0);
    assert.equal(proc(grandchild), undefined, 'killed and reaped, not a zombie');
  });

  it('kills and reaps a double-forked daemon that left the group', async () => {
    const r = await supervisor().run(sh('(setsid sh -c "sleep 1000 & echo \\$!" </dev/null 2>&1 &) ; sleep 0.2'));
    const daemon = Number(r.stdout!.trim());
    assert.ok(daemon > 0, r.stdout);
    assert.equal(proc(daemon), undefined);
  });

  it('falls back to the shim status, without usage, when the shim is killed', async () => {
    let command = -1;
    const r = await supervisor().run(sh('sleep 30'), (c) => {
      command = c.pid();
      process.kill(proc(command)!.ppid, 'SIGKILL'); // the shim
    });
    assert.equal(r.exitCode, 137);
    assert.equal(r.usage, undefined);
    assert.match(r.shimError!, /killed by SIGKILL/);
    await until(() => !alive(command), 10_000, 'the command to die with its shim');
  });

  it('a command running as another user still dies with its shim (PDEATHSIG is set after setuid)', { skip: process.getuid?.() !== 0 }, async () => {
    // The shim by hand, without a worker whose fallback would kill the group: only PDEATHSIG can end it.
    const shim = spawn(shimPath, ['--uid', '65534', '--gid', '65534', '--', 'sleep', '100000'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    let line = '';
    (shim.stdio[3] as Readable).setEncoding('utf8').on('data', (d: string) => (line += d));
    await until(() => line.includes('\n'), 10_000, 'the pid line');
    const command = Number(/^pid (\d+)/.exec(line)![1]);
    assert.ok(alive(command));
    shim.kill('SIGKILL');
    await until(() => !alive(command), 10_000, 'the command (uid 65534) to die with its shim');
  });

  it('leaves no zombie and no child under this process', async () => {
    const s = supervisor();
    await Promise.all([
      s.run(sh('exit 0')),
      s.run(sh('sleep 0.1 & exit 2')),
      s.run(sh('kill -9 $$')),
      s.run(new Command({ entrypoint: 'nope-not-here' })).catch(() => {}),
      s.run(sh('sleep 30'), undefined, { timeout: 200, killGraceMs: 100 }).catch(() => {}),
    ]);
    await s.close();
    await until(() => childrenOf(process.pid).length === 0, 10_000, 'no child of the test process');
  });

  it('names the missing shim binary (ERR_SHIM_MISSING)', () => {
    assert.throws(() => requireShim('/nonexistent/execdriver-shim'), (error: ExecDriverError) => {
      assert.equal(error.code, 'ERR_SHIM_MISSING');
      assert.match(error.message, /\/nonexistent\/execdriver-shim/);
      assert.match(error.message, /C compiler/);
      return true;
    });
  });
});
