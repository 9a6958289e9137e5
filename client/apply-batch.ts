/**
 * Applies a batch of scribes to a mirror's immutable state, copy-on-write: one new root per
 * batch, untouched objects keep their references. Returns the new state and what the batch did,
 * as the events a mirror emits.
 */
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
  type TopicOp,
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

/** Freezes `value` and everything in it, stopping at what is frozen already: a state's untouched parts cost nothing. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  // Indexed and for-in loops, not Object.keys: a 10,000-object snapshot freezes in half the time.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) deepFreeze(item);
    }
    return value;
  }
  // JSON values are plain objects with own properties only (their keys are checked on the way in).
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null) deepFreeze(item);
  }
  return value;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Whether an op would leave a dict or list as it is: a put or replace of the value there, a delete of a missing key, a remove past the end. */
function changesNothing(container: object, op: TopicOp): boolean {
  switch (op[0]) {
    case OP.put:
    case OP.replace:
      return Object.hasOwn(container, op[3]) && Object.is((container as Record<string | number, unknown>)[op[3]], op[4]);
    case OP.delete:
      return !Object.hasOwn(container, op[3]);
    case OP.remove:
      return Array.isArray(container) && op[3] >= container.length;
    default:
      return false;
  }
}

/**
 * One batch's working copy of a state. Reads go to `prev`'s frozen parts; the first write to an
 * object copies it (and its children array, values record or dict/list value only when those are
 * written), and the first write of all copies the `objects` record, with a spread: the record
 * of a large tree must never be frozen, as freezing it (or copying a frozen one) costs 100 times a
 * spread. What the batch made is changed in place until `finish()` freezes it; `prev` never is.
 */
class BatchDraft {
  #objects: Record<ObjectId, ObjectState>;
  #copied = false;
  /** Objects, children arrays, values records and dict/list values this batch made: changed in place. */
  readonly #mine = new Set<object>();
  readonly #made: MutableObject[] = [];
  readonly #prev: TreeState;

  constructor(prev: TreeState) {
    this.#prev = prev;
    this.#objects = prev.objects;
  }

  has(id: ObjectId): boolean {
    return this.#objects[id] !== undefined;
  }

  /** An object to read; UNKNOWN_OBJECT when there is none. */
  get(id: ObjectId): ObjectState {
    const o = this.#objects[id];
    if (o === undefined) fail(ErrorCode.UNKNOWN_OBJECT, `no object ${String(id)}`, id);
    return o;
  }

  #record(): Record<ObjectId, ObjectState> {
    if (!this.#copied) {
      this.#objects = { ...this.#objects };
      this.#copied = true;
    }
    return this.#objects;
  }

  /** An object to write (its children and values still shared until written). */
  object(id: ObjectId): MutableObject {
    const o = this.get(id);
    if (this.#mine.has(o)) return o as unknown as MutableObject;
    const copy: MutableObject = { id: o.id, type: o.type, parent: o.parent, children: o.children as ObjectId[], values: o.values };
    this.#adopt(copy);
    return copy;
  }

  /** An object's children array, to write. */
  children(id: ObjectId): ObjectId[] {
    const o = this.object(id);
    if (!this.#mine.has(o.children)) this.#mine.add((o.children = o.children.slice()));
    return o.children;
  }

  /** An object's values record, to write. */
  values(id: ObjectId): Record<string, unknown> {
    const o = this.object(id);
    if (!this.#mine.has(o.values)) this.#mine.add((o.values = { ...o.values }));
    return o.values;
  }

  /** A dict or list value, to change in place: copied (shallowly, once per batch) unless this batch made it. */
  container(id: ObjectId, name: string): object {
    const values = this.values(id);
    const value = values[name] as object;
    if (this.#mine.has(value)) return value;
    const copy = detach(value) as object;
    this.#mine.add(copy);
    values[name] = copy;
    return copy;
  }

  /** Sets an attribute; a dict or list given here is the batch's own, to change in place later. */
  assign(id: ObjectId, name: string, value: unknown): void {
    if (isContainer(value)) this.#mine.add(value);
    this.values(id)[name] = value;
  }

  /** Adds a new object: it, its children array, values record and dict/list values are the batch's own. */
  create(o: MutableObject): void {
    this.#mine.add(o.children).add(o.values);
    for (const value of Object.values(o.values)) if (isContainer(value)) this.#mine.add(value);
    this.#adopt(o);
  }

  #adopt(o: MutableObject): void {
    this.#mine.add(o);
    this.#made.push(o);
    this.#record()[o.id] = o;
  }

  /** Removes an object and returns its last state, frozen: `prev`'s own when the batch did not touch it. */
  remove(id: ObjectId): ObjectState {
    const o = this.get(id);
    delete this.#record()[id];
    return deepFreeze(o);
  }

  /**
   * Freezes what the batch made and returns the new state: `prev` itself when nothing changed (a
   * pending set of the value already there, say), so that callers can compare references.
   */
  finish(seq: number): TreeState {
    for (const o of this.#made) deepFreeze(o);
    if (!this.#copied && seq === this.#prev.seq) return this.#prev;
    return Object.freeze({ seq, root: this.#prev.root, objects: this.#objects });
  }
}

function insertAt(list: ObjectId[], index: number, id: ObjectId): void {
  if (!Number.isSafeInteger(index) || index < 0 || index > list.length) fail(ErrorCode.BAD_INDEX, `index ${String(index)} outside 0..${list.length}`, id);
  list.splice(index, 0, id);
}

function removeChild(list: ObjectId[], parent: ObjectId, id: ObjectId): void {
  const at = list.indexOf(id);
  if (at < 0) fail(ErrorCode.INTERNAL, `${String(id)} is not a child of ${String(parent)}`, id);
  list.splice(at, 1);
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

  const draft = new BatchDraft(prev);
  ops.forEach((op, i) => {
    switch (op[0]) {
      case OP.create: {
        const [, id, typeIndex, parentId, index, given] = op;
        const type = catalog.at(typeIndex);
        if (type === undefined) fail(ErrorCode.UNKNOWN_TYPE, `no type #${String(typeIndex)}`, typeIndex);
        if (draft.has(id)) fail(ErrorCode.BAD_MESSAGE, `object ${String(id)} exists already`, id);
        const siblings = draft.children(parentId);
        // A pending create at -1 goes last, wherever last is now.
        const at = pending && index === -1 ? siblings.length : index;
        const values: Record<string, unknown> = {};
        type.attrNames.forEach((name, k) => {
          values[name] = detach(Object.hasOwn(given, name) ? given[name] : type.specs[k]?.default);
        });
        insertAt(siblings, at, id);
        draft.create({ id, type: type.name, parent: parentId, children: [], values });
        created.push(id);
        createdSet.add(id);
        return;
      }
      case OP.destroy: {
        const target = draft.get(op[1]);
        if (target.parent === null) fail(ErrorCode.BAD_PARENT, 'the root cannot be destroyed', op[1]);
        removeChild(draft.children(target.parent), target.parent, op[1]);
        // Pre-order, reversed: every object comes after its descendants (children first).
        const order: ObjectId[] = [];
        const stack: ObjectId[] = [op[1]];
        while (stack.length > 0) {
          const id = stack.pop() as ObjectId;
          order.push(id);
          for (const child of draft.get(id).children) stack.push(child);
        }
        for (let k = order.length - 1; k >= 0; k--) {
          const id = order[k] as ObjectId;
          const last = draft.remove(id);
          if (!createdSet.has(id)) destroyed.push({ id, state: last });
        }
        return;
      }
      case OP.move: {
        const [, id, parentId, index] = op;
        const target = draft.get(id);
        const from = target.parent;
        if (from === null) fail(ErrorCode.BAD_PARENT, 'the root cannot be moved', id);
        draft.get(parentId);
        for (let at: ObjectId | null = parentId; at !== null; at = draft.get(at).parent) {
          if (at === id) fail(ErrorCode.BAD_PARENT, `cannot move ${String(id)} into its own subtree`, id);
        }
        removeChild(draft.children(from), from, id);
        const siblings = draft.children(parentId);
        insertAt(siblings, pending && index === -1 ? siblings.length : index, id);
        if (!moves.has(id) && !createdSet.has(id)) moves.set(id, prev.objects[id]?.parent ?? null);
        if (from !== parentId) draft.object(id).parent = parentId;
        return;
      }
      default: {
        const target = draft.get(op[1]);
        const type = catalog.byName(target.type);
        const name = type?.attrNames[op[2]];
        const spec = type?.specs[op[2]];
        if (name === undefined || spec === undefined) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `${target.type} has no attribute #${String(op[2])}`, op[2]);
        const current = (target.values as Readonly<Record<string, unknown>>)[name];
        // put, delete, insert, remove, listMove and replace change a dict or list in place: the
        // batch's own copy of it, made on the first change (an op that would change nothing copies nothing).
        const inPlace = op[0] !== OP.set && op[0] !== OP.add && isContainer(current) && !changesNothing(current, op);
        const live = inPlace ? draft.container(op[1], name) : current;
        // The server checked its own ops; a pending one may meet a state it was not made for.
        const checked = pending ? checkTopicOp(spec, live, op, name) : op;
        if (inPlace) applyTopicOp(live, checked);
        else if (checked[0] === OP.set || checked[0] === OP.add) {
          // A set keeps a container of its own: later ops of the batch change it in place.
          const value = checked[0] === OP.set ? detach(checked[3]) : applyTopicOp(current, checked);
          if (!Object.is(value, current)) draft.assign(op[1], name, value);
        } else if (!isContainer(current)) {
          // A dict or list op on a value that is neither fails (or does nothing) as it always did.
          applyTopicOp(current, checked);
        }
        if (createdSet.has(op[1])) return;
        const key = `${String(op[1])}:${name}`;
        let change = changes.get(key);
        if (change === undefined) changes.set(key, (change = { id: op[1], attr: name, ops: [] }));
        change.ops.push(pending ? { op: checked, seq: prev.seq, origin: origins?.[i] ?? SERVER_ORIGIN, pending } : { op, seq: lastSeq ?? firstSeq + i, origin: origins?.[i] ?? SERVER_ORIGIN });
      }
    }
  });
  const state = draft.finish(pending ? prev.seq : (lastSeq ?? firstSeq + ops.length - 1));

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
