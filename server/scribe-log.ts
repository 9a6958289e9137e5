/** A bounded in-memory window of recent scribes, for catch-up joins. */
import type { Op } from '../shared/index.js';

/** Recent scribes of one tree: ops and origins by seq, the oldest dropped past the window. */
export class ScribeLog {
  #ops: Op[] = [];
  #origins: string[] = [];
  /** The seq of #ops[0]. */
  #first = 1;

  constructor(readonly window: number) {}

  /** Appends committed scribes with seqs firstSeq, firstSeq + 1, ... */
  append(firstSeq: number, ops: readonly Op[], origin: string): void {
    if (this.#ops.length === 0) this.#first = firstSeq;
    for (const op of ops) {
      this.#ops.push(op);
      this.#origins.push(origin);
    }
    // Trim in chunks so appends stay O(1) amortized.
    if (this.#ops.length > this.window * 2) {
      const drop = this.#ops.length - this.window;
      this.#ops = this.#ops.slice(drop);
      this.#origins = this.#origins.slice(drop);
      this.#first += drop;
    }
  }

  /** The scribes after `since` up to the last, or undefined when the window no longer holds them all. */
  since(since: number, last: number): { ops: Op[]; origins: string[] } | undefined {
    if (since >= last) return { ops: [], origins: [] };
    if (since + 1 < this.#first || this.#ops.length === 0) return undefined;
    const from = since + 1 - this.#first;
    return { ops: this.#ops.slice(from), origins: this.#origins.slice(from) };
  }
}
