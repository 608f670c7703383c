import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  Command, ErrNotRunning, ErrRunAborted, ErrUnsupportedField, ExecDriverError, type ExitResult,
} from '../src/index.js';
import { alive, childrenOf, fixture, supervisor } from './helpers.js';

const sh = (script: string, extra: Partial<ConstructorParameters<typeof Command>[0]> = {}) =>
  new Command({ entrypoint: 'sh', arguments: ['-c', script], ...extra });

describe('run', () => {
  it('resolves with the exit code; a non-zero exit is a result', async () => {
    const s = supervisor();
    for (const code of [0, 1, 3, 255]) {
      const r = await s.run(new Command({ entrypoint: fixture('exit-with'), arguments: [String(code)] }));
      assert.equal(r.exitCode, code);
      assert.equal(r.signal, null);
      assert.equal(r.timedOut, false);
      assert.ok(r.pid > 0);
      assert.ok(r.durationMs >= 0 && r.durationMs < 10_000);
    }
  });

  for (const [signal, number] of [['SIGTERM', 15], ['SIGKILL', 9], ['SIGINT', 2], ['SIGHUP', 1], ['SIGSEGV', 11]] as const) {
    it(`reports a death by ${signal} as ${128 + number}`, async () => {
      const r = await supervisor().run(sh(`kill -${signal.slice(3)} $$`));
      assert.equal(r.exitCode, 128 + number);
      assert.equal(r.signal, signal);
    });
  }

  it('fires the start callback once, on spawn, with pid() set, before it settles', async () => {
    const s = supervisor();
    const order: string[] = [];
    const command = new Command({ entrypoint: 'true' });
    let pidAtStart = -1;
    s.on('start', () => order.push('event:start'));
    s.on('exit', () => order.push('event:exit'));
    const r = await s.run(command, (c) => {
      order.push('callback');
      pidAtStart = c.pid();
    });
    order.push('settled');
    assert.deepEqual(order, ['event:start', 'callback', 'event:exit', 'settled']);
    assert.equal(pidAtStart, r.pid);
    assert.equal(command.pid(), -1, 'no process attached after exit');
  });

  it('rejects ErrNotRunning for a program that cannot be started, never calling back', async () => {
    const s = supervisor();
    const command = new Command({ entrypoint: 'no-such-program-here' });
    let called = false;
    const errors: Error[] = [];
    s.on('error', (_c, e) => errors.push(e));
    await assert.rejects(s.run(command, () => { called = true; }), (e: ErrNotRunning) => {
      assert.ok(e instanceof ErrNotRunning);
      assert.match(e.message, /^Process could not be started/);
      assert.equal((e.cause as NodeJS.ErrnoException).code, 'ENOENT');
      return true;
    });
    assert.equal(called, false);
    assert.equal(command.pid(), -1);
    assert.equal(errors.length, 1);
    assert.equal(s.info(command.id).isRunning(), false);
  });

  it('rejects ErrNotRunning for a file that is not executable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'execdriver-'));
    writeFileSync(join(dir, 'plain'), 'echo hi\n');
    await assert.rejects(supervisor().run(new Command({ entrypoint: join(dir, 'plain') })), ErrNotRunning);
  });

  it('kills the process and rejects when the start callback throws', async () => {
    const s = supervisor();
    let pid = -1;
    await assert.rejects(
      s.run(new Command({ entrypoint: fixture('forever') }), (c) => {
        pid = c.pid();
        throw new Error('callback failed');
      }),
      /callback failed/,
    );
    assert.ok(pid > 0);
    assert.equal(alive(pid), false);
  });

  it('a throwing event listener does not break the run; it is reported as an error event', async () => {
    const s = supervisor();
    const errors: Error[] = [];
    s.on('start', () => { throw new Error('listener bug'); });
    s.on('error', (_c, e) => errors.push(e));
    const r = await s.run(new Command({ entrypoint: 'true' }));
    assert.equal(r.exitCode, 0);
    assert.deepEqual(errors.map((e) => e.message), ['listener bug']);
  });

  it('buffers output by default, and honours ignore and files', async () => {
    const s = supervisor();
    const r = await s.run(sh('echo out; echo err >&2'));
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const ignored = await s.run(sh('echo out'), undefined, { stdout: 'ignore', stderr: 'ignore' });
    assert.equal(ignored.stdout, undefined);
    const dir = mkdtempSync(join(tmpdir(), 'execdriver-'));
    const input = join(dir, 'in');
    const output = join(dir, 'out');
    writeFileSync(input, 'from a file\n');
    await s.run(new Command({ entrypoint: 'cat' }), undefined, { stdin: { file: input }, stdout: { file: output } });
    await s.run(sh('echo again'), undefined, { stdout: { file: output, append: true } });
    assert.equal(readFileSync(output, 'utf8'), 'from a file\nagain\n');
  });

  it('kills the process when maxBuffer is exceeded', async () => {
    const r = await supervisor().run(sh('yes'), undefined, { maxBuffer: 1000 });
    assert.equal(r.maxBufferExceeded, true);
    assert.notEqual(r.exitCode, 0);
  });

  it('passes env on top of the supervisor environment, workingDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'execdriver-'));
    process.env.EXECDRIVER_BASE = 'base';
    const r = await supervisor().run(
      new Command({ entrypoint: 'sh', arguments: ['-c', 'echo "$EXECDRIVER_BASE $EXTRA"; pwd'], env: { EXTRA: 'extra' }, workingDir: dir }),
    );
    delete process.env.EXECDRIVER_BASE;
    assert.equal(r.stdout, `base extra\n${dir}\n`);
  });

  it('runs as another user when root', { skip: process.getuid?.() !== 0 }, async () => {
    const s = supervisor();
    const r = await s.run(new Command({ entrypoint: 'id', arguments: ['-u'], user: 'nobody' }));
    assert.equal(r.stdout, '65534\n');
    const r2 = await s.run(new Command({ entrypoint: 'sh', arguments: ['-c', 'echo $(id -u):$(id -g)'], user: '1234:4321' }));
    assert.equal(r2.stdout, '1234:4321\n');
    await assert.rejects(s.run(new Command({ entrypoint: 'true', user: 'no-such-user' })), /`user`.*no user "no-such-user"/);
  });

  it('refuses a second run of an id that is still running, spawning nothing', async () => {
    const s = supervisor();
    const first = s.run(new Command({ id: 'dup', entrypoint: fixture('forever') }));
    let called = false;
    await assert.rejects(
      s.run(new Command({ id: 'dup', entrypoint: 'touch', arguments: ['/tmp/should-not-exist'] }), () => { called = true; }),
      (e: ExecDriverError) => e.code === 'ERR_ALREADY_RUNNING',
    );
    assert.equal(called, false);
    await s.kill(new Command({ id: 'dup', entrypoint: 'x' }), 'SIGKILL');
    assert.equal((await first).exitCode, 137);
    // the id is free again once it has exited
    assert.equal((await s.run(new Command({ id: 'dup', entrypoint: 'true' }))).exitCode, 0);
  });

  const unsupported: [string, Record<string, unknown>][] = [
    ['rootfs', { rootfs: '/var/lib/rootfs' }],
    ['network', { network: { gateway: '10.0.0.1' } }],
    ['privileged', { privileged: true }],
    ['tty', { tty: true }],
    ['configPath', { configPath: '/x.conf' }],
    ['config', { config: { a: ['b'] } }],
  ];
  for (const [field, init] of unsupported) {
    it(`refuses \`${field}\` naming the field and the driver, spawning nothing`, async () => {
      const s = supervisor();
      const before = childrenOf(process.pid).length;
      let called = false;
      await assert.rejects(s.run(new Command({ entrypoint: 'true', ...init }), () => { called = true; }), (e: Error) => {
        assert.ok(e instanceof ErrUnsupportedField);
        assert.equal(e.field, field);
        assert.match(e.message, new RegExp(`process driver cannot honour \`${field}\``));
        return true;
      });
      assert.equal(called, false);
      assert.equal(childrenOf(process.pid).length, before);
    });
  }

  const badOptions: [string, Record<string, unknown>, RegExp][] = [
    ['negative timeout', { timeout: -5 }, /`timeout` option.*`-5` \(number\)/],
    ['zero timeout', { timeout: 0 }, /`timeout` option/],
    ['unknown signal', { killSignal: 'SIGNOPE' }, /`killSignal` option.*"SIGNOPE"/],
    ['bad stdout', { stdout: 'pipe' }, /`stdout` option.*"pipe"/],
    ['buffer for stdin', { stdin: 'buffer' }, /`stdin` option/],
    ['bad maxBuffer', { maxBuffer: 0 }, /`maxBuffer` option/],
    ['bad signal', { signal: {} }, /`signal` option.*AbortSignal/],
    ['unknown option', { timout: 5 }, /`timout`/],
  ];
  for (const [name, options, message] of badOptions) {
    it(`rejects a bad option before spawning: ${name}`, async () => {
      let called = false;
      await assert.rejects(
        supervisor().run(new Command({ entrypoint: 'true' }), () => { called = true; }, options as never),
        (e: Error) => e instanceof TypeError && message.test(e.message),
      );
      assert.equal(called, false);
    });
  }

  it('rejects a command that is not a Command, and a non-function callback', async () => {
    const s = supervisor();
    await assert.rejects(s.run({ entrypoint: 'true' } as never), TypeError);
    await assert.rejects(s.run(new Command({ entrypoint: 'true' }), 'cb' as never), TypeError);
  });

  it('rejects a missing workingDir naming it', async () => {
    await assert.rejects(supervisor().run(new Command({ entrypoint: 'true', workingDir: '/no/such/dir' })),
      /`workingDir` `"\/no\/such\/dir"`/);
  });

  it('aborts through an AbortSignal: the tree is killed and the run rejects with the result', async () => {
    const s = supervisor();
    const controller = new AbortController();
    const run = s.run(new Command({ entrypoint: fixture('forever') }), () => controller.abort(new Error('stop')), {
      signal: controller.signal,
    });
    await assert.rejects(run, (e: ErrRunAborted) => {
      assert.ok(e instanceof ErrRunAborted);
      assert.equal(e.result?.signal, 'SIGTERM');
      assert.equal((e.cause as Error).message, 'stop');
      return true;
    });
    let called = false;
    await assert.rejects(s.run(new Command({ entrypoint: 'true' }), () => { called = true; }, { signal: controller.signal }), ErrRunAborted);
    assert.equal(called, false);
  });

  it('runs 200 commands at once, each with its own exit code', async () => {
    const s = supervisor();
    const started: number[] = [];
    const runs: Promise<ExitResult>[] = [];
    for (let i = 0; i < 200; i++) {
      runs.push(s.run(sh(`sleep 0.2; exit ${i % 256}`, { id: `many-${i}` }), (c) => started.push(c.pid()), { stdout: 'ignore', stderr: 'ignore' }));
    }
    const results = await Promise.all(runs);
    assert.equal(started.length, 200);
    assert.equal(new Set(started).size, 200);
    results.forEach((r, i) => {
      assert.equal(r.id, `many-${i}`);
      assert.equal(r.exitCode, i % 256);
    });
    assert.equal(childrenOf(process.pid).filter((p) => p.state === 'Z').length, 0, 'no zombie');
  });
});
