/**
 * The typed handles server code uses: objects and their attribute topics.
 * Mutations are synchronous; a bad one throws a SyncError and changes nothing.
 */
import type { AnyTypeDef, AttrMap, AttrSpec, ObjectId, TypeDef, ValueOf } from '../shared/index.js';

/** A string, boolean or json topic on the server. */
export interface ServerValueTopic<V> {
  /** The current value; containers are live: do not mutate them, use the topic's methods. */
  readonly value: V;
  set(value: V): void;
}
/** A number topic. */
export interface ServerNumberTopic extends ServerValueTopic<number> {
  add(delta: number): void;
}
/** A dict topic. */
export interface ServerDictTopic<E> extends ServerValueTopic<Readonly<Record<string, E>>> {
  get(key: string): E | undefined;
  put(key: string, value: E): void;
  delete(key: string): void;
}
/** A list topic. */
export interface ServerListTopic<E> extends ServerValueTopic<readonly E[]> {
  insert(index: number, ...items: E[]): void;
  /** Appends at the end. */
  push(...items: E[]): void;
  remove(index: number, count?: number): void;
  move(from: number, to: number): void;
  replace(index: number, item: E): void;
}

/** The server topic handle for one attribute declaration. */
export type ServerTopicFor<S> = S extends AttrSpec<'number', number>
  ? ServerNumberTopic
  : S extends AttrSpec<'dict', Readonly<Record<string, infer E>>>
    ? ServerDictTopic<E>
    : S extends AttrSpec<'list', readonly (infer E)[]>
      ? ServerListTopic<E>
      : ServerValueTopic<ValueOf<S>>;

/** The typed topic handles of a type's attributes. */
export type ServerTopics<A extends AttrMap> = { readonly [K in keyof A]: ServerTopicFor<A[K]> };

/** The attributes of a type definition. */
export type AttrsOf<T extends AnyTypeDef> = T extends TypeDef<string, infer A> ? A : never;

/** Initial values for a new object: any subset of its attributes. */
export type InitialValues<A extends AttrMap> = { readonly [K in keyof A]?: ValueOf<A[K]> };

/** A server-side handle of one object in a tree. */
export interface ServerObject<A extends AttrMap = AttrMap> {
  readonly id: ObjectId;
  readonly type: AnyTypeDef;
  readonly parent: ServerObject | null;
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
