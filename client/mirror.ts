/**
 * A mirror: a client's copy of one tree. Immutable state (a new root per applied batch),
 * typed object views, events, and proposals that resolve once the mirror shows their effect.
 */
import { EventEmitter } from 'eventemitter3';
import {
  ErrorCode,
  OP,
  SyncError,
  assert,
  fail,
  type AnyTypeDef,
  type AttrMap,
  type ObjectId,
  type Op,
} from '../shared/index.js';
import type { StateDiff } from './apply-batch.js';
import { mapIds } from './overlay.js';
import type { TypeCatalog } from './catalog.js';
import { View, type ViewHost } from './object-view.js';
import { ProposalBuilder, Transaction } from './proposal.js';
import { Reconciler, type PendingProposal } from './reconcile.js';
import type { Ack, AttrsOf, MirrorEvents, ObjectView, ObjectViewEvents, ProposedOp, TreeState } from './types.js';

/** What a mirror needs from its client; implemented by {@link SyncClient}, not part of the public API. */
export interface MirrorHost {
  /** The server's types, known after the welcome. */
  catalog(): TypeCatalog | undefined;
  /** Most ops in one proposal. */
  maxOps(): number;
  /** Hands the client the mirror's inbound side. */
  bind(mirror: Mirror, inbox: MirrorInbox): void;
  /**
   * Proposes `local` (ops in the mirror's id space; `creates`: the local ids its creates make);
   * `settle` is called once, after the ack AND after the mirror reached the ack's seq, or on
   * reject. False when it was refused at once (settled already).
   */
  submit(mirror: Mirror, local: readonly Op[], creates: readonly ObjectId[], settle: (error: unknown, ack?: Ack) => void): boolean;
  /** The mirror's proposals still waiting, in order. */
  pending(mirror: Mirror): readonly PendingProposal[];
  /** Whether one of them was sent and has no answer yet. */
  unanswered(mirror: Mirror): boolean;
  /** A fresh local id for an object a proposal creates. */
  localId(): ObjectId;
  /** The real id the server gave a local one. */
  realId(local: ObjectId): ObjectId | undefined;
  /** This client's id: the origin of its scribes. */
  origin(): string;
  /** Asks for a join again: with `since` for the scribes after it, without for a fresh snapshot. */
  resync(mirror: Mirror, since: number | undefined): void;
  /** The mirror installed a new state. */
  applied(mirror: Mirror): void;
  warn(msg: string, ...args: unknown[]): void;
  /** An event listener threw. */
  listenerError(error: unknown): void;
}

/** The inbound side of a mirror, driven by its client with the server's messages. */
export interface MirrorInbox {
  hasState(): boolean;
  /** The seq of the last scribe the server confirmed (the mirror may still show an older one). */
  confirmedSeq(): number;
  /** A proposal of this mirror was answered (`seq`: of an ack), or failed. */
  answered(seq?: number): void;
  /** A `joined` answer; throws a SyncError on a junk snapshot. */
  joined(seq: number, snapshot: unknown): void;
  /** A batch `b` (`lastSeq` for a filtered one); junk is logged and heals by a fresh snapshot. */
  batch(firstSeq: number, ops: unknown, origins: unknown, lastSeq?: number): void;
  /** A join was sent: drop batches until its answer. */
  rejoining(): void;
  /** The mirror was left or its client closed. */
  close(): void;
}

/** What a failed call rejects with: its SyncError, or whatever Error was thrown. */
const asError = (error: unknown): Error => (error instanceof Error ? error : new SyncError(ErrorCode.INTERNAL, String(error), { cause: error }));

const closedError = (): SyncError => new SyncError(ErrorCode.CLOSED, 'the mirror is closed');

/**
 * A client's copy of one tree, from `client.join(name)`. Events are emitted after a batch is
 * installed, in this order: destroy (children first), create (parents first), move, change
 * (one per object and attribute), batch.
 * @example
 * const mirror = await client.join('dashboard');
 * mirror.on('change', (e) => render(e.id, e.attr, e.newValue));
 * await mirror.root.attrs.title.set('Hello');
 */
export class Mirror<R extends AttrMap = AttrMap> extends EventEmitter<MirrorEvents> {
  readonly #host: MirrorHost;
  readonly #views = new Map<ObjectId, View>();
  readonly #viewHost: ViewHost;
  readonly #reconciler: Reconciler;
  /** What is shown: confirmed plus the pending proposals (the same object when none). */
  #state: TreeState | undefined;
  #txn: Transaction | null = null;
  #closed = false;

  /** Made by {@link SyncClient.join}. */
  constructor(
    /** The tree's name. */
    readonly name: string,
    host: MirrorHost,
  ) {
    super();
    this.#host = host;
    this.#viewHost = {
      state: () => this.#state,
      view: (id) => this.get(id),
      type: (typeName) => this.#catalog().require(typeName),
      topic: (op) => this.#propose((b) => (b.topic(op), (ack) => ack)),
      create: (parent, type, values, index) =>
        this.#propose((b) => {
          const nth = b.create(this.#catalog().require(type.name), parent, values, index);
          return (ack) => {
            const id = ack.ids[nth];
            const view = id === undefined ? undefined : this.get(id);
            if (view === undefined) fail(ErrorCode.UNKNOWN_OBJECT, 'the created object is already gone', id);
            return view;
          };
        }),
      destroy: (id) => this.#propose((b) => (b.destroy(id), (ack) => ack)),
      move: (id, parent, index) => this.#propose((b) => (b.move(id, parent, index), (ack) => ack)),
    };
    this.#reconciler = new Reconciler({
      name,
      catalog: () => this.#catalog(),
      shown: () => this.#state,
      install: (diff, previous) => this.#install(diff, previous),
      closed: () => this.#closed,
      pending: () => host.pending(this),
      unanswered: () => host.unanswered(this),
      realId: (local) => host.realId(local),
      origin: () => host.origin(),
      resync: (since) => host.resync(this, since),
      applied: () => host.applied(this),
      warn: (msg, ...args) => host.warn(msg, ...args),
    });
    host.bind(this, {
      hasState: () => this.#state !== undefined,
      confirmedSeq: () => this.#reconciler.confirmed?.seq ?? 0,
      answered: (seq) => this.#reconciler.answered(seq),
      joined: (seq, snapshot) => this.#reconciler.joined(seq, snapshot),
      batch: (firstSeq, ops, origins, lastSeq) => this.#reconciler.batch(firstSeq, ops, origins, lastSeq),
      rejoining: () => this.#reconciler.rejoining(),
      close: () => this.#close(),
    });
  }

  /** The seq of the last applied scribe. */
  get seq(): number {
    return this.#state?.seq ?? 0;
  }

  /**
   * The current immutable state: the server's, with this client's pending proposals applied on top
   * (optimistic); a new object per change. Objects a pending proposal created have local ids
   * (negative) until the server confirms them under their real ids.
   */
  get state(): TreeState {
    assert(this.#state !== undefined, 'a mirror has state once its join resolved');
    return this.#state;
  }

  /** The state the server confirmed, without this client's pending proposals. */
  get confirmed(): TreeState {
    const confirmed = this.#reconciler.confirmed;
    assert(confirmed !== undefined, 'a mirror has state once its join resolved');
    return confirmed;
  }

  /** How many of this client's proposals to this tree wait for the server (queued offline, in flight, or acked but not yet seen). */
  get pending(): number {
    return this.#host.pending(this).length;
  }

  /** The root object's view, typed when the mirror came from `client.join(name, RootType)`. */
  get root(): ObjectView<R> {
    return this.get(this.state.root) as unknown as ObjectView<R>;
  }

  /** Whether the client left this tree or was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The view of an object, or undefined when the mirror does not hold it. */
  get(id: ObjectId): ObjectView | undefined {
    let view = this.#views.get(id);
    if (view === undefined && this.#state?.objects[id] !== undefined) {
      view = new View(id, this.#viewHost);
      this.#views.set(id, view);
    }
    return view;
  }

  /** The typed view of an object of `type`; UNKNOWN_OBJECT or UNKNOWN_TYPE otherwise. */
  view<T extends AnyTypeDef>(id: ObjectId, type: T): ObjectView<AttrsOf<T>> {
    const view = this.get(id);
    if (view === undefined) fail(ErrorCode.UNKNOWN_OBJECT, `no object ${String(id)}`, id);
    if (view.type !== type.name) fail(ErrorCode.UNKNOWN_TYPE, `object ${String(id)} is a ${view.type}, not a ${type.name}`, id);
    return view as unknown as ObjectView<AttrsOf<T>>;
  }

  /**
   * Proposes raw ops (for generic code such as undo with `invertTopicOp`), checked locally like
   * the view methods. Creates take temp ids -1, -2, ... in order; later ops may use them.
   */
  propose(...ops: readonly ProposedOp[]): Promise<Ack> {
    return this.transact(() => {
      for (const op of ops) void this.#propose((b) => (b.raw(op, this.#catalog()), (ack) => ack));
    });
  }

  /**
   * Runs `fn` and sends the mutations it makes synchronously as ONE proposal, applied all or
   * nothing by the server; each call's own promise settles with it. If `fn` throws, or a call is
   * invalid, nothing is sent and the promise rejects.
   */
  transact(fn: () => void): Promise<Ack> {
    const outer = this.#txn;
    if (outer !== null) {
      fn();
      return outer.member((ack) => ack, true);
    }
    if (this.#closed) return Promise.reject(closedError());
    const txn = new Transaction(new ProposalBuilder(this.state, this.#catalog(), this.#host.maxOps(), true));
    const whole = txn.member((ack) => ack, false);
    this.#txn = txn;
    try {
      fn();
    } catch (error) {
      txn.error ??= error;
    } finally {
      this.#txn = null;
    }
    if (txn.error !== undefined) txn.settle(txn.error);
    else if (txn.builder.ops.length === 0) txn.settle(undefined, { opId: 0, seq: this.seq, ids: [] });
    else this.#submit(txn.builder.ops, (error, ack) => txn.settle(error, ack));
    return whole;
  }

  #catalog(): TypeCatalog {
    const catalog = this.#host.catalog();
    assert(catalog !== undefined, 'types are known once a mirror has joined');
    return catalog;
  }

  /** One call: added to the open transaction, or proposed alone. `add` returns how the ack maps to the call's result. */
  #propose<R>(add: (builder: ProposalBuilder) => (ack: Ack) => R): Promise<R> {
    if (this.#closed) return Promise.reject(closedError());
    const txn = this.#txn;
    if (txn !== null) {
      try {
        return txn.member(add(txn.builder), true);
      } catch (error) {
        txn.error ??= error;
        const failed = Promise.reject(asError(error));
        failed.catch(() => undefined);
        return failed;
      }
    }
    const single = new Transaction(new ProposalBuilder(this.state, this.#catalog(), this.#host.maxOps(), false));
    let map: (ack: Ack) => R;
    try {
      map = add(single.builder);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    const result = single.member(map, false);
    this.#submit(single.builder.ops, (error, ack) => single.settle(error, ack));
    return result;
  }

  /** Sends a proposal built against the shown state, and shows it at once (pending). */
  #submit(ops: readonly Op[], settle: (error: unknown, ack?: Ack) => void): void {
    const temps = new Map<ObjectId, ObjectId>();
    const creates: ObjectId[] = [];
    for (const op of ops) {
      if (op[0] !== OP.create) continue;
      const id = this.#host.localId();
      temps.set(op[1], id);
      creates.push(id);
    }
    const local = creates.length === 0 ? ops : ops.map((op) => mapIds(op, (id) => temps.get(id) ?? id));
    if (!this.#host.submit(this, local, creates, settle)) return;
    const prev = this.#state;
    if (prev !== undefined) this.#reconciler.proposed(prev, local);
  }

  #install(diff: StateDiff, previous: TreeState | undefined): void {
    this.#state = diff.state;
    for (const event of diff.destroyed) {
      const view = this.#views.get(event.id);
      this.#views.delete(event.id);
      view?.die(event.state);
      this.#emit(view, 'destroy', event);
    }
    if (this.listenerCount('create') > 0) {
      for (const id of diff.created) {
        const view = this.get(id);
        if (view !== undefined) this.#safely(() => this.emit('create', view));
      }
    }
    for (const event of diff.moved) this.#emit(this.#views.get(event.id), 'move', event);
    for (const event of diff.changed) this.#emit(this.#views.get(event.id), 'change', event);
    this.#safely(() => this.emit('batch', diff.state, previous));
    this.#host.applied(this);
  }

  #emit<E extends keyof ObjectViewEvents>(view: View | undefined, event: E, ...args: ObjectViewEvents[E]): void {
    this.#safely(() => (this.emit as (event: E, ...args: ObjectViewEvents[E]) => boolean)(event, ...args));
    if (view !== undefined) this.#safely(() => view.emit(event, ...args));
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#host.listenerError(error);
    }
  }

  #close(): void {
    this.#closed = true;
    this.#reconciler.rejoining();
  }
}
