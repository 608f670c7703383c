/**
 * The file piscina loads in each worker: CommonJS on purpose. piscina first require()s its filename;
 * on Node >= 20.19 that loads an ES module through require(esm), and when that ever falls back to
 * import() while a concurrent task's require() of the same graph is under way, Node aborts the whole
 * process ("v8::Module::IsGraphAsync must be used on an instantiated module", seen here under load).
 * A CommonJS entry is require()d safely, and every task reaches the ES module through one import().
 */
import type { RunTask, TaskResult } from '../src/protocol.js';

let handler: Promise<(task: RunTask) => Promise<TaskResult>> | undefined;

module.exports = function runTaskEntry(task: RunTask): Promise<TaskResult> {
  handler ??= import('./run-task.js').then((m) => m.default);
  return handler.then((run) => run(task));
};
