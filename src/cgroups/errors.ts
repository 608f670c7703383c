import { ExecDriverError } from '../errors.js';

/**
 * A command's `resources` cannot be applied: no writable cgroup, a controller missing, a value the
 * kernel refused. Thrown before anything is spawned; nothing of the run's cgroup is left behind.
 */
export class ErrCgroup extends ExecDriverError {
  /** The Command field that could not be applied, when it is one field ('resources.memorySwap'). */
  readonly field: string | undefined;
  constructor(detail: string, options?: { cause?: unknown; field?: string }) {
    super('ERR_CGROUP', "The Command's `resources` cannot be applied", detail, options);
    this.field = options?.field;
  }
}

export function errorText(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
