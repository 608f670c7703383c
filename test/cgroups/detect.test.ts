/** Finding the hierarchies: mountinfo and /proc/self/cgroup as text, and explicit roots laid out as folders. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectAt, fromMounts, parseMountinfo, parseProcCgroup } from '../../src/cgroups/detect.js';

// As on this kind of machine: v1 controllers each mounted alone, an empty cgroup2 at unified, plus a
// co-mounted cpu,cpuacct and a bind-mounted subtree (as in a container) to check the path arithmetic.
const MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 /outer /sys/fs/cgroup/freezer\\040dir rw,relatime - cgroup cgroup rw,freezer
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const CGROUP = `9:name=systemd:/
6:freezer:/outer/inner
4:memory:/process_api/abc
2:cpuacct:/
1:cpu:/
0::/
`;

test('mountinfo and /proc/self/cgroup give each hierarchy at this process own cgroup', () => {
  const h = fromMounts(parseMountinfo(MOUNTINFO), parseProcCgroup(CGROUP));
  assert.deepEqual(Object.fromEntries(h.v1), {
    cpu: '/sys/fs/cgroup/cpu',
    cpuacct: '/sys/fs/cgroup/cpuacct',
    memory: '/sys/fs/cgroup/memory/process_api/abc',
    freezer: '/sys/fs/cgroup/freezer dir/inner',
  });
  assert.equal(h.v2, '/sys/fs/cgroup/unified');
});

test('a pure cgroup v2 system: no v1 controllers, the unified hierarchy at /sys/fs/cgroup', () => {
  const h = fromMounts(
    parseMountinfo('30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n'),
    parseProcCgroup('0::/user.slice/session-1.scope\n'),
  );
  assert.equal(h.v1.size, 0);
  assert.equal(h.v2, '/sys/fs/cgroup/user.slice/session-1.scope');
});

test('an explicit root: v1 controller folders (co-mounted by name or symlink), a v2 hierarchy, or nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'execdriver-detect-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const v1 = join(dir, 'v1');
  for (const name of ['cpu,cpuacct', 'memory', 'freezer', 'blkio']) {
    await mkdir(join(v1, name), { recursive: true });
    await writeFile(join(v1, name, 'cgroup.procs'), '');
  }
  await symlink('cpu,cpuacct', join(v1, 'cpu'));
  const h1 = await detectAt(v1);
  assert.equal(h1.v2, undefined);
  assert.deepEqual(Object.fromEntries(h1.v1), {
    cpu: join(v1, 'cpu,cpuacct'),
    cpuacct: join(v1, 'cpu,cpuacct'),
    memory: join(v1, 'memory'),
    freezer: join(v1, 'freezer'),
  });

  const v2 = join(dir, 'v2');
  await mkdir(v2);
  await writeFile(join(v2, 'cgroup.controllers'), 'cpu memory\n');
  assert.deepEqual(await detectAt(v2), { v1: new Map(), v2 });

  assert.deepEqual(await detectAt(join(dir, 'missing')), { v1: new Map() });
  assert.deepEqual(await detectAt(dir), { v1: new Map() });
});
