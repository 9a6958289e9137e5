/**
 * A client's proposal in its own terms: under visibility rules, objects a client cannot see do not
 * exist for it, and the indices it gives among children count only the children it sees.
 */
import { ErrorCode, OP, fail, type ObjectId, type Op } from '../shared/index.js';
import type { Node } from './node.js';
import type { Chain, Viewer } from './viewer.js';
import type { ChainSource } from './visibility-stream.js';

/**
 * A proposal's op as the server must apply it for a viewer that does not see everything: objects
 * it cannot see do not exist for it (UNKNOWN_OBJECT), and indices among children count only
 * the children it sees (BAD_INDEX past them).
 */
export function translateOp(vis: ChainSource, viewer: Viewer, op: Op): Op {
  const visible = (id: ObjectId): Node => {
    const node = vis.tree.find(id);
    if (node === undefined || !viewer.sees(vis.chainOf(node))) fail(ErrorCode.UNKNOWN_OBJECT, `no object ${String(id)}`, id);
    return node;
  };
  switch (op[0]) {
    case OP.create: {
      const parent = visible(op[3]);
      return [op[0], op[1], op[2], op[3], realIndex(vis, viewer, parent, op[4], null), op[5]];
    }
    case OP.destroy:
      visible(op[1]);
      return op;
    case OP.move: {
      const node = visible(op[1]);
      const parent = visible(op[2]);
      return [op[0], op[1], op[2], realIndex(vis, viewer, parent, op[3], node)];
    }
    default:
      visible(op[1]);
      return op;
  }
}

/** The index among all children of the `index`-th child `viewer` sees (-1 stays: last). */
function realIndex(vis: ChainSource, viewer: Viewer, parent: Node, index: number, moving: Node | null): number {
  if (index < 0 || !Number.isSafeInteger(index)) return index;
  const memo = new Map<Node, Chain>();
  let seen = 0;
  let at = 0;
  for (const child of parent.children) {
    if (child === moving) continue;
    if (viewer.sees(vis.chainOf(child, memo))) {
      if (seen === index) return at;
      seen++;
    }
    at++;
  }
  if (seen === index) return at;
  return fail(ErrorCode.BAD_INDEX, `index ${String(index)} outside 0..${seen}`, parent.id);
}
