/**
 * The client's public shapes: mirror state, object views, topics, events.
 * client/mirror.ts and client/object-view.ts implement them; client/dom/ consumes them.
 */
import type {
  AnyTypeDef,
  AttrMap,
  AttrsOf,
  DictTopicOf,
  InitialValues,
  Json,
  ListTopicOf,
  NumberTopicOf,
  ObjectId,
  TopicOf,
  TopicOp,
  TopicsOf,
  TreeOp,
  ValueOf,
  ValueTopicOf,
  Values,
} from '../shared/index.js';

/** One object in a mirror's immutable state. Untouched objects keep their reference across batches. */
export interface ObjectState<A extends AttrMap = AttrMap> {
  readonly id: ObjectId;
  /** The type's name. */
  readonly type: string;
  /** The parent's id; null for the root. */
  readonly parent: ObjectId | null;
  /** Child ids in order. */
  readonly children: readonly ObjectId[];
  /** Attribute values by name. */
  readonly values: Values<A>;
}

/** A mirror's whole state: a new root per applied batch, copied on write; frozen but for `objects`. */
export interface TreeState {
  readonly seq: number;
  readonly root: ObjectId;
  /**
   * The objects by id: a fresh shallow copy per batch that changes any (the same record when none
   * changes), not frozen, as freezing a large record costs far more than copying it. Treat it as
   * read-only; the ObjectStates in it are frozen.
   */
  readonly objects: Readonly<Record<ObjectId, ObjectState>>;
}

/** The server's answer to an accepted proposal. */
export interface Ack {
  readonly opId: number;
  /** The seq of the proposal's last scribe. */
  readonly seq: number;
  /** Ids of the objects the proposal created, in order. */
  readonly ids: readonly ObjectId[];
}

/** One applied operation within a change event. */
export interface AppliedOp {
  readonly op: TopicOp;
  readonly seq: number;
  /** The client id that caused it, or 'server'. */
  readonly origin: string;
  /** True for this client's own op shown before the server confirmed it (optimistic); `seq` is then the mirror's seq. */
  readonly pending?: boolean;
}

/** An attribute changed in one batch. One event per (object, attribute) per batch. */
export interface ChangeEvent {
  readonly id: ObjectId;
  readonly attr: string;
  /** The operations applied to this attribute in this batch, in order (for a re-snapshot: one synthetic set). */
  readonly ops: readonly AppliedOp[];
  readonly oldValue: unknown;
  readonly newValue: unknown;
}

/** An object moved (to another parent or another index). */
export interface MoveEvent {
  readonly id: ObjectId;
  readonly oldParent: ObjectId | null;
  readonly newParent: ObjectId | null;
  /** Its index among its new parent's children after the batch. */
  readonly index: number;
}

/** An object (and so its subtree; one event per destroyed object, children first) was destroyed. */
export interface DestroyEvent {
  readonly id: ObjectId;
  /** Its last state. */
  readonly state: ObjectState;
}

/** Events of a mirror. Emitted after the batch is applied: `mirror.state` is already the new state. */
export interface MirrorEvents {
  /** An object appeared (created, or came in with a re-snapshot). Parents before children. */
  create: [view: ObjectView];
  destroy: [event: DestroyEvent];
  move: [event: MoveEvent];
  change: [event: ChangeEvent];
  /** A batch (or snapshot) was applied; `state` is the new root. */
  batch: [state: TreeState, previous: TreeState | undefined];
  /** A proposal of this client was rejected by the server. */
  reject: [error: Error, opId: number];
}

/** Events of one object view. */
export interface ObjectViewEvents {
  change: [event: ChangeEvent];
  move: [event: MoveEvent];
  destroy: [event: DestroyEvent];
}

/** A string, boolean or json topic on the client; mutations resolve with the server's ack. */
export type ValueTopic<V> = ValueTopicOf<V, Promise<Ack>>;
/** A number topic on the client. */
export type NumberTopic = NumberTopicOf<Promise<Ack>>;
/** A dict topic on the client. */
export type DictTopic<E> = DictTopicOf<E, Promise<Ack>>;
/** A list topic on the client. */
export type ListTopic<E> = ListTopicOf<E, Promise<Ack>>;
/** The client topic handle for one attribute declaration. */
export type TopicFor<S> = TopicOf<S, Promise<Ack>>;

/** The typed client topic handles of a type's attributes. */
export type Topics<A extends AttrMap> = TopicsOf<A, Promise<Ack>>;

export type { AttrsOf, InitialValues };

/**
 * A typed live view of one object in a mirror. Reads come from the mirror's current state;
 * mutations are proposals to the server, resolved when it acks.
 */
export interface ObjectView<A extends AttrMap = AttrMap> {
  readonly id: ObjectId;
  readonly type: string;
  /** This object's current immutable state. */
  readonly state: ObjectState<A>;
  readonly parent: ObjectView | null;
  /** Its position among its parent's children; -1 for the root. */
  readonly index: number;
  readonly children: readonly ObjectView[];
  /** Whether the object still exists in the mirror. */
  readonly alive: boolean;
  /** Typed topic handles, one per attribute. */
  readonly attrs: Topics<A>;
  /** The current value of one attribute. */
  get<K extends keyof A & string>(name: K): ValueOf<A[K]>;
  /** Whether this view's type is `type` (narrows). */
  is<T extends AnyTypeDef>(type: T): this is ObjectView<AttrsOf<T>>;
  /** Proposes a new child of type `type` at `index` (default: last); resolves to its view once applied. */
  create<T extends AnyTypeDef>(type: T, values?: InitialValues<AttrsOf<T>>, index?: number): Promise<ObjectView<AttrsOf<T>>>;
  /** Proposes to destroy this object and its subtree. */
  destroy(): Promise<Ack>;
  /** Proposes to move this object under `parent` at `index` (default: last), counted after removal. */
  move(parent: ObjectView | ObjectId, index?: number): Promise<Ack>;
  on<E extends keyof ObjectViewEvents>(event: E, fn: (...args: ObjectViewEvents[E]) => void): this;
  off<E extends keyof ObjectViewEvents>(event: E, fn: (...args: ObjectViewEvents[E]) => void): this;
}

/** Where the client reports junk from the server and errors thrown by event listeners; never console. */
export interface Logger {
  warn(msg: string, ...args: unknown[]): void;
}

/** Internal: what ops a mirror hands to its client to propose. */
export type ProposedOp = TopicOp | TreeOp;

/** Re-exported for convenience. */
export type { Json };
