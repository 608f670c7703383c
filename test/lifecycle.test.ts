import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command, ErrSupervisorClosed, Supervisor } from '../src/index.js';
import { alive, childrenOf, fixture, proc, supervisor, until } from './helpers.js';

/** Every live pid whose process group is one of the given leaders' (the whole trees). */
function groupMembers(leaders: number[]): number[] {
  const all = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  return all.filter((pid) => leaders.includes(proc(pid)?.pgid ?? -1) && alive(pid));
}

describe('close', () => {
  it('kills every running tree, reaps it, and leaves no orphan and no zombie', async () => {
    const s = new Supervisor({ killGraceMs: 300, maxWorkers: 2 });
    const leaders: number[] = [];
    const runs = [
      s.run(new Command({ entrypoint: 'sh', arguments: ['-c', 'sleep 100000 & wait'] }), (c) => leaders.push(c.pid())),
      s.run(new Command({ entrypoint: fixture('ignore-sigterm') }), (c) => leaders.push(c.pid())),
      s.run(new Command({ entrypoint: fixture('forever') }), (c) => leaders.push(c.pid())),
    ];
    await until(() => leaders.length === 3);
    // the background sleep of the first tree
    let tree: number[] = [];
    await until(() => {
      tree = groupMembers(leaders);
      return tree.length >= 4;
    }, 5000, 'the whole trees');
    await s.close();
    const results = await Promise.all(runs);
    assert.deepEqual(results.map((r) => r.signal).sort(), ['SIGKILL', 'SIGTERM', 'SIGTERM']);
    for (const pid of tree) assert.equal(proc(pid), undefined, `pid ${pid} is gone, not a zombie`);
    assert.equal(childrenOf(process.pid).length, 0, 'no child left');
    await assert.rejects(s.run(new Command({ entrypoint: 'true' })), ErrSupervisorClosed);
    await s.close(); // idempotent
  });

  it('closes an idle supervisor at once', async () => {
    const s = supervisor();
    await s.run(new Command({ entrypoint: 'true' }));
    await s.close();
  });
});

describe('the embedding process', () => {
  async function embed(mode: string) {
    const app = spawn(process.execPath, [fixture('embed.mjs'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(app, 'exit');
    let out = '';
    app.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await until(() => out.includes(']'), 10_000, 'the app to start its commands');
    const pids = JSON.parse(out.split('\n')[0]!) as number[];
    if (mode !== 'exit') for (const pid of pids) assert.ok(alive(pid));
    return { app, pids, exited, output: () => out };
  }

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`killed by ${signal}: its children die too, and it still dies of ${signal}`, async () => {
      const { app, pids, exited } = await embed('wait');
      app.kill(signal);
      const [code, sig] = await exited;
      assert.equal(code, null);
      assert.equal(sig, signal);
      await until(() => pids.every((pid) => !alive(pid)), 3000, 'the commands to die');
    });
  }

  it('exiting normally (process.exit) kills its children', async () => {
    const { pids, exited } = await embed('exit');
    const [code] = await exited;
    assert.equal(code, 0);
    await until(() => pids.every((pid) => !alive(pid)), 3000, 'the commands to die');
  });

  it('does not swallow a signal the application handles itself', async () => {
    const { app, pids, exited, output } = await embed('listener');
    app.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 42, 'the application decided');
    assert.match(output(), /app-handler/);
    await until(() => pids.every((pid) => !alive(pid)), 3000, 'the commands to die on exit');
  });
});
