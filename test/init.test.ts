import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, defaultInitPath, formatInitFlags, parseInitFlags } from '../src/index.js';
import { fixture, supervisor, tmpfile } from './helpers.js';

describe('init flags', () => {
  it('round-trips the dockerinit flags', () => {
    const flags = formatInitFlags({
      driver: 'process', user: 'nobody', gateway: '10.0.0.1', ip: '10.0.0.2/24', workDir: '/srv', privileged: true,
      mtu: 1400, args: ['sh', '-c', 'exit 0'],
    });
    assert.deepEqual(flags.slice(0, 2), ['-driver', 'process']);
    const parsed = parseInitFlags(flags, { A: '1' });
    assert.deepEqual(parsed, {
      driver: 'process', user: 'nobody', gateway: '10.0.0.1', ip: '10.0.0.2/24', workDir: '/srv', privileged: true,
      mtu: 1400, args: ['sh', '-c', 'exit 0'], env: ['A=1'],
    });
  });

  it('reads Go-style forms and rejects unknown flags', () => {
    assert.equal(parseInitFlags(['-privileged', '--driver=x', '--', 'a']).privileged, true);
    assert.equal(parseInitFlags(['-privileged=false', '--', 'a']).privileged, false);
    assert.throws(() => parseInitFlags(['-bogus', '1']), /unknown flag -bogus/);
    assert.throws(() => parseInitFlags(['-mtu', 'big']), /-mtu/);
  });
});

describe('the init program', () => {
  const viaInit = (init: ConstructorParameters<typeof Command>[0]) => new Command({ initPath: defaultInitPath, ...init });

  it('runs the entrypoint with workDir and env, and exits with its status', async () => {
    const { dir } = tmpfile();
    const r = await supervisor().run(viaInit({
      entrypoint: fixture('echo-env'), arguments: ['GREETING'], workingDir: dir, env: { GREETING: 'hello' },
    }));
    assert.equal(r.stdout, `hello\n${dir}\n${process.getuid?.()}\n`);
    assert.equal(r.exitCode, 0);
    const failed = await supervisor().run(viaInit({ entrypoint: fixture('exit-with'), arguments: ['9'] }));
    assert.equal(failed.exitCode, 9);
  });

  it('applies the user', { skip: process.getuid?.() !== 0 }, async () => {
    const r = await supervisor().run(viaInit({ entrypoint: 'id', arguments: ['-u'], user: 'nobody' }));
    assert.equal(r.stdout, '65534\n');
  });

  it('forwards a signal sent to it, and dies of the same signal', async () => {
    const s = supervisor();
    const c = viaInit({ entrypoint: 'sleep', arguments: ['100000'] });
    const run = s.run(c, (command) => setTimeout(() => process.kill(command.pid(), 'SIGTERM'), 300));
    const r = await run;
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.exitCode, 143);
  });

  it('reports a missing entrypoint with status 127', async () => {
    const r = await supervisor().run(viaInit({ entrypoint: 'no-such-program-here' }));
    assert.equal(r.exitCode, 127);
    assert.match(r.stderr!, /init: cannot run "no-such-program-here"/);
  });
});
