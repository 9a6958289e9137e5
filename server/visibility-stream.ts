/**
 * The stream of one committed transaction for one audience (the viewers with the same verdicts):
 * ops on objects the audience cannot see are left out, an object that becomes visible arrives as
 * creates of its visible subtree (with the values of that moment), one that becomes invisible as a
 * destroy, and structural indices count only the siblings the audience sees.
 */
import { OP, detach, type Json, type ObjectId, type Op } from '../shared/index.js';
import type { Node } from './node.js';
import type { Chain, Viewer } from './viewer.js';

/** One object whose place or visibility a transaction changed. */
export interface Entry {
  readonly node: Node;
  /** Its chain before the transaction; null when it did not exist. */
  readonly before: Chain | null;
  /** Its chain after; null when it is gone. */
  readonly after: Chain | null;
  readonly moved: boolean;
}

/** What a stream is computed from: the tree's nodes and their chains now. */
export interface ChainSource {
  readonly tree: { find(id: ObjectId): Node | undefined };
  /** A node's chain now (`memo` caches chains within one computation). */
  chainOf(node: Node, memo?: Map<Node, Chain>): Chain;
}

/** The work shared by the viewers of one transaction. */
export class StreamContext {
  constructor(
    readonly vis: ChainSource,
    readonly ops: readonly Op[],
    readonly entries: readonly Entry[],
    readonly created: ReadonlySet<ObjectId>,
    readonly memo: Map<Node, Chain>,
    /** The parent before the transaction of each node it moved. */
    readonly parentsBefore: ReadonlyMap<Node, Node | null>,
    /** The children before the transaction of each parent whose children it changed. */
    readonly childrenBefore: ReadonlyMap<Node, readonly Node[]>,
  ) {
    for (const e of entries) this.#entries.set(e.node, e);
  }

  readonly #entries = new Map<Node, Entry>();

  #seesNow(viewer: Viewer, node: Node): boolean {
    return viewer.sees(this.vis.chainOf(node, this.memo));
  }

  /** A viewer's stream of a transaction that changed structure. */
  stream(viewer: Viewer): Op[] {
    const out: Op[] = [];
    const vanishing = new Set<Node>();
    for (const e of this.entries) {
      if (e.before !== null && viewer.sees(e.before) && (e.after === null || !viewer.sees(e.after))) vanishing.add(e.node);
    }
    // Destroys first, only the topmost (before the transaction) of each vanishing subtree.
    const removed = new Set<Node>();
    for (const node of vanishing) {
      if (!this.#insideBefore(node, vanishing)) {
        out.push([OP.destroy, node.id]);
        removed.add(node);
      }
    }
    // Then appearances and moves, parents first, by final index within a parent.
    const placed = this.entries
      .filter((e) => e.after !== null && viewer.sees(e.after))
      .map((e) => ({ e, depth: depth(e.node), index: e.node.parent?.children.indexOf(e.node) ?? -1 }))
      .sort((a, b) => a.depth - b.depth || (a.e.node.parent?.id ?? 0) - (b.e.node.parent?.id ?? 0) || a.index - b.index);
    const shown = new Set<Node>();
    const mirror = new MirrorChildren(this, viewer, removed);
    // An object the mirror holds (it saw it, and no destroy took it) is moved, never created again.
    const held = (n: Node): boolean => {
      const x = this.#entries.get(n);
      return x !== undefined && x.before !== null && viewer.sees(x.before) && !removed.has(n) && !this.#insideBefore(n, removed);
    };
    for (const { e } of placed) {
      if (shown.has(e.node)) continue;
      const parent = e.node.parent;
      if (parent === null) continue;
      const wasShown = held(e.node);
      if (wasShown && !e.moved) continue;
      const index = mirror.place(parent, e.node, wasShown ? this.#parentBefore(e.node) : null);
      if (wasShown) {
        out.push([OP.move, e.node.id, parent.id, index]);
        continue;
      }
      // It appears: its visible subtree, with the values of this moment.
      let first = true;
      walkVisible(e.node, (n) => this.#seesNow(viewer, n) && !held(n), (n) => {
        shown.add(n);
        const p = n.parent as Node;
        const at = first ? index : mirror.place(p, n, null);
        first = false;
        mirror.appear(n);
        const values: Record<string, Json> = {};
        n.type.attrNames.forEach((name, k) => (values[name] = detach(n.values[k]) as Json));
        out.push([OP.create, n.id, n.typeIndex, p.id, at, values]);
      });
    }
    for (const op of this.topicOps(viewer, shown)) out.push(op);
    return out;
  }

  /** The attribute changes a viewer sees: on objects it sees, not created or shown anew in this transaction. */
  topicOps(viewer: Viewer, shown: ReadonlySet<Node>): Op[] {
    const out: Op[] = [];
    for (const op of this.ops) {
      if (op[0] === OP.create || op[0] === OP.destroy || op[0] === OP.move) continue;
      if (this.created.has(op[1])) continue;
      const node = this.vis.tree.find(op[1]);
      if (node === undefined || shown.has(node) || !this.#seesNow(viewer, node)) continue;
      out.push(op);
    }
    return out;
  }


  /** Whether an ancestor of `node` (before the transaction) is in `set`. */
  #insideBefore(node: Node, set: ReadonlySet<Node>): boolean {
    for (let at = this.#parentBefore(node); at !== null; at = this.#parentBefore(at)) if (set.has(at)) return true;
    return false;
  }

  /** Whether the viewer held `node` before the transaction. */
  sawBefore(viewer: Viewer, node: Node): boolean {
    const e = this.#entries.get(node);
    if (e !== undefined) return e.before !== null && viewer.sees(e.before);
    // Untouched, under a parent whose place and scope held: as visible as it is now.
    return !this.created.has(node.id) && this.#seesNow(viewer, node);
  }

  #parentBefore(node: Node): Node | null {
    return this.parentsBefore.has(node) ? (this.parentsBefore.get(node) ?? null) : node.parent;
  }

}

function depth(node: Node): number {
  let d = 0;
  for (let at = node.parent; at !== null; at = at.parent) d++;
  return d;
}

/** Calls `fn` for `node` and its descendants that `sees`, parents first, skipping hidden subtrees. */
function walkVisible(node: Node, sees: (n: Node) => boolean, fn: (n: Node) => void): void {
  const stack: Node[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    fn(n);
    for (let i = n.children.length - 1; i >= 0; i--) {
      const child = n.children[i] as Node;
      if (sees(child)) stack.push(child);
    }
  }
}

/**
 * The children of each parent as one viewer's mirror holds them at this point of its stream: made on
 * first use from the order before the transaction (what the viewer saw, less what the stream
 * destroyed), then kept up as the stream moves and creates. A node is placed right after its nearest
 * preceding sibling (in the final order) that the mirror holds, so the index is right whatever the
 * stream has yet to move out of or within that parent.
 */
class MirrorChildren {
  readonly #lists = new Map<Node, Node[]>();
  /** The members of each list, to find a held sibling without a scan of the list per sibling. */
  readonly #members = new Map<Node, Set<Node>>();

  constructor(
    readonly context: StreamContext,
    readonly viewer: Viewer,
    readonly removed: ReadonlySet<Node>,
  ) {}

  #listOf(parent: Node): Node[] {
    let list = this.#lists.get(parent);
    if (list === undefined) {
      const before = this.context.childrenBefore.get(parent) ?? parent.children;
      list = before.filter((c) => !this.removed.has(c) && this.context.sawBefore(this.viewer, c));
      this.#lists.set(parent, list);
      this.#members.set(parent, new Set(list));
    }
    return list;
  }

  /** A node the stream creates: the mirror holds none of its children yet. */
  appear(node: Node): void {
    this.#lists.set(node, []);
    this.#members.set(node, new Set());
  }

  /** Places `node` among `parent`'s children (taking it from `from`, where the mirror held it) and returns its index there. */
  place(parent: Node, node: Node, from: Node | null): number {
    if (from !== null) {
      const old = this.#listOf(from);
      const i = old.indexOf(node);
      if (i >= 0) old.splice(i, 1);
      this.#members.get(from)?.delete(node);
    }
    const list = this.#listOf(parent);
    const held = this.#members.get(parent) as Set<Node>;
    const siblings = parent.children;
    let at = 0;
    for (let k = siblings.indexOf(node) - 1; k >= 0; k--) {
      const sibling = siblings[k] as Node;
      if (held.has(sibling)) {
        at = list.indexOf(sibling) + 1;
        break;
      }
    }
    list.splice(at, 0, node);
    held.add(node);
    return at;
  }
}
