/**
 * What each object's scope rule read beyond its own values: its parent, the parent's name, a
 * sibling's owner, its own children. A rule is run through {@link ScopeDependencies.run}, which
 * notes the nodes whose values, or whose structure (parent, children, index), it read; a change to
 * those (visibility's `before`) then rescopes the objects that read them, as a change to their own
 * values would, so that such a rule never goes stale.
 *
 * Inside a transaction the record only grows: a rule run mid-transaction (a proposal's index
 * translation, say) sees a state that may yet be rolled back, and a reader destroyed mid-transaction
 * may come back. {@link ScopeDependencies.settle}, at commit or abort, runs the rules of every node
 * whose record changed meanwhile against the final state, and forgets the readers that are gone.
 */
import { walk, type Node } from './node.js';
import { readsOf } from './server-object.js';
import type { ServerObject } from './types.js';

/** What a rule read of a node: its values, its structure (parent, children, index), or both. */
export const VALUES = 1;
export const STRUCTURE = 2;

const NONE: readonly Node[] = [];

/** The record of what scope rules read of other nodes (see the module's comment). */
export class ScopeDependencies {
  /** For each node read, the nodes whose rule read its values; and its structure. */
  readonly #valueReaders = new WeakMap<Node, Set<Node>>();
  readonly #structureReaders = new WeakMap<Node, Set<Node>>();
  /** For each reader: the nodes it read, with the kinds (bits) it read of each. */
  readonly #reads = new WeakMap<Node, Map<Node, number>>();
  /** Readers recorded: 0 means no rule reads beyond its own values (every check can be skipped). */
  #count = 0;
  /** In a transaction (from the first `begin` to `settle`): records only grow, dead readers stay. */
  #open = false;
  /** Readers whose record grew, or that were found dead, in the open transaction. */
  readonly #dirty = new Set<Node>();
  #evaluating: Node | undefined;
  #found: Map<Node, number> | undefined;

  // A rule's reads of its own values change only with ops on its object, which rescope it anyway;
  // its reads of its own parent or children do not (a move, a child created), so they count.
  readonly #onRead = (node: Node, structure: boolean): void => {
    if (!structure && node === this.#evaluating) return;
    const found = (this.#found ??= new Map());
    found.set(node, (found.get(node) ?? 0) | (structure ? STRUCTURE : VALUES));
  };

  /** Whether no rule has read anything beyond its own values: then nothing depends on anything. */
  get empty(): boolean {
    return this.#count === 0;
  }

  /** A transaction is under way: until {@link settle}, records only grow. */
  begin(): void {
    this.#open = true;
  }

  /** Runs `rule` for `node` (through its handle), noting what it read of other nodes. */
  run(node: Node, rule: (object: ServerObject) => unknown, handle: ServerObject): unknown {
    const evaluating = this.#evaluating;
    const found = this.#found;
    this.#evaluating = node;
    this.#found = undefined;
    try {
      return readsOf(rule, handle, this.#onRead);
    } finally {
      this.#record(node, this.#found);
      this.#evaluating = evaluating;
      this.#found = found;
    }
  }

  /** Whether `node`'s rule read anything beyond its own values when it last ran (its key can change without an op on it). */
  reads(node: Node): boolean {
    return this.#reads.has(node);
  }

  /** The live nodes whose rule read `kind` (VALUES or STRUCTURE) of `node` when it last ran. */
  readersOf(node: Node, kind: typeof VALUES | typeof STRUCTURE): readonly Node[] {
    const set = this.#byKind(kind).get(node);
    if (set === undefined || set.size === 0) return NONE;
    const out: Node[] = [];
    for (const reader of set) {
      if (reader.alive) out.push(reader);
      else if (this.#open) this.#dirty.add(reader);
      else this.#forget(reader);
    }
    return out;
  }

  /**
   * Ends a transaction (committed or rolled back): runs `rerun` (the rule, through visibility's
   * keyOf) for each live node whose record changed meanwhile, so that it holds what the rule reads
   * now, and forgets the dead ones, with every node of `destroyed`'s subtrees.
   */
  settle(rerun: (node: Node) => void, destroyed: Iterable<Node> = NONE): void {
    this.#open = false;
    if (this.#count === 0) {
      this.#dirty.clear();
      return;
    }
    for (const node of destroyed) if (!node.alive) walk(node, (n) => this.#dirty.add(n));
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const node of dirty) {
      if (node.alive) rerun(node);
      else this.#forget(node);
    }
  }

  /** Records what `node`'s rule read: in a transaction added to its record, else in its place. */
  #record(node: Node, found: Map<Node, number> | undefined): void {
    if (!node.alive) {
      // A destroyed node's rule (run for its key before the transaction) reads for nobody; a
      // rollback that brings it back has settle run it again.
      if (this.#open) this.#dirty.add(node);
      else this.#forget(node);
      return;
    }
    const old = this.#reads.get(node);
    if (old === undefined && found === undefined) return;
    if (this.#open) {
      if (found === undefined) return;
      const merged = new Map(old);
      for (const [n, kinds] of found) merged.set(n, (merged.get(n) ?? 0) | kinds);
      this.#replace(node, old, merged);
      this.#dirty.add(node);
      return;
    }
    this.#replace(node, old, found);
  }

  /** Replaces `node`'s record `old` with `next`, registering it as a reader of what it reads now only. */
  #replace(node: Node, old: Map<Node, number> | undefined, next: Map<Node, number> | undefined): void {
    if (old !== undefined) {
      for (const [n, kinds] of old) {
        const still = next?.get(n) ?? 0;
        for (const kind of [VALUES, STRUCTURE] as const) if ((kinds & kind) !== 0 && (still & kind) === 0) this.#byKind(kind).get(n)?.delete(node);
      }
    }
    if (next === undefined) {
      if (old !== undefined) this.#count--;
      this.#reads.delete(node);
      return;
    }
    for (const [n, kinds] of next) {
      for (const kind of [VALUES, STRUCTURE] as const) {
        if ((kinds & kind) === 0) continue;
        const byNode = this.#byKind(kind);
        let set = byNode.get(n);
        if (set === undefined) byNode.set(n, (set = new Set()));
        set.add(node);
      }
    }
    if (old === undefined) this.#count++;
    this.#reads.set(node, next);
  }

  #byKind(kind: typeof VALUES | typeof STRUCTURE): WeakMap<Node, Set<Node>> {
    return kind === VALUES ? this.#valueReaders : this.#structureReaders;
  }

  /** Drops a dead reader's record, and its place among the readers of what it read. */
  #forget(node: Node): void {
    this.#replace(node, this.#reads.get(node), undefined);
  }
}
