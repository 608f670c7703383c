/**
 * Where our cgroups can go, found at run time. By default from this process's own view of the system:
 * every cgroup (v1) and cgroup2 mount in /proc/self/mountinfo, and this process's own cgroup in each
 * (/proc/self/cgroup), so that runs nest below the supervisor's cgroup and stay inside its limits and
 * delegation. With an explicit root (the `cgroupRoot` option): that folder, laid out as /sys/fs/cgroup is,
 * either a cgroup v2 hierarchy (it has cgroup.controllers) or one folder per v1 controller (memory/, ...).
 */
import { access, readFile, readdir, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The v1 controllers we use: limits (memory, cpu), tracking and kill (freezer), accounting (cpuacct). */
export const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'freezer'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export interface Hierarchies {
  /** v1 controller -> the cgroup folder our cgroups go below. */
  v1: Map<V1Controller, string>;
  /** The cgroup v2 folder our cgroups go below. */
  v2?: string;
}

export interface Mount {
  mountPoint: string;
  /** The folder of the hierarchy that is mounted there ('/' unless a subtree is bind-mounted). */
  root: string;
  fstype: string;
  superOptions: string[];
}

/** /proc/<pid>/mountinfo: "id parent maj:min root mountpoint options [optional...] - fstype source superoptions". */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const [fstype, , superOptions = ''] = right.split(' ');
    if (f.length < 5 || !fstype) continue;
    mounts.push({ root: unescape(f[3]!), mountPoint: unescape(f[4]!), fstype, superOptions: superOptions.split(',') });
  }
  return mounts;
}

/** /proc/<pid>/cgroup: "id:controllers:path"; the v2 line has no controllers and maps from ''. */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const path = line.slice(second + 1);
    const controllers = line.slice(first + 1, second);
    if (controllers === '') paths.set('', path);
    else for (const c of controllers.split(',')) paths.set(c, path);
  }
  return paths;
}

/** The hierarchies this process sees, each at this process's own cgroup. */
export function fromMounts(mounts: readonly Mount[], own: ReadonlyMap<string, string>): Hierarchies {
  const v1 = new Map<V1Controller, string>();
  let v2: string | undefined;
  for (const m of mounts) {
    if (m.fstype === 'cgroup2' && v2 === undefined) v2 = inside(m, own.get('') ?? '/');
    if (m.fstype !== 'cgroup') continue;
    for (const c of V1_CONTROLLERS) {
      if (m.superOptions.includes(c) && !v1.has(c)) v1.set(c, inside(m, own.get(c) ?? '/'));
    }
  }
  return { v1, v2 };
}

/** The folder of cgroup `path` under mount `m`, or the mount point if the path is outside the mounted subtree. */
function inside(m: Mount, path: string): string {
  if (m.root === '/') return resolve(m.mountPoint, `.${path}`);
  if (path === m.root || path.startsWith(`${m.root}/`)) return resolve(m.mountPoint, `.${path.slice(m.root.length)}`);
  return m.mountPoint;
}

export async function detectDefault(): Promise<Hierarchies> {
  const [mountinfo, cgroup] = await Promise.all([
    readFile('/proc/self/mountinfo', 'utf8').catch(() => ''),
    readFile('/proc/self/cgroup', 'utf8').catch(() => ''),
  ]);
  return fromMounts(parseMountinfo(mountinfo), parseProcCgroup(cgroup));
}

/** An explicit root: a v2 hierarchy, or v1 controller folders (co-mounted ones found by realpath or by "cpu,cpuacct"). */
export async function detectAt(root: string): Promise<Hierarchies> {
  if (await exists(join(root, 'cgroup.controllers'))) return { v1: new Map(), v2: root };
  const v1 = new Map<V1Controller, string>();
  let names: string[] = [];
  try {
    names = (await readdir(root)).sort();
  } catch {
    return { v1 };
  }
  for (const name of names) {
    const controllers = name.split(',').filter((c): c is V1Controller => (V1_CONTROLLERS as readonly string[]).includes(c));
    if (controllers.length === 0 || !(await exists(join(root, name, 'cgroup.procs')))) continue;
    const dir = await realpath(join(root, name));
    for (const c of controllers) if (!v1.has(c)) v1.set(c, dir);
  }
  return { v1 };
}

/** What was found, for error messages. */
export function describeHierarchies(h: Hierarchies, v2Controllers: readonly string[] | undefined): string {
  const v1 = h.v1.size > 0 ? [...h.v1].map(([c, d]) => `${c} at ${d}`).join(', ') : 'none';
  const v2 = h.v2 === undefined ? 'none' : `${h.v2} with controllers [${(v2Controllers ?? []).join(' ')}]`;
  return `found cgroup v2: ${v2}; cgroup v1: ${v1}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
