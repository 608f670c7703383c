/**
 * The two registries of the seed: drivers by name (the plug a Supervisor is built on) and init functions
 * by driver name (what the init program runs). Built-ins: the 'process' driver and its init function.
 */
import { ErrDriverAlreadyRegistered, ErrDriverNotFound, invalid } from './errors.js';
import type { Driver, DriverFactory, DriverOptions } from './drivers/driver.js';
import type { InitFunc } from './init-args.js';
import { ProcessDriver } from './drivers/process/driver.js';
import { processInit } from './drivers/process/init.js';

const drivers = new Map<string, DriverFactory>();
const initFuncs = new Map<string, InitFunc>();

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalid('the name', 'a non-empty string', name);
  return name;
}

export function registerDriver(name: string, factory: DriverFactory): void {
  if (typeof factory !== 'function') throw invalid('the driver factory', 'a function', factory);
  if (drivers.has(checkName(name))) throw new ErrDriverAlreadyRegistered(`driver "${name}"`);
  drivers.set(name, factory);
}

/** A new instance of the named driver, given the Supervisor's options for drivers. */
export function getDriver(name: string, options?: DriverOptions): Driver {
  const factory = drivers.get(checkName(name));
  if (!factory) throw new ErrDriverNotFound(`no driver "${name}" (registered: ${[...drivers.keys()].join(', ')})`);
  return factory(options);
}

export function registerInitFunc(name: string, fn: InitFunc): void {
  if (typeof fn !== 'function') throw invalid('the init function', 'a function', fn);
  if (initFuncs.has(checkName(name))) throw new ErrDriverAlreadyRegistered(`init function "${name}"`);
  initFuncs.set(name, fn);
}

export function getInitFunc(name: string): InitFunc {
  const fn = initFuncs.get(checkName(name));
  if (!fn) throw new ErrDriverNotFound(`no init function "${name}" (registered: ${[...initFuncs.keys()].join(', ')})`);
  return fn;
}

registerDriver('process', (options) => new ProcessDriver(options));
registerInitFunc('process', processInit);
