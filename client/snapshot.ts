/**
 * Materializes a snapshot (`joined` with `snapshot`) into a mirror's state. Over an existing
 * state (a re-snapshot after a long disconnect) it keeps the references of whatever did not
 * change and reports the difference as the events a batch would have produced.
 */
import { ErrorCode, FLAT_HEAD, OP, SERVER_ORIGIN, fail, type Json, type ObjectId } from '../shared/index.js';
import { deepFreeze, type MutableObject, type StateDiff } from './apply-batch.js';
import type { TypeCatalog } from './catalog.js';
import type { ChangeEvent, DestroyEvent, MoveEvent, ObjectState, TreeState } from './types.js';

/** Deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function isId(v: unknown): v is ObjectId {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** The children of every object that has none, shared (frozen): a batch copies a children array before it writes one. */
const NO_CHILDREN: ObjectId[] = Object.freeze([]) as unknown as ObjectId[];

function readObjects(catalog: TypeCatalog, wire: unknown): { root: ObjectId; objects: Record<ObjectId, MutableObject>; order: ObjectId[] } {
  if (!Array.isArray(wire) || wire.length === 0) fail(ErrorCode.BAD_MESSAGE, 'a snapshot must be a non-empty array');
  const flat = wire as readonly unknown[];
  const objects: Record<ObjectId, MutableObject> = {};
  const order: ObjectId[] = [];
  // One pass over the flat array, records made whole by the type's valuesAt, a shared empty children array.
  for (let at = 0, i = 0; at < flat.length; i++) {
    const id = flat[at];
    const typeIndex = flat[at + 1];
    const parent = flat[at + 2];
    const n = flat[at + 3];
    if (!isId(id) || id < 0 || objects[id] !== undefined) fail(ErrorCode.BAD_MESSAGE, `snapshot object ${i} has a bad or repeated id`, i);
    const type = isId(typeIndex) ? catalog.at(typeIndex) : undefined;
    if (type === undefined) fail(ErrorCode.UNKNOWN_TYPE, `snapshot object ${id} has an unknown type`, id);
    const names = type.attrNames;
    const start = at + FLAT_HEAD;
    if (!isId(n) || n < 0 || n > names.length || start + n > flat.length) fail(ErrorCode.BAD_MESSAGE, `snapshot object ${id} does not have its values`, id);
    let values: Record<string, unknown>;
    if (n === names.length) values = type.valuesAt(flat, start);
    else {
      // Fewer values than attributes: the rest take their defaults.
      values = {};
      for (let k = 0; k < names.length; k++) values[names[k] as string] = k < n ? flat[start + k] : type.specs[k]?.default;
    }
    if (i === 0) {
      if (parent !== -1) fail(ErrorCode.BAD_MESSAGE, 'the first snapshot object must be the root (parent -1)', id);
    } else {
      const p = isId(parent) ? objects[parent] : undefined;
      if (p === undefined) fail(ErrorCode.BAD_MESSAGE, `snapshot object ${id} comes before its parent`, id);
      if (p.children === NO_CHILDREN) p.children = [id];
      else p.children.push(id);
    }
    objects[id] = { id, type: type.name, parent: i === 0 ? null : (parent as ObjectId), children: NO_CHILDREN, values };
    order.push(id);
    at = start + n;
  }
  return { root: order[0] as ObjectId, objects, order };
}

/**
 * Freezes an object made from the wire: itself, its children and values records, and each value
 * (deeply; a value shared from an earlier state is frozen already and stops the walk at once).
 */
function freezeObject(o: MutableObject): void {
  Object.freeze(o);
  if (o.children !== NO_CHILDREN) Object.freeze(o.children);
  const values = o.values;
  for (const name in values) {
    const value = values[name];
    if (typeof value === 'object' && value !== null) deepFreeze(value);
  }
  Object.freeze(values);
}

/** Reuses `before`, or its unchanged parts, for `o`, so that unchanged objects and values keep their references. */
function share(o: MutableObject, before: ObjectState): MutableObject | ObjectState {
  const old = before.values as Readonly<Record<string, unknown>>;
  let same = o.parent === before.parent && Object.keys(old).length === Object.keys(o.values).length;
  for (const name of Object.keys(o.values)) {
    if (Object.hasOwn(old, name) && jsonEqual(old[name], o.values[name])) o.values[name] = old[name];
    else same = false;
  }
  if (jsonEqual(before.children, o.children)) o.children = before.children as ObjectId[];
  else same = false;
  return same ? before : o;
}

/** Whether an object is the same object (same id and type) in both states. */
function survives(prev: TreeState, next: TreeState, id: ObjectId): boolean {
  const a = prev.objects[id];
  const b = next.objects[id];
  return a !== undefined && b !== undefined && a.type === b.type;
}

function movesOf(prev: TreeState, next: TreeState, order: readonly ObjectId[]): MoveEvent[] {
  const moved: MoveEvent[] = [];
  for (const id of order) {
    const parent = next.objects[id] as ObjectState;
    // Children whose relative order among the survivors changed count as moved; shifts caused by siblings coming or going do not.
    const kept = parent.children.filter((c) => survives(prev, next, c) && prev.objects[c]?.parent === id);
    const keptSet = new Set(kept);
    const before = (prev.objects[id]?.children ?? []).filter((c) => keptSet.has(c));
    kept.forEach((c, k) => {
      if (before[k] !== c) moved.push({ id: c, oldParent: id, newParent: id, index: parent.children.indexOf(c) });
    });
    for (const c of parent.children) {
      const from = prev.objects[c]?.parent;
      if (survives(prev, next, c) && from !== undefined && from !== id) moved.push({ id: c, oldParent: from, newParent: id, index: parent.children.indexOf(c) });
    }
  }
  return moved;
}

function changesOf(prev: TreeState, next: TreeState, catalog: TypeCatalog, order: readonly ObjectId[]): ChangeEvent[] {
  const changed: ChangeEvent[] = [];
  for (const id of order) {
    if (!survives(prev, next, id)) continue;
    const before = (prev.objects[id] as ObjectState).values as Readonly<Record<string, unknown>>;
    const after = (next.objects[id] as ObjectState).values as Readonly<Record<string, unknown>>;
    if (before === after) continue;
    const type = catalog.byName((next.objects[id] as ObjectState).type);
    type?.attrNames.forEach((attr, k) => {
      if (before[attr] === after[attr]) return;
      const op = [OP.set, id, k, after[attr] as Json] as const;
      changed.push({ id, attr, ops: [{ op, seq: next.seq, origin: SERVER_ORIGIN }], oldValue: before[attr], newValue: after[attr] });
    });
  }
  return changed;
}

/**
 * Builds the state at `seq` from a wire snapshot. With `prev`, unchanged objects and values keep
 * their references and the result lists what vanished, appeared, moved and changed; without it,
 * the result lists nothing (the first snapshot is not a change anyone saw).
 */
export function snapshotState(catalog: TypeCatalog, seq: number, wire: unknown, prev?: TreeState): StateDiff {
  const { root, objects, order } = readObjects(catalog, wire);
  const shared: Record<ObjectId, MutableObject | ObjectState> = objects;
  if (prev !== undefined) {
    for (const id of order) {
      const before = prev.objects[id];
      if (before !== undefined && before.type === (objects[id] as MutableObject).type) shared[id] = share(objects[id] as MutableObject, before);
    }
  }
  // Each object is frozen (values from the wire deeply; shared ones are frozen already); the
  // objects record is not: freezing a large one costs 100 times a batch's spread copy of it.
  for (const id of order) {
    const o = shared[id] as MutableObject;
    // An object shared whole from `prev` is frozen already.
    if (prev === undefined || !Object.isFrozen(o)) freezeObject(o);
  }
  const state: TreeState = Object.freeze({ seq, root, objects: shared });
  if (prev === undefined) return { state, created: [], destroyed: [], moved: [], changed: [] };

  const destroyed: DestroyEvent[] = [];
  const stack: ObjectId[] = [prev.root];
  const preorder: ObjectId[] = [];
  while (stack.length > 0) {
    const id = stack.pop() as ObjectId;
    const o = prev.objects[id];
    if (o === undefined) continue;
    preorder.push(id);
    for (const child of o.children) stack.push(child);
  }
  for (let k = preorder.length - 1; k >= 0; k--) {
    const id = preorder[k] as ObjectId;
    if (!survives(prev, state, id)) destroyed.push({ id, state: prev.objects[id] as ObjectState });
  }
  const created = order.filter((id) => !survives(prev, state, id));
  return { state, created, destroyed, moved: movesOf(prev, state, order), changed: changesOf(prev, state, catalog, order) };
}
