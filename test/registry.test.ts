import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Command, ErrDriverAlreadyRegistered, ErrDriverNotFound, ProcessDriver, Supervisor, getDriver, getInitFunc,
  registerDriver, registerInitFunc, type InitArgs,
} from '../src/index.js';
import { supervisor } from './helpers.js';

describe('registries', () => {
  it('has the process driver and its init function built in', () => {
    assert.equal(getDriver('process').name, 'process');
    assert.equal(typeof getInitFunc('process'), 'function');
  });

  it('refuses a duplicate name with ErrDriverAlreadyRegistered', () => {
    assert.throws(() => registerDriver('process', () => new ProcessDriver()), ErrDriverAlreadyRegistered);
    assert.throws(() => registerInitFunc('process', async () => 0), ErrDriverAlreadyRegistered);
  });

  it('reports a missing name with ErrDriverNotFound', () => {
    assert.throws(() => getDriver('lxc'), ErrDriverNotFound);
    assert.throws(() => getInitFunc('lxc'), ErrDriverNotFound);
    assert.throws(() => new Supervisor({ driver: 'lxc' }), ErrDriverNotFound);
  });

  it('registers and finds new ones', async () => {
    const seen: InitArgs[] = [];
    registerInitFunc('test-init', async (args) => {
      seen.push(args);
      return 7;
    });
    assert.equal(await getInitFunc('test-init')({ args: ['x'] } as InitArgs), 7);
    assert.equal(seen.length, 1);

    class EchoDriver extends ProcessDriver {
      override readonly name = 'echo';
    }
    registerDriver('echo', () => new EchoDriver());
    const s = supervisor({ driver: 'echo' });
    assert.equal(s.name(), 'echo');
    const r = await s.run(new Command({ entrypoint: 'true' }));
    assert.equal(r.exitCode, 0);
  });
});
