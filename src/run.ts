/**
 * The main thread's side of one run: its MessagePort to the owning worker, the start callback (fired
 * exactly once, on spawn), kill requests and their answers, and the promise of the exit.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { attachPid, type Command } from './command.js';
import type { ToMain, ToWorker } from './protocol.js';

export class Run {
  readonly command: Command;
  readonly slot: number;
  /** The port to hand to the worker (transferred with the task). */
  readonly workerPort: MessagePort;
  pid = -1;
  /** The command's start time (field 22 of its stat), with pid its identity. */
  startTime = 0;
  /** A restorable run: close() detaches from it instead of killing it. */
  restorable = false;
  /** Runs before the start callback, once the pid is known (a restorable run records its entry there). */
  beforeStart: ((run: Run) => void) | undefined;
  started = false;
  exited = false;
  /** Set when the start callback threw: the tree was killed and run() rejects with it. */
  callbackError: unknown;
  aborted = false;
  readonly #port: MessagePort;
  readonly #onStart: (run: Run) => void;
  readonly #pending = new Map<number, (sent: boolean) => void>();
  #nextReq = 0;

  constructor(command: Command, slot: number, onStart: (run: Run) => void) {
    this.command = command;
    this.slot = slot;
    this.#onStart = onStart;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.workerPort = port2;
    port1.on('message', (message: ToMain) => this.#receive(message));
  }

  #receive(message: ToMain): void {
    if (message.t === 'spawned') this.markStarted(message.pid, message.startTime);
    else if (message.t === 'killed') this.#answer(message.req, message.sent);
  }

  /** Fires the start once, whichever comes first: the 'spawned' message or the task's result. */
  markStarted(pid: number, startTime: number): void {
    if (this.started || pid <= 0) return;
    this.started = true;
    this.pid = pid;
    this.startTime = startTime;
    this.command[attachPid](pid);
    try {
      this.beforeStart?.(this);
    } catch (error) {
      this.callbackError = error;
      void this.kill(9, false);
      return;
    }
    this.#onStart(this);
  }

  /** Lets a restorable run go: the worker stops watching it, the command runs on under its shim. */
  detach(): void {
    if (this.exited || !this.restorable) return;
    this.#port.postMessage({ t: 'detach' } satisfies ToWorker);
  }

  /** Asks the owning worker to signal the tree; resolves false when the process had already exited. */
  kill(signal: number, escalate: boolean): Promise<boolean> {
    if (this.exited) return Promise.resolve(false);
    const req = this.#nextReq++;
    return new Promise((resolve) => {
      this.#pending.set(req, resolve);
      this.#port.postMessage({ t: 'kill', req, signal, escalate } satisfies ToWorker);
    });
  }

  /** The process has exited and been reaped: detach and answer whatever is still asked. */
  finish(): void {
    // The task's result comes on the pool's port; what the worker posted on ours before it may still be
    // queued: take it now, in order, so no answer is lost.
    for (let m = receiveMessageOnPort(this.#port); m; m = receiveMessageOnPort(this.#port)) this.#receive(m.message);
    this.exited = true;
    this.command[attachPid](-1);
    this.#port.close();
    for (const resolve of this.#pending.values()) resolve(false);
    this.#pending.clear();
  }

  #answer(req: number, sent: boolean): void {
    this.#pending.get(req)?.(sent);
    this.#pending.delete(req);
  }
}
