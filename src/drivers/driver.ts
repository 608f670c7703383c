/**
 * The plug: a driver turns a Command into what a worker spawns, and refuses (before anything is spawned)
 * every field it cannot honour. Supervision itself (pool, kill, wait, timeouts) is the Supervisor's.
 */
import type { Command } from '../command.js';

export interface Prepared {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

export interface Driver {
  readonly name: string;
  /** Validates the command for this driver and resolves what needs I/O (users, directories). */
  prepare(command: Command): Promise<Prepared>;
}

export type DriverFactory = () => Driver;
