/**
 * Applies a batch of scribes to a mirror's immutable state with immer: one new root per batch,
 * untouched objects keep their references. Returns the new state and what the batch did, as
 * the events a mirror emits.
 */
import { current, freeze, isDraft, isModified, original, produce } from 'immer';
import {
  ErrorCode,
  OP,
  SERVER_ORIGIN,
  applyTopicOp,
  checkTopicOp,
  detach,
  fail,
  type Json,
  type ObjectId,
  type Op,
} from '../shared/index.js';
import type { TypeCatalog } from './catalog.js';
import type { AppliedOp, ChangeEvent, DestroyEvent, MoveEvent, ObjectState, TreeState } from './types.js';

/** An object while a batch or snapshot is being applied. */
export interface MutableObject {
  id: ObjectId;
  type: string;
  parent: ObjectId | null;
  children: ObjectId[];
  values: Record<string, unknown>;
}

interface MutableTree {
  seq: number;
  root: ObjectId;
  objects: Record<ObjectId, MutableObject>;
}

/** A new state and the events that lead to it from the previous one. */
export interface StateDiff {
  readonly state: TreeState;
  /** Ids of objects that appeared, parents before children. */
  readonly created: readonly ObjectId[];
  /** Objects that vanished, children first. */
  readonly destroyed: readonly DestroyEvent[];
  readonly moved: readonly MoveEvent[];
  /** One per (object, attribute). */
  readonly changed: readonly ChangeEvent[];
}


/** Expands run-length origins `[[count, clientId], ...]` to one origin per op; undefined means all 'server'. */
export function expandOrigins(raw: unknown, count: number): readonly string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) fail(ErrorCode.BAD_MESSAGE, 'batch origins are not an array');
  const out: string[] = [];
  for (const run of raw as unknown[]) {
    if (!Array.isArray(run) || typeof run[0] !== 'number' || typeof run[1] !== 'string') fail(ErrorCode.BAD_MESSAGE, 'a batch origin is not [count, clientId]');
    for (let k = 0; k < run[0] && out.length < count; k++) out.push(run[1]);
  }
  return out;
}

function objectAt(draft: MutableTree, id: ObjectId): MutableObject {
  const o = draft.objects[id];
  if (o === undefined) fail(ErrorCode.UNKNOWN_OBJECT, `no object ${String(id)}`, id);
  return o;
}

function insertAt(list: ObjectId[], index: number, id: ObjectId): void {
  if (!Number.isSafeInteger(index) || index < 0 || index > list.length) fail(ErrorCode.BAD_INDEX, `index ${String(index)} outside 0..${list.length}`, id);
  list.splice(index, 0, id);
}

function removeChild(parent: MutableObject, id: ObjectId): void {
  const at = parent.children.indexOf(id);
  if (at < 0) fail(ErrorCode.INTERNAL, `${String(id)} is not a child of ${String(parent.id)}`, id);
  parent.children.splice(at, 1);
}

/** The last state of an object about to be deleted from a draft: the previous reference when untouched. */
function lastState(o: MutableObject): ObjectState {
  if (!isDraft(o)) return freeze(o as unknown as ObjectState, true);
  if (!isModified(o)) return original(o);
  return freeze(current(o) as unknown as ObjectState, true);
}

/** Ids in `created` that survived, each after its parent when the parent was created too. */
function parentsFirst(created: readonly ObjectId[], state: TreeState): ObjectId[] {
  const pending = new Set(created.filter((id) => state.objects[id] !== undefined));
  const out: ObjectId[] = [];
  for (const id of created) {
    const chain: ObjectId[] = [];
    for (let at: ObjectId | null | undefined = id; at != null && pending.has(at); at = state.objects[at]?.parent) {
      pending.delete(at);
      chain.push(at);
    }
    for (let k = chain.length - 1; k >= 0; k--) out.push(chain[k] as ObjectId);
  }
  return out;
}

/**
 * Applies scribes `firstSeq ..` to `prev` (whose seq must be firstSeq - 1). Throws a SyncError on
 * an op that does not fit the state (the mirror then resynchronizes); `prev` is never changed.
 * `pending`: the ops are this client's own, not yet confirmed; the state keeps `prev.seq` and
 * every applied op is marked pending (with seq `prev.seq`). `lastSeq`: a filtered batch (the server
 * left out what this client may not see) that brings the state to `lastSeq`; its ops carry that seq.
 */
export function applyBatch(prev: TreeState, catalog: TypeCatalog, firstSeq: number, ops: readonly Op[], origins?: readonly string[], pending = false, lastSeq?: number): StateDiff {
  const created: ObjectId[] = [];
  const createdSet = new Set<ObjectId>();
  const destroyed: DestroyEvent[] = [];
  const moves = new Map<ObjectId, ObjectId | null>();
  const changes = new Map<string, { id: ObjectId; attr: string; ops: AppliedOp[] }>();

  const state = produce(prev, (d) => {
    const draft = d as unknown as MutableTree;
    ops.forEach((op, i) => {
      switch (op[0]) {
        case OP.create: {
          const [, id, typeIndex, parentId, index, given] = op;
          const type = catalog.at(typeIndex);
          if (type === undefined) fail(ErrorCode.UNKNOWN_TYPE, `no type #${String(typeIndex)}`, typeIndex);
          if (draft.objects[id] !== undefined) fail(ErrorCode.BAD_MESSAGE, `object ${String(id)} exists already`, id);
          const parent = objectAt(draft, parentId);
          // A pending create at -1 goes last, wherever last is now.
          const at = pending && index === -1 ? parent.children.length : index;
          const values: Record<string, unknown> = {};
          type.attrNames.forEach((name, k) => {
            values[name] = detach(Object.hasOwn(given, name) ? given[name] : type.specs[k]?.default);
          });
          insertAt(parent.children, at, id);
          draft.objects[id] = { id, type: type.name, parent: parentId, children: [], values };
          created.push(id);
          createdSet.add(id);
          return;
        }
        case OP.destroy: {
          const target = objectAt(draft, op[1]);
          if (target.parent === null) fail(ErrorCode.BAD_PARENT, 'the root cannot be destroyed', op[1]);
          removeChild(objectAt(draft, target.parent), op[1]);
          // Pre-order, reversed: every object comes after its descendants (children first).
          const order: ObjectId[] = [];
          const stack: ObjectId[] = [op[1]];
          while (stack.length > 0) {
            const id = stack.pop() as ObjectId;
            order.push(id);
            for (const child of objectAt(draft, id).children) stack.push(child);
          }
          for (let k = order.length - 1; k >= 0; k--) {
            const id = order[k] as ObjectId;
            if (!createdSet.has(id)) destroyed.push({ id, state: lastState(objectAt(draft, id)) });
            delete draft.objects[id];
          }
          return;
        }
        case OP.move: {
          const [, id, parentId, index] = op;
          const target = objectAt(draft, id);
          if (target.parent === null) fail(ErrorCode.BAD_PARENT, 'the root cannot be moved', id);
          const to = objectAt(draft, parentId);
          for (let at: ObjectId | null = parentId; at !== null; at = objectAt(draft, at).parent) {
            if (at === id) fail(ErrorCode.BAD_PARENT, `cannot move ${String(id)} into its own subtree`, id);
          }
          removeChild(objectAt(draft, target.parent), id);
          insertAt(to.children, pending && index === -1 ? to.children.length : index, id);
          if (!moves.has(id) && !createdSet.has(id)) moves.set(id, prev.objects[id]?.parent ?? null);
          target.parent = parentId;
          return;
        }
        default: {
          const target = objectAt(draft, op[1]);
          const type = catalog.byName(target.type);
          const name = type?.attrNames[op[2]];
          const spec = type?.specs[op[2]];
          if (name === undefined || spec === undefined) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `${target.type} has no attribute #${String(op[2])}`, op[2]);
          // The server checked its own ops; a pending one may meet a state it was not made for.
          const checked = pending ? checkTopicOp(spec, target.values[name], op, name) : op;
          // A set keeps a container of its own: later ops of the batch change it in place.
          target.values[name] = checked[0] === OP.set ? detach(checked[3]) : applyTopicOp(target.values[name], checked);
          if (createdSet.has(op[1])) return;
          const key = `${String(op[1])}:${name}`;
          let change = changes.get(key);
          if (change === undefined) changes.set(key, (change = { id: op[1], attr: name, ops: [] }));
          change.ops.push(pending ? { op: checked, seq: prev.seq, origin: origins?.[i] ?? SERVER_ORIGIN, pending } : { op, seq: lastSeq ?? firstSeq + i, origin: origins?.[i] ?? SERVER_ORIGIN });
        }
      }
    });
    if (!pending) draft.seq = lastSeq ?? firstSeq + ops.length - 1;
  });

  const moved: MoveEvent[] = [];
  for (const [id, oldParent] of moves) {
    const o = state.objects[id];
    if (o === undefined || o.parent === null) continue;
    moved.push({ id, oldParent, newParent: o.parent, index: state.objects[o.parent]?.children.indexOf(id) ?? -1 });
  }
  const changed: ChangeEvent[] = [];
  for (const { id, attr, ops: applied } of changes.values()) {
    const after = state.objects[id];
    if (after === undefined) continue;
    const before = prev.objects[id]?.values as Readonly<Record<string, unknown>> | undefined;
    changed.push({ id, attr, ops: applied, oldValue: before?.[attr], newValue: (after.values as Readonly<Record<string, Json>>)[attr] });
  }
  return { state, created: parentsFirst(created, state), destroyed, moved, changed };
}
