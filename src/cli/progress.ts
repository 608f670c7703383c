/**
 * The batch's progress line on a terminal: "[#####-----] 9/20  2 failed  3.40 jobs/s  ETA 3.24 s",
 * redrawn in place (carriage return, erase to end of line). Messages printed while it shows go above it.
 * When stderr is not a terminal there is no bar: messages are written as they come.
 */
import { performance } from 'node:perf_hooks';
import { formatDuration, formatRate } from './io.js';

export interface ProgressState {
  done: number;
  total: number;
  failed: number;
  elapsedMs: number;
}

/** One line no longer than `columns - 1` (so the terminal never wraps it). */
export function renderProgress(state: ProgressState, columns: number): string {
  const { done, total, failed, elapsedMs } = state;
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const eta = done >= total ? 0 : rate > 0 ? ((total - done) / rate) * 1000 : NaN;
  const text = ` ${done}/${total}  ${failed} failed  ${formatRate(rate)} jobs/s  ETA ${formatDuration(eta)}`;
  const width = Math.min(30, columns - 1 - text.length - 2);
  if (width < 5) return text.trimStart().slice(0, Math.max(0, columns - 1));
  const filled = total > 0 ? Math.min(width, Math.floor((width * done) / total)) : width;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${text}`;
}

export interface Reporter {
  update(done: number, failed: number): void;
  /** Prints a whole line (above the bar, if there is one). */
  log(line: string): void;
  /** Runs `write`, which prints to stdout; when stdout is the bar's terminal too, the output goes above the bar. */
  around(write: () => void): void;
  stop(): void;
}

type Stream = NodeJS.WritableStream & { columns?: number };

/**
 * The progress bar when `stream` is a terminal, else plain line output. `sharesTerminal`: stdout is a
 * terminal too (the same one, as far as we can tell), so what is written there must not land on the bar.
 */
export function reporter(stream: Stream & { isTTY?: boolean }, total: number, sharesTerminal: boolean): Reporter {
  return stream.isTTY ? new ProgressBar(stream, total, sharesTerminal) : new PlainReporter(stream);
}

class PlainReporter implements Reporter {
  readonly #stream: Stream;
  constructor(stream: Stream) {
    this.#stream = stream;
  }
  update(): void {}
  log(line: string): void {
    this.#stream.write(`${line}\n`);
  }
  around(write: () => void): void {
    write();
  }
  stop(): void {}
}

export class ProgressBar implements Reporter {
  readonly #stream: Stream;
  readonly #started = performance.now();
  readonly #timer: NodeJS.Timeout;
  readonly #state: ProgressState;
  readonly #sharesTerminal: boolean;
  #lastDraw = 0;
  #stopped = false;

  constructor(stream: Stream, total: number, sharesTerminal = false) {
    this.#stream = stream;
    this.#sharesTerminal = sharesTerminal;
    this.#state = { done: 0, total, failed: 0, elapsedMs: 0 };
    // Rate and ETA move with time, not only with completions.
    this.#timer = setInterval(() => this.#draw(), 250);
    this.#timer.unref();
    this.#draw();
  }

  update(done: number, failed: number): void {
    this.#state.done = done;
    this.#state.failed = failed;
    // At most ~20 redraws a second however fast jobs finish; always draw the last one.
    if (done === this.#state.total || performance.now() - this.#lastDraw >= 50) this.#draw();
  }

  log(line: string): void {
    if (this.#stopped) {
      this.#stream.write(`${line}\n`);
      return;
    }
    this.#stream.write(`\r\x1b[K${line}\n`);
    this.#draw();
  }

  around(write: () => void): void {
    if (this.#stopped || !this.#sharesTerminal) return write();
    this.#stream.write('\r\x1b[K');
    write();
    this.#draw();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#stream.write('\r\x1b[K');
  }

  #draw(): void {
    if (this.#stopped) return;
    this.#lastDraw = performance.now();
    this.#state.elapsedMs = this.#lastDraw - this.#started;
    this.#stream.write(`\r${renderProgress(this.#state, this.#stream.columns || 80)}\x1b[K`);
  }
}
