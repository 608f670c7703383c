/**
 * ps, kill and restore on restorable commands whose `execdriver run` was SIGKILLed, driven through the
 * real bin. No timing is assumed: a command ends when the test creates its gate file, and every wait
 * polls with a generous deadline. Every process a test starts is killed afterwards, also on failure.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { BIN, execdriver, killLeftovers, liveProcessesWith, liveProcessesWithArg, marker, ndjson, start, stopAll, tempDir, waitFor } from './bin.js';

const mark = marker();
const dir = tempDir();
const state = join(dir.path, 'state');
const spawned = new Set<ChildProcess>();
afterEach(async () => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  spawned.clear();
  await stopAll();
});
after(() => {
  killLeftovers(mark);
  dir.remove();
});

/**
 * Starts `execdriver run --restorable` with stdio ignored (its command inherits it: pipes would stay open
 * after the run is killed) and resolves once `ps` shows the command running; returns the run and ps's row.
 */
async function startRestorable(id: string, command: readonly string[]): Promise<{ run: ChildProcess; row: Record<string, unknown> }> {
  const run = spawn(process.execPath, [BIN, 'run', '--restorable', '--id', id, '--state-dir', state, '--', ...command], { stdio: 'ignore' });
  spawned.add(run);
  const row = await waitFor(`ps to show ${id} running`, async () => {
    const r = await execdriver(['ps', '--json', '--state-dir', state]);
    return ndjson(r.stdout).find((e) => e.id === id && e.status === 'running');
  });
  assert.ok(row);
  return { run, row };
}

async function sigkill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('execdriver run --restorable, then ps / kill / restore after the run was SIGKILLed', () => {
  it('ps shows the command running with its pid; restore waits for it and exits with its code', async () => {
    const gate = join(dir.path, `gate-${mark}`);
    const { run, row } = await startRestorable('X', ['sh', '-c', 'while [ ! -e "$1" ]; do sleep 0.1; done; exit 7', mark, gate]);
    await sigkill(run);

    const ps = await execdriver(['ps', '--state-dir', state]);
    assert.equal(ps.code, 0, ps.stderr);
    const line = ps.stdout.split('\n').find((l) => l.startsWith('X '));
    assert.match(line ?? '', new RegExp(`^X +${row.pid} +running +\\d{4}-\\d\\d-\\d\\dT\\S+Z +- +sh -c`));
    assert.ok(liveProcessesWith(mark).includes(row.pid as number), `pid ${row.pid} is the command`);

    const restore = start(['restore', '--state-dir', state, 'X']);
    await waitFor('restore to start waiting', () => liveProcessesWith(`restore --state-dir ${state} X`).length > 0);
    writeFileSync(gate, '');
    const r = await restore.done;
    assert.equal(r.code, 7, r.stderr);
    const [record] = ndjson(r.stdout);
    assert.deepEqual({ ...record, durationMs: typeof record!.durationMs, usage: typeof record!.usage }, {
      id: 'X', pid: row.pid, exitCode: 7, signal: null, timedOut: false, durationMs: 'number', usage: 'object',
    });

    const after = ndjson((await execdriver(['ps', '--json', '--state-dir', state])).stdout).find((e) => e.id === 'X');
    assert.equal(after?.status, 'exited');
    assert.equal(after?.exitCode, 7);
    const again = await execdriver(['restore', '--state-dir', state, 'X']);
    assert.equal(again.code, 7, 'a second restore gets the recorded result at once');
  });

  it('kill ID SIGTERM signals its tree; restore then exits 143; kill again says it is not running', async () => {
    const { run } = await startRestorable('K', ['sleep', mark]);
    await sigkill(run);

    const k = await execdriver(['kill', '--state-dir', state, 'K', 'SIGTERM']);
    assert.equal(k.code, 0, k.stderr);
    const r = await execdriver(['restore', '--state-dir', state, 'K']);
    assert.equal(r.code, 143, r.stderr);
    assert.equal(ndjson(r.stdout)[0]?.signal, 'SIGTERM');
    assert.deepEqual(liveProcessesWithArg(mark), []);

    const again = await execdriver(['kill', '--state-dir', state, 'K']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'execdriver kill: command "K" is not running\n');
  });

  it('never signals a pid whose start time differs from the recorded one (ps: unknown; kill: status 1)', async () => {
    const victim = spawn('sleep', [`1${mark}`], { stdio: 'ignore' });
    spawned.add(victim);
    await waitFor('the victim to run', () => liveProcessesWithArg(`1${mark}`).length > 0);
    const ran = await execdriver(['run', '--restorable', '--id', 'F', '--state-dir', state, '--', 'true']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stderr, new RegExp(`^execdriver run: restorable command F \\(pid \\d+, state in ${state}\\)\\n$`));
    // Forge the entry: still 'running', with the victim's pid but another start time.
    const path = join(state, 'entries', 'F.json');
    const entry = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...entry, status: 'running', pid: victim.pid, startTime: 1, result: null }));
    rmSync(join(state, 'exits', 'F.json'), { force: true }); // no recorded exit: only /proc can decide

    const k = await execdriver(['kill', '--state-dir', state, 'F', 'KILL']);
    assert.equal(k.code, 1, k.stderr);
    assert.equal(k.stderr, 'execdriver kill: command "F" is not running\n');
    assert.deepEqual(liveProcessesWithArg(`1${mark}`), [victim.pid]);
    const row = ndjson((await execdriver(['ps', '--json', '--state-dir', state])).stdout).find((e) => e.id === 'F');
    assert.equal(row?.status, 'unknown');
  });

  it('ps shows a corrupt entry with its id beside the others; restore of it fails clearly', async () => {
    writeFileSync(join(state, 'entries', 'bad.json'), '{');
    const ps = await execdriver(['ps', '--json', '--state-dir', state]);
    assert.equal(ps.code, 0, ps.stderr);
    const rows = ndjson(ps.stdout);
    const bad = rows.find((e) => e.id === 'bad');
    assert.equal(bad?.status, 'corrupt');
    assert.match(String(bad?.error), /unreadable .*bad\.json/);
    assert.ok(rows.some((e) => e.id !== 'bad'), 'the other entries are listed too');
    const table = await execdriver(['ps', '--state-dir', state]);
    assert.match(table.stdout, /^bad +- +corrupt +- +- +The state of command "bad" is unreadable/m);
    const r = await execdriver(['restore', '--state-dir', state, 'bad']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^execdriver restore: The state of command "bad" is unreadable/);
  });
});
