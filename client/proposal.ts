/**
 * Building a proposal: each call is checked locally against the mirror's state (the server stays
 * authoritative) and appended as an op; a transaction collects several calls into one proposal,
 * and its outcome settles every call's promise.
 */
import {
  ErrorCode,
  OP,
  SyncError,
  applyTopicOp,
  checkTopicOp,
  copyValue,
  detach,
  fail,
  isSafeKey,
  type AttrSpec,
  type Json,
  type ObjectId,
  type Op,
  type TopicOp,
} from '../shared/index.js';
import type { ClientType, TypeCatalog } from './catalog.js';
import type { Ack, TreeState } from './types.js';

interface Temp {
  readonly type: ClientType;
  readonly values: Record<string, unknown>;
}

/** The ops of one proposal, checked as they are added; negative ids name objects it creates. */
export class ProposalBuilder {
  /** The ops to send, in order. */
  readonly ops: Op[] = [];
  #creates = 0;
  readonly #temps = new Map<ObjectId, Temp>();
  readonly #gone = new Set<ObjectId>();
  readonly #parents = new Map<ObjectId, ObjectId | null>();
  readonly #childCounts = new Map<ObjectId, number>();
  readonly #values = new Map<string, unknown>();

  /** `simulate`: later ops are checked against the values earlier ops of the proposal leave (transactions). */
  constructor(
    private readonly state: TreeState,
    private readonly catalog: TypeCatalog,
    private readonly maxOps: number,
    private readonly simulate: boolean,
  ) {}

  #room(): void {
    if (this.ops.length >= this.maxOps) fail(ErrorCode.TOO_LARGE, `a proposal holds at most ${this.maxOps} ops`);
  }

  #alive(id: ObjectId): void {
    if (this.#gone.has(id) || (!this.#temps.has(id) && this.state.objects[id] === undefined)) fail(ErrorCode.UNKNOWN_OBJECT, `no object ${String(id)}`, id);
  }

  #typeOf(id: ObjectId): ClientType {
    return this.#temps.get(id)?.type ?? this.catalog.require(this.state.objects[id]?.type ?? '');
  }

  #parentOf(id: ObjectId): ObjectId | null {
    const moved = this.#parents.get(id);
    return moved !== undefined ? moved : (this.state.objects[id]?.parent ?? null);
  }

  #childCount(id: ObjectId): number {
    return this.#childCounts.get(id) ?? this.state.objects[id]?.children.length ?? 0;
  }

  /** An attribute's value before this proposal: the mirror's, or the initial value of an object the proposal creates. */
  #stored(id: ObjectId, name: string): unknown {
    const temp = this.#temps.get(id);
    if (temp !== undefined) return temp.values[name];
    const values = this.state.objects[id]?.values as Readonly<Record<string, unknown>> | undefined;
    return values?.[name];
  }

  #checkIndex(index: number, max: number, ref: ObjectId): void {
    if (index !== -1 && (!Number.isSafeInteger(index) || index < 0 || index > max)) fail(ErrorCode.BAD_INDEX, `index ${String(index)} outside 0..${max}`, ref);
  }

  /** Adds a topic op; WRONG_KIND, BAD_VALUE, BAD_INDEX, BAD_KEY, UNKNOWN_ATTRIBUTE or UNKNOWN_OBJECT when it cannot apply. */
  topic(op: TopicOp): void {
    this.#room();
    const id = op[1];
    this.#alive(id);
    const type = this.#typeOf(id);
    const name = type.attrNames[op[2]];
    const s = type.specs[op[2]];
    if (name === undefined || s === undefined) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `${type.name} has no attribute #${String(op[2])}`, op[2]);
    const key = `${String(id)}:${name}`;
    const before = this.#values.has(key) ? this.#values.get(key) : this.#stored(id, name);
    const checked = checkTopicOp(s, before, op, name);
    // -1 stays -1 on the wire: the server appends at its own length, which may differ from ours.
    this.ops.push(op[0] === OP.insert && op[3] === -1 ? [OP.insert, id, op[2], -1, checked[4] as readonly Json[]] : checked);
    if (this.simulate) {
      const owned = this.#values.has(key) ? before : detach(before);
      this.#values.set(key, checked[0] === OP.set ? detach(checked[3]) : applyTopicOp(owned, checked));
    }
  }

  /** Adds any op, as built by hand: a create must use the next temp id (-1, -2, ...). */
  raw(op: Op, catalog: TypeCatalog): void {
    switch (op[0]) {
      case OP.create: {
        const type = catalog.at(op[2]);
        if (type === undefined) fail(ErrorCode.UNKNOWN_TYPE, `no type #${String(op[2])}`, op[2]);
        if (op[1] !== -(this.#creates + 1)) fail(ErrorCode.BAD_VALUE, `the next create of this proposal takes temp id ${-(this.#creates + 1)}`, op[1]);
        this.create(type, op[3], op[5], op[4]);
        return;
      }
      case OP.destroy:
        return this.destroy(op[1]);
      case OP.move:
        return this.move(op[1], op[2], op[3]);
      default:
        return this.topic(op);
    }
  }

  /** Adds a create under `parent` at `index` (-1: last); returns its position among the proposal's creates (its place in `ack.ids`). */
  create(type: ClientType, parent: ObjectId, values: Readonly<Record<string, unknown>> | undefined, index: number): number {
    this.#room();
    this.#alive(parent);
    const count = this.#childCount(parent);
    this.#checkIndex(index, count, parent);
    const given: Record<string, Json> = {};
    const all: Record<string, unknown> = {};
    type.attrNames.forEach((name, k) => (all[name] = type.specs[k]?.default));
    for (const name of Object.keys(values ?? {})) {
      if (!isSafeKey(name)) fail(ErrorCode.BAD_KEY, `forbidden attribute name ${JSON.stringify(name)}`, name);
      const k = type.attrIndex.get(name);
      const value = values?.[name];
      if (k === undefined) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `${type.name} has no attribute ${name}`, name);
      if (value === undefined) continue;
      given[name] = copyValue(type.specs[k] as AttrSpec, value, name);
      all[name] = given[name];
    }
    const id = -(this.#creates + 1);
    this.#temps.set(id, { type, values: all });
    this.#parents.set(id, parent);
    this.#childCounts.set(parent, count + 1);
    this.#childCounts.set(id, 0);
    this.ops.push([OP.create, id, type.index, parent, index, given]);
    return this.#creates++;
  }

  /** Adds a destroy of `id` and its subtree. */
  destroy(id: ObjectId): void {
    this.#room();
    this.#alive(id);
    const parent = this.#parentOf(id);
    if (parent === null) fail(ErrorCode.BAD_PARENT, 'the root cannot be destroyed', id);
    this.#gone.add(id);
    this.#childCounts.set(parent, this.#childCount(parent) - 1);
    this.ops.push([OP.destroy, id]);
  }

  /** Adds a move of `id` under `parent` at `index` (-1: last), counted after removal. */
  move(id: ObjectId, parent: ObjectId, index: number): void {
    this.#room();
    this.#alive(id);
    this.#alive(parent);
    const from = this.#parentOf(id);
    if (from === null) fail(ErrorCode.BAD_PARENT, 'the root cannot be moved', id);
    for (let at: ObjectId | null = parent; at !== null; at = this.#parentOf(at)) {
      if (at === id) fail(ErrorCode.BAD_PARENT, `cannot move ${String(id)} into its own subtree`, parent);
    }
    this.#checkIndex(index, from === parent ? this.#childCount(parent) - 1 : this.#childCount(parent), parent);
    this.#childCounts.set(from, this.#childCount(from) - 1);
    this.#childCounts.set(parent, this.#childCount(parent) + 1);
    this.#parents.set(id, parent);
    this.ops.push([OP.move, id, parent, index]);
  }
}

interface Member {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly map: (ack: Ack) => unknown;
}

const ignore = (): void => undefined;

/** One proposal in the making and the promises of the calls that went into it. */
export class Transaction {
  readonly #members: Member[] = [];
  /** The first error of a call inside the transaction: nothing is sent then. */
  error: unknown = undefined;
  #settled = false;

  constructor(readonly builder: ProposalBuilder) {}

  /**
   * A promise settled with the transaction, through `map` when it is acked. `handled`: marks it
   * as handled, for calls made inside `transact()` whose promises callers usually drop.
   */
  member<R>(map: (ack: Ack) => R, handled: boolean): Promise<R> {
    const promise = new Promise<R>((resolve, reject) => {
      this.#members.push({ resolve: resolve as (value: unknown) => void, reject, map });
    });
    if (handled) promise.catch(ignore);
    return promise;
  }

  /** Settles every member: rejected with `error`, or resolved through its map from `ack`. */
  settle(error: unknown, ack?: Ack): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const m of this.#members) {
      if (error !== undefined || ack === undefined) {
        m.reject(error ?? new SyncError(ErrorCode.INTERNAL, 'settled without an ack'));
        continue;
      }
      try {
        m.resolve(m.map(ack));
      } catch (e) {
        m.reject(e);
      }
    }
  }
}
