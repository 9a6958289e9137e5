/** What a Tree's transaction keeps while it runs: its scribes so far and how to undo them. */
import type { Op } from '../shared/index.js';

/**
 * One running transaction of a tree. A lone operation (Tree.apply outside any transaction) starts
 * without undo: it checks everything, validators included, before it changes the tree, so it has
 * nothing to undo unless something nests in it, which turns undo on from there ({@link keepUndo}).
 */
export class Transaction {
  /** The scribes so far (replaced, not pushed to, when the first arrives: a lone op keeps a one-slot array). */
  ops: Op[] = [];
  /** How to undo each recorded mutation, newest last; null while nothing needs undoing. */
  #undo: (() => void)[] | null;

  constructor(
    readonly origin: string,
    undoing: boolean,
  ) {
    this.#undo = undoing ? [] : null;
  }

  /** Whether mutations record how to undo them (ask after running any user code: nesting turns it on). */
  get undoing(): boolean {
    return this.#undo !== null;
  }

  /** Turns undo on (something nests in a lone operation) and returns the mark to roll back to. */
  keepUndo(): number {
    this.#undo ??= [];
    return this.#undo.length;
  }

  /** Records an applied mutation's scribe and, when undoing, how to undo it. */
  record(op: Op, undo: (() => void) | undefined): void {
    if (this.ops.length === 0) this.ops = [op];
    else this.ops.push(op);
    if (this.#undo !== null) this.#undo.push(undo as () => void);
  }

  /** Undoes the mutations back to the `mark`th, newest first; whether anything was undone. */
  rollback(mark: number): boolean {
    const undo = this.#undo;
    if (undo === null || undo.length === mark) return false;
    for (let i = undo.length - 1; i >= mark; i--) (undo[i] as () => void)();
    undo.length = mark;
    this.ops.length = mark;
    return true;
  }
}
