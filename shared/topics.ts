/**
 * The shape of attribute topics, shared by the server (mutations return nothing and throw) and
 * the client (mutations return a promise of the server's ack): one definition, two result types.
 */
import type { AnyTypeDef, AttrMap, AttrSpec, TypeDef, ValueOf } from './schema.js';

/** A string, boolean or json topic: read and set. `R` is what a mutation returns. */
export interface ValueTopicOf<V, R> {
  /** The current value. */
  readonly value: V;
  set(value: V): R;
}
/** A number topic. */
export interface NumberTopicOf<R> extends ValueTopicOf<number, R> {
  add(delta: number): R;
}
/** A dict topic. */
export interface DictTopicOf<E, R> extends ValueTopicOf<Readonly<Record<string, E>>, R> {
  get(key: string): E | undefined;
  put(key: string, value: E): R;
  delete(key: string): R;
}
/** A list topic. */
export interface ListTopicOf<E, R> extends ValueTopicOf<readonly E[], R> {
  insert(index: number, ...items: E[]): R;
  /** Appends at the end (the server's end, when proposed). */
  push(...items: E[]): R;
  remove(index: number, count?: number): R;
  move(from: number, to: number): R;
  replace(index: number, item: E): R;
}

/** The topic handle for one attribute declaration. */
export type TopicOf<S, R> = S extends AttrSpec<'number', number>
  ? NumberTopicOf<R>
  : S extends AttrSpec<'dict', Readonly<Record<string, infer E>>>
    ? DictTopicOf<E, R>
    : S extends AttrSpec<'list', readonly (infer E)[]>
      ? ListTopicOf<E, R>
      : ValueTopicOf<ValueOf<S>, R>;

/** The typed topic handles of a type's attributes. */
export type TopicsOf<A extends AttrMap, R> = { readonly [K in keyof A]: TopicOf<A[K], R> };

/** The attributes of a type definition. */
export type AttrsOf<T extends AnyTypeDef> = T extends TypeDef<string, infer A> ? A : never;

/** Initial values for a new object: any subset of its attributes. */
export type InitialValues<A extends AttrMap> = { readonly [K in keyof A]?: ValueOf<A[K]> };
