/** `execdriver run` driven as a user would: exit statuses, stdio, timeouts, forwarded signals. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { binTestFile, execdriver, liveProcessesWith, liveProcessesWithArg, start, waitFor } from './bin.js';

const { mark, dir } = binTestFile();

describe('execdriver run', () => {
  it('exits 0 when the command exits 0', async () => {
    const r = await execdriver(['run', '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  it('passes the exit code through', async () => {
    const r = await execdriver(['run', '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3, r.stderr);
  });

  it('exits 128 + signo when a signal ended the command', async () => {
    const r = await execdriver(['run', '--', 'sh', '-c', 'kill -TERM $$']);
    assert.equal(r.code, 128 + 15, r.stderr);
    const k = await execdriver(['run', 'sh', '-c', 'kill -KILL $$']);
    assert.equal(k.code, 128 + 9, k.stderr);
  });

  it('inherits stdin, stdout and stderr', async () => {
    const r = await execdriver(['run', '--', 'sh', '-c', 'read line; echo "got $line"; echo "to stderr" >&2'], { input: 'hello\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'got hello\n');
    assert.equal(r.stderr, 'to stderr\n');
  });

  it('ends options at PROGRAM: the program\'s own flags are left alone', async () => {
    const r = await execdriver(['run', 'sh', '-c', 'echo "$@"', 'sh', '--timeout', '5', '--bogus']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '--timeout 5 --bogus\n');
  });

  it('kills the command on --timeout, says so on stderr and exits 124', async () => {
    const r = await execdriver(['run', '--timeout', '1000', '--', 'sleep', `300.${mark}`]);
    assert.equal(r.code, 124);
    assert.match(r.stderr, /^execdriver run: "sleep" timed out after 1000 ms \(killed by SIGTERM\)\n$/);
    assert.ok(r.ms >= 1000, `exited after ${r.ms} ms, before the timeout`);
    assert.deepEqual(liveProcessesWith(`300.${mark}`), []);
  });

  it('waits --kill-grace between SIGTERM and SIGKILL', async () => {
    // sh ignores TERM, and sleep inherits the ignored disposition: only SIGKILL ends them.
    const r = await execdriver(['run', '--timeout', '300', '--kill-grace', '2500', '--', 'sh', '-c', `trap '' TERM; sleep 301.${mark}`]);
    assert.equal(r.code, 124);
    assert.match(r.stderr, /timed out after 300 ms \(killed by SIGKILL\)/);
    assert.ok(r.ms >= 2800, `exited after ${r.ms} ms, before timeout + grace`);
    assert.deepEqual(liveProcessesWith(`301.${mark}`), []);
  });

  it('forwards SIGINT to the command\'s tree and exits with the command\'s status', async () => {
    const bin = start(['run', '--', 'sh', '-c', `trap 'exit 7' INT; echo ready; while :; do sleep 302.${mark}; done`]);
    await waitFor('the command to start', () => bin.stdout().includes('ready'));
    await waitFor('the sleep to start', () => liveProcessesWithArg(`302.${mark}`).length > 0);
    bin.child.kill('SIGINT');
    const r = await bin.done;
    assert.equal(r.code, 7, r.stderr);
    assert.deepEqual(liveProcessesWith(`302.${mark}`), []);
  });

  it('exits 127 when PROGRAM is not found', async () => {
    const r = await execdriver(['run', '--', `no-such-program-${mark}`]);
    assert.equal(r.code, 127);
    assert.match(r.stderr, new RegExp(`cannot run "no-such-program-${mark}": .*ENOENT`));
  });

  it('exits 126 when PROGRAM cannot be executed', async () => {
    const file = join(dir.path, 'not-executable.sh');
    writeFileSync(file, 'echo hi\n', { mode: 0o644 });
    const r = await execdriver(['run', '--', file]);
    assert.equal(r.code, 126);
    assert.match(r.stderr, /cannot run ".*not-executable\.sh": .*EACCES/);
  });

  it('uses --id as the command id (checked like Command ids)', async () => {
    const ok = await execdriver(['run', '--id', 'job-1.a_b', '--', 'true']);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await execdriver(['run', '--id', 'has space', '--', 'true']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid value for --id: "has space"/);
  });
});
