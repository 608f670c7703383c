/** Resolves a Command's `user` ("name", "uid", "uid:gid", "name:group") from /etc/passwd and /etc/group. */
import { readFile } from 'node:fs/promises';
import { ExecDriverError, describe } from '../../errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  home?: string;
}

async function table(path: string): Promise<string[][]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

function fail(user: string, detail: string): ExecDriverError {
  return new ExecDriverError('ERR_INVALID_USER', `Cannot run as the Command's \`user\` ${describe(user)}`, detail);
}

const NUMERIC = /^\d+$/;

export async function resolveUser(user: string): Promise<ResolvedUser> {
  const [name = '', group] = user.split(':', 2);
  const passwd = await table('/etc/passwd');
  const entry = NUMERIC.test(name) ? passwd.find((e) => e[2] === name) : passwd.find((e) => e[0] === name);
  if (!entry && !NUMERIC.test(name)) throw fail(user, `no user "${name}" in /etc/passwd`);
  const uid = NUMERIC.test(name) ? Number(name) : Number(entry![2]);
  let gid = entry ? Number(entry[3]) : uid;
  if (group !== undefined) {
    if (NUMERIC.test(group)) gid = Number(group);
    else {
      const g = (await table('/etc/group')).find((e) => e[0] === group);
      if (!g) throw fail(user, `no group "${group}" in /etc/group`);
      gid = Number(g[2]);
    }
  }
  if (uid > 2 ** 31 - 1 || gid > 2 ** 31 - 1) throw fail(user, 'uid or gid out of range');
  const self = process.getuid?.() ?? -1;
  if (self !== 0 && (uid !== self || gid !== process.getgid?.())) {
    throw fail(user, `changing user needs root; this process runs as uid ${self}`);
  }
  return { uid, gid, home: entry?.[5] || undefined };
}
