/**
 * Errors, after Docker's execdriver: one base class with a stable `code`, a subclass per failure the
 * caller can act on, the seed's message first and the detail after it, the underlying error as `cause`.
 */
import type { ExitResult } from './result.js';

export class ExecDriverError extends Error {
  readonly code: string;

  constructor(code: string, message: string, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${message}: ${detail}` : message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The command's process is not running: it could not be started, or it has already exited. */
export class ErrNotRunning extends ExecDriverError {
  static readonly message = 'Process could not be started';
  constructor(detail?: string, options?: { cause?: unknown }) {
    super('ERR_NOT_RUNNING', ErrNotRunning.message, detail, options);
  }
}

/** A wait (or a run's `timeout`) expired. `result` is set when the process was killed for it and reaped. */
export class ErrWaitTimeoutReached extends ExecDriverError {
  static readonly message = 'Wait timeout reached';
  readonly result: ExitResult | undefined;
  constructor(detail?: string, options?: { cause?: unknown; result?: ExitResult }) {
    super('ERR_WAIT_TIMEOUT_REACHED', ErrWaitTimeoutReached.message, detail, options);
    this.result = options?.result;
  }
}

export class ErrDriverAlreadyRegistered extends ExecDriverError {
  static readonly message = 'A driver already registered this docker init function';
  constructor(detail?: string) {
    super('ERR_DRIVER_ALREADY_REGISTERED', ErrDriverAlreadyRegistered.message, detail);
  }
}

export class ErrDriverNotFound extends ExecDriverError {
  static readonly message = 'The requested docker init has not been found';
  constructor(detail?: string) {
    super('ERR_DRIVER_NOT_FOUND', ErrDriverNotFound.message, detail);
  }
}

/** A run was cancelled through its AbortSignal; `result` is the killed process's result, `cause` the signal's reason. */
export class ErrRunAborted extends ExecDriverError {
  readonly result: ExitResult | undefined;
  constructor(detail?: string, options?: { cause?: unknown; result?: ExitResult }) {
    super('ERR_RUN_ABORTED', 'Run aborted', detail, options);
    this.result = options?.result;
  }
}

/** A Command field this driver cannot honour (rootfs, network, tty, ...). Nothing was spawned. */
export class ErrUnsupportedField extends ExecDriverError {
  readonly field: string;
  constructor(field: string, driver: string, detail: string) {
    super('ERR_UNSUPPORTED_FIELD', `The ${driver} driver cannot honour \`${field}\``, detail);
    this.field = field;
  }
}

/** The supervisor is closed or closing: no new run is accepted. */
export class ErrSupervisorClosed extends ExecDriverError {
  constructor() {
    super('ERR_SUPERVISOR_CLOSED', 'The supervisor is closed');
  }
}

/** Describes a value for an error message, execa's way: "`-5` (number)". */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${JSON.stringify(value)}\` (string)`;
  if (value === null) return '`null`';
  if (Array.isArray(value)) return `\`${safeJson(value)}\` (array)`;
  if (typeof value === 'object') return `\`${safeJson(value)}\` (object)`;
  if (typeof value === 'function') return 'a function';
  return `\`${String(value)}\` (${typeof value})`;
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** A TypeError in execa's form: "Expected the `timeout` option to be ..., got `-5` (number)". */
export function invalid(what: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Expected ${what} to be ${expected}, got ${describe(value)}.`);
}
