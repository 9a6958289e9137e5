/** Puts a server tree and a client mirror in one comparable shape. */
import type { Tree } from '../../server/index.js';
import type { TreeState } from '../../client/index.js';

/** One object, comparable across server and client. */
export interface Plain {
  type: string;
  parent: number | null;
  children: number[];
  values: Record<string, unknown>;
}

/** The server tree as plain data (a deep copy). */
export function serverPlain(tree: Tree): Record<number, Plain> {
  const out: Record<number, Plain> = {};
  for (const [id, typeIndex, parent, values] of tree.snapshot()) {
    const type = tree.registry.at(typeIndex);
    out[id] = {
      type: type.name,
      parent: parent === -1 ? null : parent,
      children: [],
      values: Object.fromEntries(type.attrNames.map((name, i) => [name, structuredClone(values[i])])),
    };
    if (parent !== -1) out[parent]?.children.push(id);
  }
  return out;
}

/** A mirror's state as plain data. */
export function mirrorPlain(state: TreeState): Record<number, Plain> {
  const out: Record<number, Plain> = {};
  for (const o of Object.values(state.objects)) {
    out[o.id] = { type: o.type, parent: o.parent, children: [...o.children], values: structuredClone({ ...o.values }) };
  }
  return out;
}
