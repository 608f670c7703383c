/**
 * The 'process' driver: the command runs as a plain child process on this host, leading its own process
 * group. It honours entrypoint, arguments, workingDir, user, env, initPath and resources (through a cgroup
 * of its own per run, see src/cgroups/); it refuses what needs a container (rootfs, network, privileged,
 * tty, config, configPath), naming the field.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { CgroupManager } from '../../cgroups/manager.js';
import { checkResources, needsCgroup } from '../../cgroups/resources.js';
import type { Command } from '../../command.js';
import { ErrUnsupportedField, ExecDriverError, describe, invalid } from '../../errors.js';
import { formatInitFlags } from '../../init-args.js';
import type { Driver, DriverOptions, Prepared } from '../driver.js';
import { resolveUser } from './user.js';

export class ProcessDriver implements Driver {
  readonly name: string = 'process';
  readonly #cgroups: CgroupManager;

  /** Starting a driver sweeps the empty cgroups that dead supervisors left (in the background). */
  constructor(options: DriverOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalid('the process driver options', 'an object', options);
    const root = options.cgroupRoot;
    if (root !== undefined && (typeof root !== 'string' || !isAbsolute(root) || root.includes('\0'))) {
      throw invalid('the `cgroupRoot` option', 'an absolute path', root);
    }
    this.#cgroups = new CgroupManager(root);
    this.#cgroups.start();
  }

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
    if (needsCgroup(command.resources)) checkResources(command.resources);
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
    const prepared = this.#spawnable(command, env, uid, gid);
    if (needsCgroup(command.resources)) {
      // Last: nothing that can still fail comes after the cgroup is made.
      const cgroup = await this.#cgroups.create(command.id, command.resources);
      prepared.join = [...cgroup.procs];
      prepared.hooks = this.#cgroups.hooks(cgroup);
    }
    return prepared;
  }

  killAllSync(): void {
    this.#cgroups.killAllSync();
  }

  #spawnable(command: Command, env: Record<string, string>, uid?: number, gid?: number): Prepared {
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
