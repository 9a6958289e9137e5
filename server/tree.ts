/**
 * A tree: a named root object and everything under it; the unit of ordering.
 * Every mutation is validated, applied, recorded (with how to undo it, inside a transaction that
 * may yet roll back), and committed as scribes.
 */
import { EventEmitter } from 'eventemitter3';
import {
  ErrorCode,
  OP,
  SERVER_ORIGIN,
  applyTopicOp,
  assert,
  attrSpec,
  checkTopicOp,
  copyValue,
  detach,
  fail,
  invertTopicOp,
  type AnyTypeDef,
  type AttrMap,
  type Json,
  type ObjectId,
  type Op,
  type TopicOp,
  type FlatSnapshot,
  type WireObject,
  pushFlat,
} from '../shared/index.js';
import { isWithin, walk, type Node } from './node.js';
import type { TypeRegistry } from './registry.js';
import { handleOf } from './server-object.js';
import type { ServerObject } from './types.js';
import { ScribeLog } from './scribe-log.js';
import { Transaction } from './transaction.js';

/** Events of a tree. */
export interface TreeEvents {
  /** A transaction committed: its scribes have seqs firstSeq .. firstSeq + ops.length - 1. */
  commit: [firstSeq: number, ops: readonly Op[], origin: string];
}

/** Told of every operation just before it applies inside a transaction, and of a transaction's abort (server/visibility.ts). */
export interface TreeObserver {
  before(op: Op): void;
  abort(): void;
}

/** Options of a tree. */
export interface TreeOptions {
  /** How many recent scribes stay in memory for catch-up joins (default 10,000). */
  readonly logWindow?: number;
  /** The epoch of a tree restored from a store (default: a new one). */
  readonly epoch?: string;
}

/**
 * A named tree of typed objects, owned by the server.
 * @example
 * const tree = server.tree('board', Board);
 * const card = tree.root.create(Card, { title: 'hello' });
 * tree.transact(() => { card.attrs.votes.add(1); card.move(tree.root, 0); });
 */
export class Tree<R extends AttrMap = AttrMap> extends EventEmitter<TreeEvents> {
  /** The tree's version: the seq of its last scribe. */
  seq = 0;
  /** Names this incarnation of the tree's history; seqs are comparable only within one epoch. */
  readonly epoch: string;
  readonly #nodes = new Map<ObjectId, Node>();
  #root: Node;
  #nextId = 1;
  #tx: Transaction | null = null;
  readonly log: ScribeLog;
  /** Told of each operation before it applies (visibility tracking); none by default. */
  observer: TreeObserver | undefined = undefined;
  #flat: Json[] | undefined;

  constructor(
    readonly name: string,
    /** The number that names this tree in batches. */
    readonly ref: number,
    readonly registry: TypeRegistry,
    rootType: AnyTypeDef,
    options: TreeOptions = {},
  ) {
    super();
    this.epoch = options.epoch ?? globalThis.crypto.randomUUID();
    this.#root = this.#makeNode(0, rootType, this.registry.indexOf(rootType), null, {});
    this.#nodes.set(0, this.#root);
    this.log = new ScribeLog(options.logWindow ?? 10_000);
  }

  /** The root object's handle. */
  get root(): ServerObject<R> {
    return handleOf(this, this.#root) as ServerObject<R>;
  }

  /** The handle of the object with this id, or undefined. */
  get(id: ObjectId): ServerObject | undefined {
    const node = this.#nodes.get(id);
    return node === undefined ? undefined : handleOf(this, node);
  }

  /** The id the next created object gets; ids are never reused. */
  get nextId(): number {
    return this.#nextId;
  }

  /**
   * Replaces the whole tree with a stored snapshot at `seq` (restoring from a store). Values are
   * checked against their kinds as if new: a corrupt store fails here, loudly.
   */
  restore(objects: readonly (readonly [id: ObjectId, typeIndex: number, parent: ObjectId, values: Readonly<Record<string, unknown>>])[], seq: number, nextId: number): void {
    assert(this.#tx === null && this.seq === 0, 'restore a fresh tree, outside a transaction');
    this.#nodes.clear();
    for (const [id, typeIndex, parentId, values] of objects) {
      const type = this.registry.at(typeIndex);
      const parent = parentId === -1 ? null : this.node(parentId);
      assert((parent === null) === (this.#nodes.size === 0), 'a snapshot has one root, first');
      const node = this.#makeNode(id, type, typeIndex, parent, values);
      parent?.children.push(node);
      if (parent === null) this.#root = node;
      this.#nodes.set(id, node);
    }
    this.seq = seq;
    this.#nextId = nextId;
    this.#flat = undefined;
  }

  /** Applies a stored scribe again, with its own object id for a create (restoring from a store). */
  replay(op: Op, origin: string): void {
    if (op[0] === OP.create) {
      // The create gets its own id (ids burned by rolled-back transactions are skipped as the
      // first time), and the counter never goes back below what the store recorded.
      const next = this.#nextId;
      this.#nextId = op[1];
      this.transact(() => this.apply(op), origin);
      this.#nextId = Math.max(next, this.#nextId);
    } else {
      this.transact(() => this.apply(op), origin);
    }
  }

  /** The broadcast room of this tree's subscribers. */
  get room(): string {
    return `t${this.ref}`;
  }

  /** The root node. */
  get rootNode(): Node {
    return this.#root;
  }

  /** How many objects the tree holds, the root included. */
  get size(): number {
    return this.#nodes.size;
  }

  /** The node with this id; UNKNOWN_OBJECT otherwise. */
  node(id: ObjectId): Node {
    const node = this.#nodes.get(id);
    if (node === undefined) fail(ErrorCode.UNKNOWN_OBJECT, `no object ${String(id)} in tree ${this.name}`, id);
    return node;
  }

  /** The node with this id, or undefined. */
  find(id: ObjectId): Node | undefined {
    return this.#nodes.get(id);
  }

  /**
   * Runs `fn` as one transaction: all of its mutations commit together, or, if it throws,
   * none of them happened and the error propagates. Nested calls join the outer transaction.
   * `committing`, for an outermost transaction that changed something, is called with the
   * tree's new seq once its scribes have their seqs and before anyone hears of them (`commit`).
   */
  transact<R>(fn: () => R, origin: string = SERVER_ORIGIN, committing?: (seq: number) => void): R {
    if (this.#tx !== null) return this.#nested(this.#tx, fn);
    return this.#outermost(fn, undefined, true, origin, committing);
  }

  /** Runs `run(arg)` as an outermost transaction, keeping undo when `undoing` (see {@link #alone}). */
  #outermost<A, R>(run: (arg: A) => R, arg: A, undoing: boolean, origin: string, committing: ((seq: number) => void) | undefined): R {
    const tx = new Transaction(origin, undoing);
    this.#tx = tx;
    let result: R;
    try {
      result = run(arg);
    } catch (error) {
      this.#rollback(tx, 0);
      this.observer?.abort();
      throw error;
    } finally {
      this.#tx = null;
    }
    if (tx.ops.length > 0) this.#commit(tx, committing);
    // Nothing left to commit (every change rolled back by nested transactions): the observer ends it too.
    else this.observer?.abort();
    return result;
  }

  /** A nested transaction: on a throw, undo back to where it began, so an outer catch keeps a consistent tree. */
  #nested<R>(tx: Transaction, fn: () => R): R {
    const mark = tx.keepUndo();
    try {
      return fn();
    } catch (error) {
      this.#rollback(tx, mark);
      throw error;
    }
  }

  /** Undoes a transaction's mutations back to the `mark`th; the cached snapshot goes with them. */
  #rollback(tx: Transaction, mark: number): void {
    if (tx.rollback(mark)) this.#flat = undefined;
  }

  /** Validates and applies one operation (inside a transaction, or as its own). Returns the id it created or acted on. */
  apply(op: Op, origin: string = SERVER_ORIGIN): ObjectId {
    const tx = this.#tx;
    if (tx === null) return this.#alone(op, origin);
    // Nested in a lone operation (a validator applying something): from here on, keep undo.
    tx.keepUndo();
    return this.#applyIn(op);
  }

  /**
   * One operation as its own transaction, without the general one's costs (a closure, an undo
   * closure and an inverse per operation): an operation checks everything, validators included,
   * before it changes the tree, so unless something nests in it, it never has anything to undo.
   */
  #alone(op: Op, origin: string): ObjectId {
    return this.#outermost(this.#applyOne, op, false, origin, undefined);
  }

  /** {@link #applyIn}, made once: a lone operation passes it and its op, not a closure per call. */
  readonly #applyOne = (op: Op): ObjectId => this.#applyIn(op);

  #applyIn(op: Op): ObjectId {
    this.observer?.before(op);
    switch (op[0]) {
      case OP.create:
        return this.#create(op[2], op[3], op[4], op[5]);
      case OP.destroy:
        this.#destroy(op[1]);
        return op[1];
      case OP.move:
        this.#move(op[1], op[2], op[3]);
        return op[1];
      default:
        this.#topic(op);
        return op[1];
    }
  }

  /** A copy of the whole tree as wire objects, parents before children. */
  snapshot(): WireObject[] {
    return structuredClone(this.wireSnapshot()) as WireObject[];
  }

  /**
   * The whole tree as wire objects, for a store's snapshot (joins use {@link flatSnapshot}, which
   * is cached). Its values are the live containers, not copies: write it at once, keep nothing.
   */
  wireSnapshot(): readonly WireObject[] {
    const objects: WireObject[] = [];
    walk(this.#root, (n) => objects.push([n.id, n.typeIndex, n.parent === null ? -1 : n.parent.id, n.values as Json[]]));
    return objects;
  }

  /**
   * The tree as a join's {@link FlatSnapshot}, cached until the next mutation; with `keep`, only
   * the objects it keeps, in the same order (not cached). Its values are the live containers, not
   * copies (a 10,000-object join stays cheap): encode it at once, keep nothing.
   */
  flatSnapshot(keep?: (node: Node) => boolean): FlatSnapshot {
    if (keep === undefined && this.#flat !== undefined) return this.#flat;
    const flat: Json[] = [];
    walk(this.#root, (n) => {
      if (keep === undefined || keep(n)) pushFlat(flat, n.id, n.typeIndex, n.parent === null ? -1 : n.parent.id, n.values as Json[]);
    });
    if (keep === undefined) this.#flat = flat;
    return flat;
  }

  /** Records an applied mutation's scribe and, unless in a lone operation, how to undo it. */
  #record(op: Op, undo: (() => void) | undefined): void {
    const tx = this.#tx;
    assert(tx !== null, 'mutation outside a transaction');
    tx.record(op, undo);
    this.#flat = undefined;
  }

  #commit(tx: Transaction, committing: ((seq: number) => void) | undefined): void {
    const firstSeq = this.seq + 1;
    this.seq += tx.ops.length;
    this.log.append(firstSeq, tx.ops, tx.origin);
    committing?.(this.seq);
    this.emit('commit', firstSeq, tx.ops, tx.origin);
  }

  #makeNode(id: ObjectId, type: AnyTypeDef, typeIndex: number, parent: Node | null, given: Readonly<Record<string, unknown>>): Node {
    for (const key of Object.keys(given)) {
      if (!type.attrIndex.has(key)) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `${type.name} has no attribute ${key}`, key);
    }
    const values = type.attrNames.map((name) => {
      const s = attrSpec(type, name);
      return copyValue(s, Object.hasOwn(given, name) ? given[name] : s.default, name);
    });
    return { id, type, typeIndex, parent, children: [], values, alive: true };
  }

  #create(typeIndex: number, parentId: ObjectId, index: number, given: Readonly<Record<string, unknown>>): ObjectId {
    const type = this.registry.at(typeIndex);
    const parent = this.node(parentId);
    const at = index === -1 ? parent.children.length : index;
    if (!Number.isSafeInteger(at) || at < 0 || at > parent.children.length) {
      fail(ErrorCode.BAD_INDEX, `index ${String(index)} outside 0..${parent.children.length}`, parentId);
    }
    const node = this.#makeNode(this.#nextId++, type, typeIndex, parent, given);
    parent.children.splice(at, 0, node);
    this.#nodes.set(node.id, node);
    const values: Record<string, Json> = {};
    // The scribe must not share containers with the node: later in-place list and dict ops would rewrite it.
    type.attrNames.forEach((name, i) => (values[name] = detach(node.values[i]) as Json));
    this.#record([OP.create, node.id, typeIndex, parent.id, at, values], () => {
      parent.children.splice(at, 1);
      this.#nodes.delete(node.id);
      node.alive = false;
    });
    return node.id;
  }

  #destroy(id: ObjectId): void {
    const node = this.node(id);
    const parent = node.parent;
    if (parent === null) fail(ErrorCode.BAD_PARENT, 'the root cannot be destroyed', id);
    const at = parent.children.indexOf(node);
    parent.children.splice(at, 1);
    const gone: Node[] = [];
    walk(node, (n) => {
      gone.push(n);
      this.#nodes.delete(n.id);
      n.alive = false;
    });
    this.#record([OP.destroy, id], () => {
      parent.children.splice(at, 0, node);
      for (const n of gone) {
        this.#nodes.set(n.id, n);
        n.alive = true;
      }
    });
  }

  #move(id: ObjectId, parentId: ObjectId, index: number): void {
    const node = this.node(id);
    const from = node.parent;
    if (from === null) fail(ErrorCode.BAD_PARENT, 'the root cannot be moved', id);
    const to = this.node(parentId);
    if (isWithin(to, node)) fail(ErrorCode.BAD_PARENT, `cannot move ${id} into its own subtree`, parentId);
    const fromIndex = from.children.indexOf(node);
    const max = to === from ? from.children.length - 1 : to.children.length;
    const at = index === -1 ? max : index;
    if (!Number.isSafeInteger(at) || at < 0 || at > max) fail(ErrorCode.BAD_INDEX, `index ${String(index)} outside 0..${max}`, parentId);
    from.children.splice(fromIndex, 1);
    to.children.splice(at, 0, node);
    node.parent = to;
    this.#record([OP.move, id, parentId, at], () => {
      to.children.splice(at, 1);
      from.children.splice(fromIndex, 0, node);
      node.parent = from;
    });
  }

  #topic(op: TopicOp): void {
    const node = this.node(op[1]);
    const name = node.type.attrNames[op[2]];
    if (name === undefined) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `${node.type.name} has no attribute #${String(op[2])}`, op[2]);
    const i = op[2];
    const current = node.values[i];
    const checked = checkTopicOp(attrSpec(node.type, name), current, op, name);
    // Asked after the check: a validator that applied something nested has turned undo on.
    const inverse = this.#tx?.undoing === true ? invertTopicOp(current, checked) : undefined;
    // A set scribe keeps its own container; the node gets a detached copy to change in place later.
    node.values[i] = checked[0] === OP.set ? detach(checked[3]) : applyTopicOp(current, checked);
    this.#record(
      checked,
      inverse &&
        (() => {
          node.values[i] = applyTopicOp(node.values[i], inverse);
        }),
    );
  }
}
