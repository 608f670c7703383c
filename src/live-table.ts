/**
 * The live table: a SharedArrayBuffer of pids that the workers fill in the moment they spawn and clear
 * the moment their child is reaped. The main thread hands out the slots and, when the process is about
 * to die, reads the table synchronously to kill every tree still alive, including one whose 'spawned'
 * message is still in flight.
 */
export class LiveTable {
  readonly buffer: SharedArrayBuffer;
  readonly #pids: Int32Array;
  readonly #free: number[] = [];
  #next = 0;

  constructor(capacity: number) {
    this.buffer = new SharedArrayBuffer(capacity * Int32Array.BYTES_PER_ELEMENT);
    this.#pids = new Int32Array(this.buffer);
  }

  get capacity(): number {
    return this.#pids.length;
  }

  /** A free slot index, or -1 when every slot is taken. */
  acquire(): number {
    if (this.#free.length > 0) return this.#free.pop()!;
    return this.#next < this.#pids.length ? this.#next++ : -1;
  }

  release(slot: number): void {
    Atomics.store(this.#pids, slot, 0);
    this.#free.push(slot);
  }

  /** Synchronously SIGKILLs the process group of every live child. Never signals pid <= 0. */
  killAll(): void {
    for (let slot = 0; slot < this.#next; slot++) this.killSlot(slot);
  }

  /** SIGKILLs the process group whose pid the slot holds, if any (pid <= 0: nothing). */
  killSlot(slot: number): void {
    const pid = Atomics.load(this.#pids, slot);
    if (pid <= 0) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
