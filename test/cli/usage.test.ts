/**
 * The bin's surface: --help for each subcommand, usage errors (unknown flag, bad value: status 2, naming
 * the flag and the value), and ps/kill/restore on ids the state directory does not have, and which
 * state directory they use.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execdriver, tempDir } from './bin.js';

describe('execdriver --help and usage errors', () => {
  it('prints the commands for --help, -h and help; exits 0', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await execdriver(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: execdriver COMMAND/);
      for (const name of ['run', 'batch', 'ps', 'kill', 'restore']) assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, 'm'));
    }
  });

  it('prints each subcommand\'s help for --help, -h and `help NAME`, even beside a mistake', async () => {
    for (const name of ['run', 'batch', 'ps', 'kill', 'restore']) {
      for (const args of [[name, '--help'], [name, '-h'], ['help', name], [name, '--bogus', '--help']]) {
        const r = await execdriver(args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^Usage: execdriver ${name} `), args.join(' '));
        assert.match(r.stdout, /^  -h, --help/m);
      }
    }
  });

  it('prints the version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await execdriver(['--version']);
    assert.equal(r.stdout, `execdriver ${pkg.version}\n`);
  });

  it('exits 2 with the usage when no command is given, and for an unknown command', async () => {
    const none = await execdriver([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^Usage: execdriver COMMAND/);
    const unknown = await execdriver(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^execdriver: unknown command "frobnicate"$/m);
  });

  it('exits 2 for an unknown flag, naming it', async () => {
    const cases: [string[], string][] = [
      [['run', '--bogus', '--', 'true'], 'execdriver run: unknown option --bogus'],
      [['run', '-x', 'true'], 'execdriver run: unknown option -x'],
      [['batch', '--bogus=1'], 'execdriver batch: unknown option --bogus'],
      [['ps', '--all'], 'execdriver ps: unknown option --all'],
      [['kill', '--force', 'id'], 'execdriver kill: unknown option --force'],
      [['restore', '--follow', 'id'], 'execdriver restore: unknown option --follow'],
      [['--bogus'], 'execdriver: unknown option --bogus'],
    ];
    for (const [args, message] of cases) {
      const r = await execdriver(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.split('\n')[0], message);
      assert.equal(r.stdout, '');
    }
  });

  it('exits 2 for a bad value, naming the flag and the value', async () => {
    const cases: [string[], RegExp][] = [
      [['run', '--timeout', 'abc', 'true'], /^execdriver run: invalid value for --timeout: "abc" \(expected a positive whole number of milliseconds/],
      [['run', '--timeout', '0', 'true'], /invalid value for --timeout: "0"/],
      [['run', '--timeout', '-5', 'true'], /invalid value for --timeout: "-5"/],
      [['run', '--timeout=1.5', 'true'], /invalid value for --timeout: "1\.5"/],
      [['run', '--timeout', '99999999999', 'true'], /invalid value for --timeout: "99999999999" \(.*at most 2147483647\)/],
      [['run', '--kill-grace', 'soon', 'true'], /invalid value for --kill-grace: "soon" \(expected a non-negative whole number/],
      [['run', '--restorable=yes', 'true'], /option --restorable takes no value, got "yes"/],
      [['run', '--timeout'], /option --timeout needs a value/],
      [['run', '--id', '-bad', 'true'], /invalid value for --id: "-bad"/],
      [['run', '--timeout', '100'], /missing PROGRAM/],
      [['batch', '--concurrency', '0'], /^execdriver batch: invalid value for --concurrency: "0" \(expected a whole number from 1 to 65536\)/],
      [['batch', '--concurrency', 'many'], /invalid value for --concurrency: "many"/],
      [['batch', '--timeout', '2s'], /invalid value for --timeout: "2s"/],
      [['batch', '--out'], /option --out needs a value/],
      [['batch', 'a.ndjson', 'b.ndjson'], /unexpected argument "b\.ndjson"/],
      [['kill', 'some-id', 'SIGFOO'], /^execdriver kill: invalid SIGNAL "SIGFOO"/],
      [['kill', 'some-id', '999'], /invalid SIGNAL "999"/],
      [['kill'], /missing ID/],
      [['kill', 'a', 'TERM', 'extra'], /unexpected argument "extra"/],
      [['restore'], /missing ID/],
      [['ps', 'extra'], /unexpected argument "extra"/],
    ];
    for (const [args, pattern] of cases) {
      const r = await execdriver(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.match(r.stderr, /Run 'execdriver \w+ --help' for usage\.\n$/);
    }
  });
});

describe('execdriver ps, kill, restore on a state directory without the id', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('ps lists nothing (a header) for an empty or missing state directory, status 0, and creates nothing', async () => {
    const missing = join(dir.path, 'missing');
    for (const args of [['ps', '--state-dir', dir.path], ['ps', '--state-dir', missing]]) {
      const r = await execdriver(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, 'ID  PID  STATUS  STARTED  EXIT  COMMAND\n');
    }
    const json = await execdriver(['ps', '--json', '--state-dir', dir.path]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, '');
    assert.equal(existsSync(missing), false);
  });

  it('kill checks ID and SIGNAL, then says the id is not in the state directory, status 1', async () => {
    for (const args of [['kill', 'job-1'], ['kill', 'job-1', 'KILL'], ['kill', 'job-1', '9'], ['kill', 'job-1', 'sigusr1']]) {
      const r = await execdriver(['kill', '--state-dir', dir.path, ...args.slice(1)]);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr, `execdriver kill: no command "job-1" in the state directory ${dir.path}\n`);
    }
  });

  it('restore of an unknown id says so, status 125 (as run\'s own failures), nothing on stdout', async () => {
    const r = await execdriver(['restore', '--state-dir', dir.path, 'job-1']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, `execdriver restore: no command "job-1" in the state directory ${dir.path}\n`);
    assert.equal(r.stdout, '');
  });

  it('takes the state directory from $EXECDRIVER_STATE_DIR when --state-dir is absent', async () => {
    const r = await execdriver(['restore', 'job-1'], { env: { ...process.env, EXECDRIVER_STATE_DIR: dir.path } });
    assert.equal(r.code, 125);
    assert.equal(r.stderr, `execdriver restore: no command "job-1" in the state directory ${dir.path}\n`);
  });

  it('falls back to $XDG_STATE_HOME/execdriver without --state-dir and $EXECDRIVER_STATE_DIR', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: dir.path };
    delete env.EXECDRIVER_STATE_DIR;
    const r = await execdriver(['kill', 'job-1'], { env });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `execdriver kill: no command "job-1" in the state directory ${join(dir.path, 'execdriver')}\n`);
  });
});
