import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from '../src/index.js';

describe('Command', () => {
  it('fills the seed fields with defaults and has no process', () => {
    const c = new Command({ id: 'job-1', entrypoint: 'sh', arguments: ['-c', 'true'] });
    assert.equal(c.id, 'job-1');
    assert.deepEqual(c.arguments, ['-c', 'true']);
    assert.equal(c.pid(), -1);
    assert.equal(c.network, null);
    assert.equal(c.resources, null);
    assert.equal(c.privileged, false);
    assert.equal(c.tty, false);
  });

  it('generates an id when none is given', () => {
    const a = new Command({ entrypoint: 'true' });
    const b = new Command({ entrypoint: 'true' });
    assert.match(a.id, /^[0-9a-f-]{36}$/);
    assert.notEqual(a.id, b.id);
  });

  it('writes the seed json tags and reads them back', () => {
    const c = new Command({
      id: 'web', entrypoint: '/bin/app', arguments: ['--port', '80'], workingDir: '/srv', user: 'nobody',
      privileged: true, rootfs: '/rootfs', initPath: '/init', configPath: '/cfg', tty: true,
      network: { gateway: '10.0.0.1', ipAddress: '10.0.0.2', bridge: 'br0', ipPrefixLen: 24, mtu: 1500 },
      config: { 'lxc.cap': ['a', 'b'] }, resources: { memory: 1024, memorySwap: 2048, cpuShares: 512 },
      env: { A: '1' },
    });
    const json = c.toJSON();
    assert.deepEqual(json, {
      id: 'web', privileged: true, user: 'nobody', rootfs: '/rootfs', initpath: '/init', entrypoint: '/bin/app',
      arguments: ['--port', '80'], working_dir: '/srv', config_path: '/cfg', tty: true,
      network: { gateway: '10.0.0.1', ip: '10.0.0.2', bridge: 'br0', ip_prefix_len: 24, mtu: 1500 },
      config: { 'lxc.cap': ['a', 'b'] }, resources: { memory: 1024, memory_swap: 2048, cpu_shares: 512 },
      env: { A: '1' },
    });
    assert.ok(!('process' in json));
    assert.deepEqual(Command.fromJSON(JSON.parse(JSON.stringify(json))).toJSON(), json);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['no entrypoint', {}, /`entrypoint`.*non-empty string.*undefined/],
    ['empty entrypoint', { entrypoint: '' }, /`entrypoint`/],
    ['arguments not an array', { entrypoint: 'x', arguments: 'a b' }, /`arguments`.*array of strings.*"a b"/],
    ['arguments with a number', { entrypoint: 'x', arguments: ['a', 1] }, /`arguments`/],
    ['bad id', { entrypoint: 'x', id: '../etc' }, /`id`.*"\.\.\/etc"/],
    ['privileged not boolean', { entrypoint: 'x', privileged: 'yes' }, /`privileged`.*boolean/],
    ['network not an object', { entrypoint: 'x', network: 'host' }, /`network`/],
    ['negative memory', { entrypoint: 'x', resources: { memory: -1 } }, /`resources.memory`.*-1/],
    ['swap below memory', { entrypoint: 'x', resources: { memory: 100, memorySwap: 50 } }, /`resources.memorySwap`/],
    ['env value not a string', { entrypoint: 'x', env: { A: 1 } }, /`env.A`/],
    ['NUL in workingDir', { entrypoint: 'x', workingDir: 'a\0b' }, /`workingDir`/],
  ];
  for (const [name, init, message] of bad) {
    it(`throws a TypeError naming the field: ${name}`, () => {
      assert.throws(() => new Command(init as never), (e: Error) => e instanceof TypeError && message.test(e.message));
    });
  }

  it('rejects a non-object', () => {
    assert.throws(() => new Command(null as never), TypeError);
    assert.throws(() => Command.fromJSON('x'), TypeError);
  });
});
