/**
 * Operations as labelled tuples, and the pure topic functions: check, invert, apply.
 * The tuple is the wire form and the in-memory form; nothing is re-encoded in between.
 */
import { ErrorCode, fail, unreachable } from './errors.js';
import type { Json, JsonObject } from './json.js';
import { checkItemCount, checkKeyCount, checkKeyPattern, checkScalar, hasKeys, runValidator } from './rules.js';
import { isSafeKey, type AttrRules, type AttrSpec } from './spec.js';
import { copyElement, copyValue, detach } from './values.js';

/** Operation codes: the first element of every operation tuple. */
export const OP = {
  set: 0,
  add: 1,
  put: 2,
  delete: 3,
  insert: 4,
  remove: 5,
  listMove: 6,
  replace: 7,
  create: 8,
  destroy: 9,
  move: 10,
} as const;

/** One of the {@link OP} codes. */
export type OpCode = (typeof OP)[keyof typeof OP];

/** An object id within a tree. The root is 0; ids are never reused. In proposals, negative ids name objects created earlier in the same proposal. */
export type ObjectId = number;

/** `[set, object, attribute, value]`: any kind. */
export type SetOp = readonly [typeof OP.set, ObjectId, number, Json];
/** `[add, object, attribute, delta]`: numbers. */
export type AddOp = readonly [typeof OP.add, ObjectId, number, number];
/** `[put, object, attribute, key, value]`: dicts. */
export type PutOp = readonly [typeof OP.put, ObjectId, number, string, Json];
/** `[delete, object, attribute, key]`: dicts. */
export type DeleteOp = readonly [typeof OP.delete, ObjectId, number, string];
/** `[insert, object, attribute, index, items]`: lists; 0 <= index <= length, or -1 (in proposals) to append. */
export type InsertOp = readonly [typeof OP.insert, ObjectId, number, number, readonly Json[]];
/** `[remove, object, attribute, index, count]`: lists; count >= 1. */
export type RemoveOp = readonly [typeof OP.remove, ObjectId, number, number, number];
/** `[listMove, object, attribute, from, to]`: lists; `to` is the index after removal. */
export type ListMoveOp = readonly [typeof OP.listMove, ObjectId, number, number, number];
/** `[replace, object, attribute, index, item]`: lists. */
export type ReplaceOp = readonly [typeof OP.replace, ObjectId, number, number, Json];
/** `[create, object, typeIndex, parent, index, values]`: a new object under parent at index (-1 in proposals: last). Scribes carry every attribute's value. */
export type CreateOp = readonly [typeof OP.create, ObjectId, number, ObjectId, number, JsonObject];
/** `[destroy, object]`: the object and its whole subtree. */
export type DestroyOp = readonly [typeof OP.destroy, ObjectId];
/** `[move, object, parent, index]`: to a new parent (or the same) at index, counted after removal (-1 in proposals: last). */
export type MoveOp = readonly [typeof OP.move, ObjectId, ObjectId, number];

/** An operation on one attribute (a topic). */
export type TopicOp = SetOp | AddOp | PutOp | DeleteOp | InsertOp | RemoveOp | ListMoveOp | ReplaceOp;
/** An operation on the tree's structure. */
export type TreeOp = CreateOp | DestroyOp | MoveOp;
/** Any operation. */
export type Op = TopicOp | TreeOp;

/** The name of an operation code, for messages and events. */
export const OP_NAMES: readonly string[] = Object.keys(OP);

/** Whether an operation acts on an attribute. */
export function isTopicOp(op: Op): op is TopicOp {
  return op[0] <= OP.replace;
}

/** Which operations each kind accepts. */
const ACCEPTS: Readonly<Record<AttrSpec['kind'], ReadonlySet<number>>> = {
  string: new Set([OP.set]),
  number: new Set([OP.set, OP.add]),
  boolean: new Set([OP.set]),
  json: new Set([OP.set]),
  dict: new Set([OP.set, OP.put, OP.delete]),
  list: new Set([OP.set, OP.insert, OP.remove, OP.listMove, OP.replace]),
};

function checkIndex(i: number, max: number, ref: string): void {
  if (!Number.isSafeInteger(i) || i < 0 || i > max) fail(ErrorCode.BAD_INDEX, `index ${String(i)} outside 0..${max}`, ref);
}

function checkKey(key: string, ref: string): void {
  if (typeof key !== 'string' || !isSafeKey(key)) fail(ErrorCode.BAD_KEY, `forbidden key ${JSON.stringify(key)}`, ref);
}

/**
 * Validates a topic operation against the attribute's kind, rules and current value, and returns
 * it with its values replaced by validated copies. Throws WRONG_KIND, BAD_VALUE, BAD_INDEX,
 * BAD_KEY or INVALID, naming the attribute. `current` is left as it was (a dict or list
 * validator sees the value after the op: see {@link validateAfter}).
 */
export function checkTopicOp(s: AttrSpec, current: unknown, op: TopicOp, attr: string): TopicOp {
  if (!ACCEPTS[s.kind].has(op[0])) fail(ErrorCode.WRONG_KIND, `${OP_NAMES[op[0]] ?? op[0]} is not an operation of a ${s.kind} attribute`, attr);
  switch (op[0]) {
    case OP.set:
      return [op[0], op[1], op[2], copyValue(s, op[3], attr)];
    case OP.add: {
      const rules = s.rules;
      if (typeof op[3] !== 'number' || !Number.isFinite(op[3])) fail(ErrorCode.BAD_VALUE, 'add needs a finite number', attr);
      const sum = (current as number) + op[3];
      if (!Number.isFinite(sum)) fail(ErrorCode.BAD_VALUE, 'the sum is not finite', attr);
      if (rules !== undefined) checkScalar(rules, 'number', sum, attr);
      return op;
    }
    case OP.put: {
      const rules = s.rules;
      checkKey(op[3], attr);
      if (rules !== undefined) {
        checkKeyPattern(rules, op[3], attr);
        // A new key must find room: count the keys up to maxKeys, no further.
        if (rules.maxKeys !== undefined && !Object.hasOwn(current as object, op[3]) && hasKeys(current as object, rules.maxKeys)) {
          checkKeyCount(rules, rules.maxKeys + 1, attr);
        }
      }
      const checked: PutOp = [op[0], op[1], op[2], op[3], copyElement(s, op[4], attr, 1, op[3])];
      if (rules !== undefined) validateAfter(rules, current, checked, attr);
      return checked;
    }
    case OP.delete:
      checkKey(op[3], attr);
      if (!Object.hasOwn(current as object, op[3])) fail(ErrorCode.BAD_KEY, `no key ${JSON.stringify(op[3])}`, attr);
      if (s.rules !== undefined) validateAfter(s.rules, current, op, attr);
      return op;
    case OP.insert: {
      const rules = s.rules;
      const list = current as readonly Json[];
      const index = op[3] === -1 ? list.length : op[3];
      checkIndex(index, list.length, attr);
      if (!Array.isArray(op[4]) || op[4].length === 0) fail(ErrorCode.BAD_VALUE, 'insert needs a non-empty array of items', attr);
      if (rules !== undefined) checkItemCount(rules, list.length + op[4].length, attr);
      const checked: InsertOp = [op[0], op[1], op[2], index, Array.from(op[4], (item, k) => copyElement(s, item, attr, 1, index + k))];
      if (rules !== undefined) validateAfter(rules, current, checked, attr);
      return checked;
    }
    case OP.remove: {
      const list = current as readonly Json[];
      checkIndex(op[3], list.length - 1, attr);
      if (!Number.isSafeInteger(op[4]) || op[4] < 1 || op[3] + op[4] > list.length) fail(ErrorCode.BAD_INDEX, `count ${String(op[4])} outside 1..${list.length - op[3]}`, attr);
      if (s.rules !== undefined) validateAfter(s.rules, current, op, attr);
      return op;
    }
    case OP.listMove: {
      const list = current as readonly Json[];
      checkIndex(op[3], list.length - 1, attr);
      checkIndex(op[4], list.length - 1, attr);
      if (s.rules !== undefined) validateAfter(s.rules, current, op, attr);
      return op;
    }
    case OP.replace: {
      const rules = s.rules;
      const list = current as readonly Json[];
      checkIndex(op[3], list.length - 1, attr);
      const checked: ReplaceOp = [op[0], op[1], op[2], op[3], copyElement(s, op[4], attr, 1, op[3])];
      if (rules !== undefined) validateAfter(rules, current, checked, attr);
      return checked;
    }
    default:
      return unreachable(op);
  }
}

/**
 * Runs a dict's or list's `validate` on the value a checked op would leave, without copying the
 * container: the op is applied to `current` in place, the validator runs, and the op is undone
 * (whatever the validator does), so the cost is the op twice plus the validator. Two cases copy the
 * container (shallowly, O(size)) instead: a frozen one (a mirror's state on the client) and a dict
 * `delete` (putting a key back would move it to the end of the key order).
 */
function validateAfter(rules: AttrRules, current: unknown, op: TopicOp, attr: string): void {
  if (rules.validate === undefined) return;
  if (op[0] === OP.delete || Object.isFrozen(current)) {
    runValidator(rules, applyTopicOp(detach(current), op), attr);
    return;
  }
  const inverse = invertTopicOp(current, op);
  applyTopicOp(current, op);
  try {
    runValidator(rules, current, attr);
  } finally {
    applyTopicOp(current, inverse);
  }
}

/** The operation that undoes `op`, given the attribute's value before `op` applies. */
export function invertTopicOp(current: unknown, op: TopicOp): TopicOp {
  switch (op[0]) {
    case OP.set:
      return [OP.set, op[1], op[2], current as Json];
    case OP.add:
      // set, not add(-delta): float addition does not undo exactly.
      return [OP.set, op[1], op[2], current as number];
    case OP.put: {
      const dict = current as JsonObject;
      return Object.hasOwn(dict, op[3]) ? [OP.put, op[1], op[2], op[3], dict[op[3]] as Json] : [OP.delete, op[1], op[2], op[3]];
    }
    case OP.delete:
      return [OP.put, op[1], op[2], op[3], (current as JsonObject)[op[3]] as Json];
    case OP.insert:
      return [OP.remove, op[1], op[2], op[3], op[4].length];
    case OP.remove:
      return [OP.insert, op[1], op[2], op[3], (current as readonly Json[]).slice(op[3], op[3] + op[4])];
    case OP.listMove:
      return [OP.listMove, op[1], op[2], op[4], op[3]];
    case OP.replace:
      return [OP.replace, op[1], op[2], op[3], (current as readonly Json[])[op[3]] as Json];
    default:
      return unreachable(op);
  }
}

/**
 * Applies a checked topic operation. Dicts and lists are changed in place (plain values on the
 * server, a batch's working copies on the client); the attribute's new value is returned.
 */
export function applyTopicOp(current: unknown, op: TopicOp): unknown {
  switch (op[0]) {
    case OP.set:
      return op[3];
    case OP.add:
      return (current as number) + op[3];
    case OP.put:
      (current as Record<string, Json>)[op[3]] = op[4];
      return current;
    case OP.delete:
      delete (current as Record<string, Json>)[op[3]];
      return current;
    case OP.insert:
      insertItems(current as Json[], op[3], op[4]);
      return current;
    case OP.remove:
      (current as Json[]).splice(op[3], op[4]);
      return current;
    case OP.listMove: {
      const list = current as Json[];
      const [item] = list.splice(op[3], 1);
      list.splice(op[4], 0, item as Json);
      return current;
    }
    case OP.replace:
      (current as Json[])[op[3]] = op[4];
      return current;
    default:
      return unreachable(op);
  }
}

/** Inserts items into a list in place; spreading 150k+ arguments into splice would overflow the stack. */
function insertItems(list: Json[], index: number, items: readonly Json[]): void {
  if (items.length < 10_000) {
    list.splice(index, 0, ...items);
    return;
  }
  const tail = list.splice(index);
  for (const item of items) list.push(item);
  for (const item of tail) list.push(item);
}
