/**
 * The piscina task: runs inside a worker thread. It starts the command through the execdriver-shim,
 * owns the shim until it has exited, its stdio has drained and it has been reaped, and only then
 * resolves. It is never aborted: cancellation arrives as 'kill' messages on the run's own MessagePort;
 * a restorable run can also be let go ('detach'), leaving the command to its shim.
 */
import { workerData } from 'node:worker_threads';
import type { RunTask, TaskResult, ToMain, ToWorker, WorkerData } from '../src/protocol.js';
import { OwnedChild } from './owned-child.js';

const live = new Int32Array((workerData as WorkerData).live);

export default async function runTask({ spec, port }: RunTask): Promise<TaskResult> {
  const child = OwnedChild.spawn(spec, live);
  const send = (message: ToMain) => port.postMessage(message);
  port.on('message', (message: ToWorker) => {
    if (message.t === 'kill') {
      try {
        send({ t: 'killed', req: message.req, sent: child.signal(message.signal, message.escalate) });
      } catch (error) {
        send({ t: 'killed', req: message.req, sent: false, error: String((error as Error).message) });
      }
    } else if (message.t === 'detach') {
      child.detach();
    }
  });
  try {
    const started = await child.started;
    if ('failure' in started) return started.failure;
    send({ t: 'spawned', pid: started.pid, startTime: started.startTime });
    return await child.result();
  } finally {
    port.close();
  }
}
