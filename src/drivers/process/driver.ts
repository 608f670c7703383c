/**
 * The 'process' driver: the command runs as a plain child process on this host, leading its own process
 * group. It honours entrypoint, arguments, workingDir, user, env and initPath; it refuses what needs a
 * container (rootfs, network, privileged, tty, config, configPath, resources), naming the field.
 */
import { stat } from 'node:fs/promises';
import type { Command } from '../../command.js';
import { ErrUnsupportedField, ExecDriverError, describe } from '../../errors.js';
import { formatInitFlags } from '../../init-args.js';
import type { Driver, Prepared } from '../driver.js';
import { resolveUser } from './user.js';

export class ProcessDriver implements Driver {
  readonly name: string = 'process';

  /** Throws ErrUnsupportedField for the first field this driver cannot honour. */
  checkFields(command: Command): void {
    const refuse = (field: string, value: unknown, why: string) => {
      throw new ErrUnsupportedField(field, this.name, `got ${describe(value)}; ${why}`);
    };
    if (command.rootfs) refuse('rootfs', command.rootfs, 'processes run in the host filesystem');
    if (command.network) refuse('network', command.network, 'processes share the host network; use null');
    if (command.privileged) refuse('privileged', true, 'there is no container to privilege');
    if (command.tty) refuse('tty', true, 'no terminal is allocated; use stdio "inherit"');
    if (command.configPath) refuse('configPath', command.configPath, 'there is no container config');
    if (Object.keys(command.config).length > 0) refuse('config', command.config, 'there is no container config');
    const r = command.resources;
    if (r && (r.memory || r.memorySwap || r.cpuShares)) refuse('resources', r, 'this driver applies no cgroup limits');
  }

  async prepare(command: Command): Promise<Prepared> {
    this.checkFields(command);
    const env: Record<string, string> = {};
    let uid: number | undefined;
    let gid: number | undefined;
    if (command.user) {
      const user = await resolveUser(command.user);
      if (!command.initPath) ({ uid, gid } = user);
      if (user.home) env.HOME = user.home;
    }
    Object.assign(env, command.env);
    if (command.workingDir) await checkDirectory(command.workingDir);
    if (command.initPath) {
      const args = formatInitFlags({
        driver: this.name,
        user: command.user,
        gateway: '',
        ip: '',
        workDir: command.workingDir,
        privileged: command.privileged,
        mtu: 0,
        args: [command.entrypoint, ...command.arguments],
      });
      return { file: command.initPath, args, cwd: command.workingDir, env };
    }
    return { file: command.entrypoint, args: [...command.arguments], cwd: command.workingDir, env, uid, gid };
  }
}

async function checkDirectory(dir: string): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (error) {
    throw new ExecDriverError('ERR_INVALID_WORKING_DIR', `The Command's \`workingDir\` ${describe(dir)} cannot be used`,
      (error as Error).message, { cause: error });
  }
  if (!isDir) throw new ExecDriverError('ERR_INVALID_WORKING_DIR', `The Command's \`workingDir\` ${describe(dir)} cannot be used`, 'not a directory');
}
