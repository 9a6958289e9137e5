/**
 * Adaptive batching of a tree's scribes for broadcast: sent at once when the line is idle,
 * coalesced under load so that sending takes at most a set share of the CPU. Every scribe is
 * still delivered, in order; a transaction never straddles two batches.
 */
import type { BatchArgs, Op } from '../shared/index.js';
import type { TxnStreams } from './visibility.js';
import { SERVER_ORIGIN } from '../shared/index.js';

/** How long a refused batch waits before it is offered again. */
const RETRY_MS = 100;

/** How a tree's scribes are batched for broadcast. */
export interface FlushOptions {
  /**
   * 'adaptive' (default): at the end of the current event-loop turn when the line is idle, otherwise
   * after a pause that keeps sending under `duty` of the CPU; 'tick': once per event-loop turn;
   * 'immediate': every commit is sent as it happens.
   */
  readonly mode?: 'adaptive' | 'tick' | 'immediate';
  /** Adaptive: the longest a scribe waits for company, in ms (default 16). */
  readonly maxDelayMs?: number;
  /** Adaptive: the share of CPU time the synchronous part of broadcasting may take, 0 < duty <= 1 (default 0.08; the socket writes completing afterwards cost about as much again). */
  readonly duty?: number;
}

/** Buffers one tree's committed scribes and decides when to send them. */
export class Fanout {
  #ops: Op[] = [];
  /** With visibility: each pending transaction's per-audience streams. */
  #txns: TxnStreams[] = [];
  #runs: [number, string][] = [];
  #firstSeq = 0;
  #fromClients = false;
  #timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;
  #lastEnd = -Infinity;
  #cost = 0;
  readonly #mode: NonNullable<FlushOptions['mode']>;
  readonly #maxDelay: number;
  readonly #duty: number;

  constructor(
    readonly ref: number,
    /** Sends a batch (with its transactions' streams, under visibility); returns false to refuse it for now (the store is not durable): it is kept and retried. */
    readonly send: (args: BatchArgs, txns: readonly TxnStreams[]) => boolean,
    options: FlushOptions = {},
  ) {
    this.#mode = options.mode ?? 'adaptive';
    this.#maxDelay = options.maxDelayMs ?? 16;
    this.#duty = Math.min(1, Math.max(0.01, options.duty ?? 0.08));
  }

  /** How many scribes wait to be sent. */
  get pending(): number {
    return this.#ops.length;
  }

  /** Adds a committed transaction's scribes and schedules a flush. */
  push(firstSeq: number, ops: readonly Op[], origin: string, streams?: TxnStreams): void {
    if (this.#ops.length === 0) this.#firstSeq = firstSeq;
    if (streams !== undefined) this.#txns.push(streams);
    for (const op of ops) this.#ops.push(op);
    const last = this.#runs[this.#runs.length - 1];
    if (last !== undefined && last[1] === origin) last[0] += ops.length;
    else this.#runs.push([ops.length, origin]);
    if (origin !== SERVER_ORIGIN) this.#fromClients = true;
    this.#schedule();
  }

  /** Sends everything pending now, as one batch. */
  flush(): void {
    this.#cancel();
    if (this.#ops.length === 0) return;
    const args: BatchArgs = this.#fromClients ? [this.ref, this.#firstSeq, this.#ops, this.#runs] : [this.ref, this.#firstSeq, this.#ops];
    const start = performance.now();
    if (!this.send(args, this.#txns)) {
      // Nothing was sent: keep the batch (later commits append to it) and try again shortly.
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, RETRY_MS);
      return;
    }
    this.#ops = [];
    this.#txns = [];
    this.#runs = [];
    this.#fromClients = false;
    this.#lastEnd = performance.now();
    this.#cost = this.#cost * 0.7 + (this.#lastEnd - start) * 0.3;
  }

  /** Drops the pending timer (the buffer stays). */
  #cancel(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as ReturnType<typeof setTimeout>);
    clearImmediate(this.#timer as ReturnType<typeof setImmediate>);
    this.#timer = undefined;
  }

  /** The timer's callback, made once (not a closure per scheduled flush). */
  readonly #run = (): void => {
    this.#timer = undefined;
    this.flush();
  };

  #schedule(): void {
    if (this.#timer !== undefined) return;
    if (this.#mode === 'immediate') return this.flush();
    const run = this.#run;
    if (this.#mode === 'tick') {
      this.#timer = setImmediate(run);
      return;
    }
    // Pause after a flush in proportion to what it cost: cost / (cost + pause) = duty.
    const pause = Math.min(this.#maxDelay, (this.#cost * (1 - this.#duty)) / this.#duty);
    const wait = this.#lastEnd + pause - performance.now();
    this.#timer = wait <= 0 ? setImmediate(run) : setTimeout(run, wait);
  }

  /** Flushes and stops scheduling. */
  close(): void {
    this.flush();
    this.#cancel();
  }
}
