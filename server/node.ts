/** The server's mutable representation of one object. */
import type { AnyTypeDef, ObjectId } from '../shared/index.js';

/** One object in a server tree: plain, mutable, never shared with callers directly. */
export interface Node {
  readonly id: ObjectId;
  readonly type: AnyTypeDef;
  readonly typeIndex: number;
  parent: Node | null;
  readonly children: Node[];
  /** Attribute values in the type's attribute order. */
  readonly values: unknown[];
  /** False once destroyed. */
  alive: boolean;
  /** The cached handle, made on first use. */
  handle?: unknown;
}

/**
 * Calls `fn` for a node and every descendant, parents before children, siblings in order.
 * An explicit stack, not recursion: a client can build a chain 100,000 objects deep.
 */
export function walk(node: Node, fn: (n: Node) => void): void {
  const stack: Node[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    fn(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i] as Node);
  }
}

/** Whether `candidate` is `node` or one of its descendants (walks up from candidate: O(depth)). */
export function isWithin(candidate: Node, node: Node): boolean {
  for (let n: Node | null = candidate; n !== null; n = n.parent) if (n === node) return true;
  return false;
}
