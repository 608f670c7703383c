/**
 * Command: what to run, after Docker's execdriver.Command. Validated once, in the constructor; a bad
 * field throws a TypeError naming it, so nothing is ever spawned from a malformed command.
 */
import { randomUUID } from 'node:crypto';
import { invalid } from './errors.js';

export interface Network {
  gateway: string;
  ipAddress: string;
  bridge: string;
  ipPrefixLen: number;
  mtu: number;
}

export interface Resources {
  /** Memory limit in bytes (0 = none). */
  memory: number;
  /** Memory plus swap in bytes, as in Docker (0 = none, -1 = unlimited swap). */
  memorySwap: number;
  /** Relative CPU weight (cgroup v1 cpu.shares; 0 = default). */
  cpuShares: number;
}

export interface CommandInit {
  id?: string;
  entrypoint: string;
  arguments?: readonly string[];
  workingDir?: string;
  user?: string;
  privileged?: boolean;
  rootfs?: string;
  initPath?: string;
  configPath?: string;
  tty?: boolean;
  /** null or absent: no network configuration ("none" in the seed). */
  network?: Partial<Network> | null;
  config?: Record<string, readonly string[]>;
  resources?: Partial<Resources> | null;
  /** Added on top of the supervisor's environment. */
  env?: Record<string, string>;
}

/** The seed's json tags (what toJSON writes and fromJSON reads), plus env. */
export interface CommandJSON {
  id: string;
  privileged: boolean;
  user: string;
  rootfs: string;
  initpath: string;
  entrypoint: string;
  arguments: string[];
  working_dir: string;
  config_path: string;
  tty: boolean;
  network: { gateway: string; ip: string; bridge: string; ip_prefix_len: number; mtu: number } | null;
  config: Record<string, string[]>;
  resources: { memory: number; memory_swap: number; cpu_shares: number } | null;
  env?: Record<string, string>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Attaches or detaches the process; module-internal to the supervisor. */
export const attachPid: unique symbol = Symbol('execdriver.attachPid');

export class Command {
  readonly id: string;
  readonly entrypoint: string;
  readonly arguments: readonly string[];
  readonly workingDir: string;
  readonly user: string;
  readonly privileged: boolean;
  readonly rootfs: string;
  readonly initPath: string;
  readonly configPath: string;
  readonly tty: boolean;
  readonly network: Readonly<Network> | null;
  readonly config: Readonly<Record<string, readonly string[]>>;
  readonly resources: Readonly<Resources> | null;
  readonly env: Readonly<Record<string, string>>;
  #pid = -1;

  constructor(init: CommandInit) {
    if (init === null || typeof init !== 'object') throw invalid('the Command', 'an object', init);
    this.id = init.id === undefined ? randomUUID() : checkId(init.id);
    this.entrypoint = nonEmpty('entrypoint', init.entrypoint);
    this.arguments = Object.freeze(stringArray('arguments', init.arguments ?? []));
    this.workingDir = optionalString('workingDir', init.workingDir);
    this.user = optionalString('user', init.user);
    this.privileged = bool('privileged', init.privileged);
    this.rootfs = optionalString('rootfs', init.rootfs);
    this.initPath = optionalString('initPath', init.initPath);
    this.configPath = optionalString('configPath', init.configPath);
    this.tty = bool('tty', init.tty);
    this.network = init.network == null ? null : network(init.network);
    this.config = Object.freeze(config(init.config ?? {}));
    this.resources = init.resources == null ? null : resources(init.resources);
    this.env = Object.freeze(env(init.env ?? {}));
    Object.freeze(this.network);
    Object.freeze(this.resources);
  }

  /** The pid of the running process, or -1 while no process is attached. */
  pid(): number {
    return this.#pid;
  }

  [attachPid](pid: number): void {
    this.#pid = pid;
  }

  /** The seed's json tags (no process in it), plus env when set. */
  toJSON(): CommandJSON {
    const n = this.network;
    const r = this.resources;
    const json: CommandJSON = {
      id: this.id,
      privileged: this.privileged,
      user: this.user,
      rootfs: this.rootfs,
      initpath: this.initPath,
      entrypoint: this.entrypoint,
      arguments: [...this.arguments],
      working_dir: this.workingDir,
      config_path: this.configPath,
      tty: this.tty,
      network: n && { gateway: n.gateway, ip: n.ipAddress, bridge: n.bridge, ip_prefix_len: n.ipPrefixLen, mtu: n.mtu },
      config: Object.fromEntries(Object.entries(this.config).map(([k, v]) => [k, [...v]])),
      resources: r && { memory: r.memory, memory_swap: r.memorySwap, cpu_shares: r.cpuShares },
    };
    if (Object.keys(this.env).length > 0) json.env = { ...this.env };
    return json;
  }

  /** Reads the seed's json tags (as toJSON writes them); validates like the constructor. */
  static fromJSON(json: unknown): Command {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid('a command', 'a JSON object', json);
    const j = json as Partial<Record<keyof CommandJSON, any>>;
    const n = j.network;
    const r = j.resources;
    return new Command({
      id: j.id,
      entrypoint: j.entrypoint,
      arguments: j.arguments,
      workingDir: j.working_dir,
      user: j.user,
      privileged: j.privileged,
      rootfs: j.rootfs,
      initPath: j.initpath,
      configPath: j.config_path,
      tty: j.tty,
      network:
        n == null || typeof n !== 'object'
          ? n
          : { gateway: n.gateway, ipAddress: n.ip, bridge: n.bridge, ipPrefixLen: n.ip_prefix_len, mtu: n.mtu },
      config: j.config,
      resources:
        r == null || typeof r !== 'object' ? r : { memory: r.memory, memorySwap: r.memory_swap, cpuShares: r.cpu_shares },
      env: j.env,
    });
  }
}

function field(name: string): string {
  return `the Command's \`${name}\``;
}

function checkId(value: unknown): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw invalid(field('id'), '1-128 characters of [A-Za-z0-9_.-], not starting with [_.-]', value);
  }
  return value;
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw invalid(field(name), 'a non-empty string', value);
  }
  return value;
}

function optionalString(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.includes('\0')) throw invalid(field(name), 'a string', value);
  return value;
}

function bool(name: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(field(name), 'a boolean', value);
  return value;
}

function stringArray(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && !item.includes('\0'))) {
    throw invalid(field(name), 'an array of strings', value);
  }
  return [...value];
}

function int(name: string, value: unknown, min: number): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(field(name), `an integer >= ${min}`, value);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function network(value: unknown): Network {
  if (!isRecord(value)) throw invalid(field('network'), 'an object or null', value);
  return {
    gateway: optionalString('network.gateway', value.gateway),
    ipAddress: optionalString('network.ipAddress', value.ipAddress),
    bridge: optionalString('network.bridge', value.bridge),
    ipPrefixLen: int('network.ipPrefixLen', value.ipPrefixLen, 0),
    mtu: int('network.mtu', value.mtu, 0),
  };
}

function resources(value: unknown): Resources {
  if (!isRecord(value)) throw invalid(field('resources'), 'an object or null', value);
  const memory = int('resources.memory', value.memory, 0);
  const memorySwap = int('resources.memorySwap', value.memorySwap, -1);
  if (memorySwap > 0 && (memory === 0 || memorySwap < memory)) {
    throw invalid(field('resources.memorySwap'), `-1, 0, or at least resources.memory (${memory}) with memory set`, memorySwap);
  }
  return { memory, memorySwap, cpuShares: int('resources.cpuShares', value.cpuShares, 0) };
}

function config(value: unknown): Record<string, string[]> {
  if (!isRecord(value)) throw invalid(field('config'), 'an object of string arrays', value);
  const out: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(value)) out[key] = stringArray(`config.${key}`, list);
  return out;
}

function env(value: unknown): Record<string, string> {
  if (!isRecord(value)) throw invalid(field('env'), 'an object of strings', value);
  for (const [key, item] of Object.entries(value)) {
    if (key === '' || key.includes('=') || key.includes('\0')) throw invalid(field('env') + ' keys', 'names without "="', key);
    if (typeof item !== 'string' || item.includes('\0')) throw invalid(field(`env.${key}`), 'a string', item);
  }
  return { ...(value as Record<string, string>) };
}
