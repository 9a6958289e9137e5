/** A bounded in-memory window of recent scribes, for catch-up joins. */
import type { Op } from '../shared/index.js';

/**
 * Recent scribes of one tree: ops and origins by seq, the last `window` of them, in a ring that
 * stops growing once full, so an append allocates nothing (a log that grew and was cut back
 * allocated its whole window again every `window` scribes).
 */
export class ScribeLog {
  readonly #ops: Op[] = [];
  readonly #origins: string[] = [];
  /** Where the oldest held scribe sits in the arrays (0 until the ring is full). */
  #head = 0;
  /** The seq of the oldest held scribe. */
  #first = 1;

  constructor(readonly window: number) {
    // A fractional window would never wrap the ring (and return the wrong scribes); a negative one would never stop growing.
    if (!Number.isSafeInteger(window) || window < 0) throw new RangeError(`logWindow must be a whole number of scribes, at least 0 (got ${String(window)})`);
  }

  /** Appends committed scribes with seqs firstSeq, firstSeq + 1, ... */
  append(firstSeq: number, ops: readonly Op[], origin: string): void {
    const held = this.#ops;
    if (held.length === 0) this.#first = firstSeq;
    for (const op of ops) {
      if (held.length < this.window) {
        held.push(op);
        this.#origins.push(origin);
        continue;
      }
      if (this.window === 0) return;
      // Full: the newest takes the oldest's place.
      const at = this.#head;
      held[at] = op;
      this.#origins[at] = origin;
      this.#head = at + 1 === this.window ? 0 : at + 1;
      this.#first++;
    }
  }

  /** The scribes after `since` up to `last`, or undefined when the window does not hold them all. */
  since(since: number, last: number): { ops: Op[]; origins: string[] } | undefined {
    if (since >= last) return { ops: [], origins: [] };
    const held = this.#ops;
    if (since + 1 < this.#first || last > this.#first + held.length - 1) return undefined;
    const from = since + 1 - this.#first;
    const count = last - since;
    const ops = new Array<Op>(count);
    const origins = new Array<string>(count);
    for (let i = 0, at = (this.#head + from) % held.length; i < count; i++, at = at + 1 === held.length ? 0 : at + 1) {
      ops[i] = held[at] as Op;
      origins[i] = this.#origins[at] as string;
    }
    return { ops, origins };
  }
}
