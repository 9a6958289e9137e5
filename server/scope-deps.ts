/**
 * What each object's scope rule read beyond its own values: its parent, the parent's name, a
 * sibling's owner, its own children.
 * A rule is run through {@link ScopeDependencies.run}, which notes the other objects whose values,
 * parent, children or index it read; a change to one of those (visibility's `before`) then
 * rescopes the objects that depend on it, as a change to their own values would, so that such a
 * rule never goes stale.
 */
import type { Node } from './node.js';
import { readsOf } from './server-object.js';
import type { ServerObject } from './types.js';

const NONE: readonly Node[] = [];

/** The record of what scope rules read of other nodes (see the module's comment). */
export class ScopeDependencies {
  /** For each node another's rule read: the nodes whose rule read it. */
  readonly #dependents = new WeakMap<Node, Set<Node>>();
  /** For each node whose rule read others: those others. */
  readonly #reads = new WeakMap<Node, Set<Node>>();
  #evaluating: Node | undefined;
  #found: Set<Node> | undefined;
  /** Nodes recorded as readers (a destroyed one counts until it is pruned): 0 means no rule reads beyond its own values. */
  #readers = 0;

  // A rule's reads of its own values change only with ops on its object, which rescope it anyway;
  // its reads of its own parent or children do not (a move, a child created), so they count.
  readonly #onRead = (node: Node, structure: boolean): void => {
    if (structure || node !== this.#evaluating) (this.#found ??= new Set()).add(node);
  };

  /** Runs `rule` for `node` (through its handle), noting what it read of other nodes. */
  run(node: Node, rule: (object: ServerObject) => unknown, handle: ServerObject): unknown {
    const outer = [this.#evaluating, this.#found] as const;
    this.#evaluating = node;
    this.#found = undefined;
    try {
      return readsOf(rule, handle, this.#onRead);
    } finally {
      this.#depend(node, this.#found);
      [this.#evaluating, this.#found] = outer;
    }
  }

  /** Whether no rule has read anything beyond its own values: then nothing depends on anything. */
  get empty(): boolean {
    return this.#readers === 0;
  }

  /** The live nodes whose rule read `node` when it last ran (a copy: rescoping them may change the record). */
  dependentsOf(node: Node): readonly Node[] {
    const set = this.#dependents.get(node);
    if (set === undefined) return NONE;
    const out: Node[] = [];
    for (const d of set) {
      if (d.alive) out.push(d);
      else {
        // Destroyed: forget it here; its own record goes with it (weakly held).
        set.delete(d);
        if (this.#reads.delete(d)) this.#readers--;
      }
    }
    return out;
  }

  /** Records that `node`'s rule read `found` (and no longer what it read before). */
  #depend(node: Node, found: Set<Node> | undefined): void {
    const old = this.#reads.get(node);
    if (old === undefined && found === undefined) return;
    if (old !== undefined) for (const x of old) if (found?.has(x) !== true) this.#dependents.get(x)?.delete(node);
    if (found === undefined) {
      this.#reads.delete(node);
      this.#readers--;
      return;
    }
    if (old === undefined) this.#readers++;
    for (const x of found) {
      let set = this.#dependents.get(x);
      if (set === undefined) this.#dependents.set(x, (set = new Set()));
      set.add(node);
    }
    this.#reads.set(node, found);
  }
}
