/**
 * Optimistic state: a mirror shows the server's confirmed state plus this client's own pending
 * proposals, re-applied on top after every confirmed change. Objects a pending proposal creates
 * get local ids (far below any temp id of a proposal) until the server's ack names their real ids.
 */
import { OP, SERVER_ORIGIN, type Json, type ObjectId, type Op } from '../shared/index.js';
import type { StateDiff } from './apply-batch.js';
import type { TypeCatalog } from './catalog.js';
import { jsonEqual } from './snapshot.js';
import type { AppliedOp, ChangeEvent, DestroyEvent, MoveEvent, ObjectState, TreeState } from './types.js';

/** Local ids of objects created by pending proposals are at or below this (temp ids of one proposal are -1, -2, ...). */
export const LOCAL_ID_BASE = -(2 ** 31);

/** Whether `id` is a local id: an object a pending proposal created, not yet named by the server. */
export function isLocalId(id: ObjectId): boolean {
  return id <= LOCAL_ID_BASE;
}

/** Rewrites the object ids an op names (its target, and the parent of a create or move). */
export function mapIds(op: Op, map: (id: ObjectId) => ObjectId): Op {
  switch (op[0]) {
    case OP.create:
      return [op[0], map(op[1]), op[2], map(op[3]), op[4], op[5]];
    case OP.destroy:
      return [op[0], map(op[1])];
    case OP.move:
      return [op[0], map(op[1]), map(op[2]), op[3]];
    default:
      return [op[0], map(op[1]), ...op.slice(2)] as unknown as Op;
  }
}

/** Whether an op names an id (its target, or the parent of a create or move) for which `test` holds. */
export function names(op: Op, test: (id: ObjectId) => boolean): boolean {
  switch (op[0]) {
    case OP.create:
      return test(op[1]) || test(op[3]);
    case OP.move:
      return test(op[1]) || test(op[2]);
    default:
      return test(op[1]);
  }
}

/** What a change to the confirmed state (batches or a snapshot) did, gathered until it is shown. */
export class Touched {
  readonly ids = new Set<ObjectId>();
  /** Explicitly moved objects. */
  readonly moved = new Set<ObjectId>();
  /** The ops behind each (object, attribute) change, for the change events. */
  readonly ops = new Map<string, AppliedOp[]>();

  /** Adds what one diff touched. */
  add(diff: StateDiff): this {
    for (const id of diff.created) this.ids.add(id);
    for (const e of diff.destroyed) this.ids.add(e.id);
    for (const e of diff.moved) {
      this.ids.add(e.id);
      this.moved.add(e.id);
    }
    for (const e of diff.changed) {
      this.ids.add(e.id);
      const key = `${String(e.id)}:${e.attr}`;
      const known = this.ops.get(key);
      if (known === undefined) this.ops.set(key, [...e.ops]);
      else known.push(...e.ops);
    }
    return this;
  }

  /** Adds everything `other` touched (its ops are not kept: they are superseded by what is shown). */
  merge(other: Touched): this {
    for (const id of other.ids) this.ids.add(id);
    for (const id of other.moved) this.moved.add(id);
    return this;
  }
}

function depth(state: TreeState, id: ObjectId): number {
  let d = 0;
  for (let at = state.objects[id]?.parent ?? null; at !== null; at = state.objects[at]?.parent ?? null) d++;
  return d;
}

function alive(prev: TreeState, next: TreeState, id: ObjectId): boolean {
  const a = prev.objects[id];
  const b = next.objects[id];
  return a !== undefined && b !== undefined && a.type === b.type;
}

/**
 * The events between two states that differ only in the objects `touched` names: work grows with
 * what was touched, never with the tree. Values that were recomputed but are deep-equal are not
 * reported; `origin` is the client id credited with changes no confirmed op explains.
 */
export function diffTouched(prev: TreeState, next: TreeState, catalog: TypeCatalog, touched: Touched, origin: string): StateDiff {
  const destroyed: DestroyEvent[] = [];
  const created: ObjectId[] = [];
  const moved: MoveEvent[] = [];
  const changed: ChangeEvent[] = [];
  const gone: ObjectId[] = [];
  for (const id of touched.ids) {
    const before = prev.objects[id];
    const after = next.objects[id];
    if (before === after) continue;
    if (before !== undefined && !alive(prev, next, id)) gone.push(id);
    if (after !== undefined && !alive(prev, next, id)) {
      created.push(id);
      continue;
    }
    if (before === undefined || after === undefined) continue;
    const index = after.parent === null ? -1 : (next.objects[after.parent]?.children.indexOf(id) ?? -1);
    const oldIndex = before.parent === null ? -1 : (prev.objects[before.parent]?.children.indexOf(id) ?? -1);
    if (before.parent !== after.parent || (touched.moved.has(id) && index !== oldIndex)) {
      moved.push({ id, oldParent: before.parent, newParent: after.parent, index });
    }
    if (before.values === after.values) continue;
    const b = before.values as Readonly<Record<string, unknown>>;
    const a = after.values as Readonly<Record<string, unknown>>;
    catalog.byName(after.type)?.attrNames.forEach((attr, k) => {
      if (b[attr] === a[attr] || jsonEqual(b[attr], a[attr])) return;
      const ops = touched.ops.get(`${String(id)}:${attr}`) ?? [{ op: [OP.set, id, k, a[attr] as Json] as const, seq: next.seq, origin: origin || SERVER_ORIGIN }];
      changed.push({ id, attr, ops, oldValue: b[attr], newValue: a[attr] });
    });
  }
  // Children before parents when vanishing; parents before children when appearing.
  gone.sort((x, y) => depth(prev, y) - depth(prev, x));
  for (const id of gone) destroyed.push({ id, state: prev.objects[id] as ObjectState });
  created.sort((x, y) => depth(next, x) - depth(next, y));
  return { state: next, created, destroyed, moved, changed };
}
