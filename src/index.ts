export { Command, type CommandInit, type CommandJSON, type Network, type Resources } from './command.js';
export {
  ExecDriverError, ErrNotRunning, ErrWaitTimeoutReached, ErrDriverAlreadyRegistered, ErrDriverNotFound,
  ErrRunAborted, ErrUnsupportedField, ErrSupervisorClosed,
} from './errors.js';
export { Supervisor, type SupervisorOptions, type SupervisorEvents, type StartCallback, type Info } from './supervisor.js';
export type { RunOptions } from './options.js';
export type { ExitResult, CgroupUsage, Usage } from './result.js';
export { ErrCgroup } from './cgroups/errors.js';
export { ErrStateCorrupt } from './state/store.js';
export { defaultStateDir } from './state/dir.js';
export type { Driver, DriverFactory, DriverOptions, Prepared, RunHooks } from './drivers/driver.js';
export { ProcessDriver } from './drivers/process/driver.js';
export { registerDriver, getDriver, registerInitFunc, getInitFunc } from './registry.js';
export { type InitArgs, type InitFunc, formatInitFlags, parseInitFlags } from './init-args.js';
export { initMain } from '../workers/init-main.js';
export { defaultInitPath } from './paths.js';
