import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ErrDriverAlreadyRegistered, ErrDriverNotFound, ErrNotRunning, ErrWaitTimeoutReached, ExecDriverError,
} from '../src/index.js';

describe('errors', () => {
  it('carry the seed messages, a stable code and the cause', () => {
    const cause = new Error('spawn x ENOENT');
    const cases: [ExecDriverError, string, string][] = [
      [new ErrNotRunning(undefined, { cause }), 'Process could not be started', 'ERR_NOT_RUNNING'],
      [new ErrWaitTimeoutReached(), 'Wait timeout reached', 'ERR_WAIT_TIMEOUT_REACHED'],
      [new ErrDriverAlreadyRegistered(), 'A driver already registered this docker init function', 'ERR_DRIVER_ALREADY_REGISTERED'],
      [new ErrDriverNotFound(), 'The requested docker init has not been found', 'ERR_DRIVER_NOT_FOUND'],
    ];
    for (const [error, message, code] of cases) {
      assert.ok(error instanceof ExecDriverError);
      assert.ok(error instanceof Error);
      assert.equal(error.message, message);
      assert.equal(error.code, code);
      assert.equal(error.name, error.constructor.name);
    }
    assert.equal(cases[0]![0].cause, cause);
    assert.equal(new ErrNotRunning('detail').message, 'Process could not be started: detail');
  });
});
