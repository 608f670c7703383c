/**
 * The piscina task: runs inside a worker thread. It spawns the command with execa, owns the child until
 * it has exited, its stdio has drained and it has been reaped, and only then resolves. It is never
 * aborted: cancellation arrives as 'kill' messages on the run's own MessagePort.
 */
import { workerData } from 'node:worker_threads';
import type { RunTask, TaskResult, ToMain, ToWorker, WorkerData } from '../src/protocol.js';
import { OwnedChild } from './owned-child.js';

const live = new Int32Array((workerData as WorkerData).live);

export default async function runTask({ spec, port }: RunTask): Promise<TaskResult> {
  const child = OwnedChild.spawn(spec, live);
  if (child.pid < 0) {
    port.close();
    return child.failure();
  }
  const send = (message: ToMain) => port.postMessage(message);
  send({ t: 'spawned', pid: child.pid });
  port.on('message', (message: ToWorker) => {
    if (message.t === 'kill') {
      try {
        send({ t: 'killed', req: message.req, sent: child.signal(message.signal, message.escalate) });
      } catch (error) {
        send({ t: 'killed', req: message.req, sent: false, error: String((error as Error).message) });
      }
    }
  });
  try {
    return await child.result();
  } finally {
    port.close();
  }
}
