/**
 * The typed handles server code uses: objects and their attribute topics.
 * Mutations are synchronous; a bad one throws a SyncError and changes nothing.
 */
import type {
  AnyTypeDef,
  AttrMap,
  AttrsOf,
  DictTopicOf,
  InitialValues,
  ListTopicOf,
  NumberTopicOf,
  ObjectId,
  TopicOf,
  TopicsOf,
  ValueOf,
  ValueTopicOf,
} from '../shared/index.js';

/** A string, boolean or json topic on the server; mutations apply at once or throw a SyncError. */
export type ServerValueTopic<V> = ValueTopicOf<V, void>;
/** A number topic on the server. */
export type ServerNumberTopic = NumberTopicOf<void>;
/** A dict topic on the server. */
export type ServerDictTopic<E> = DictTopicOf<E, void>;
/** A list topic on the server. */
export type ServerListTopic<E> = ListTopicOf<E, void>;
/** The server topic handle for one attribute declaration. */
export type ServerTopicFor<S> = TopicOf<S, void>;
/** The typed server topic handles of a type's attributes. Containers in `value` are live: do not mutate them. */
export type ServerTopics<A extends AttrMap> = TopicsOf<A, void>;

export type { AttrsOf, InitialValues };

/** A server-side handle of one object in a tree. */
export interface ServerObject<A extends AttrMap = AttrMap> {
  readonly id: ObjectId;
  readonly type: AnyTypeDef;
  readonly parent: ServerObject | null;
  /** Its position among its parent's children; -1 for the root. */
  readonly index: number;
  readonly children: readonly ServerObject[];
  /** Whether the object still exists. */
  readonly alive: boolean;
  /** Typed topic handles, one per attribute. */
  readonly attrs: ServerTopics<A>;
  /** The current value of one attribute. */
  get<K extends keyof A & string>(name: K): ValueOf<A[K]>;
  /** Whether this object is of `type` (narrows). */
  is<T extends AnyTypeDef>(type: T): this is ServerObject<AttrsOf<T>>;
  /** Creates a child of `type` at `index` (default: last). */
  create<T extends AnyTypeDef>(type: T, values?: InitialValues<AttrsOf<T>>, index?: number): ServerObject<AttrsOf<T>>;
  /** Destroys this object and its subtree. */
  destroy(): void;
  /** Moves this object under `parent` at `index` (default: last), counted after removal. */
  move(parent: ServerObject | ObjectId, index?: number): void;
}
