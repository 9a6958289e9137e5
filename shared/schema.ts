/**
 * The type DSL: `defineType(name, attributes)` with attribute kinds built by `t`.
 * One definition drives the server objects and the typed client mirrors.
 */
import { ErrorCode, fail } from './errors.js';
import type { Json } from './json.js';

/** The kinds an attribute (a topic) can have. */
export type KindName = 'string' | 'number' | 'boolean' | 'json' | 'dict' | 'list';

/** One attribute's declaration: its kind, element kind (dict, list) and default value. */
export interface AttrSpec<K extends KindName = KindName, V = unknown> {
  readonly kind: K;
  /** The element kind of a dict or list. */
  readonly of?: AttrSpec | undefined;
  readonly default: V;
}

/** The value type an attribute declaration holds. */
export type ValueOf<S> = S extends AttrSpec<KindName, infer V> ? V : never;

/** The attributes of a type: name to declaration. */
export type AttrMap = Readonly<Record<string, AttrSpec>>;

/** The values of all attributes of a type, typed. */
export type Values<A extends AttrMap> = { readonly [K in keyof A]: ValueOf<A[K]> };

/** The attribute names whose kind is K. */
export type AttrsOfKind<A extends AttrMap, K extends KindName> = {
  [N in keyof A]: A[N] extends AttrSpec<K> ? N : never;
}[keyof A] & string;

/** A named object class, made by {@link defineType}. */
export interface TypeDef<N extends string = string, A extends AttrMap = AttrMap> {
  readonly name: N;
  readonly attrs: A;
  /** Attribute names in declaration order; an attribute's index is its wire id. */
  readonly attrNames: readonly string[];
  /** Attribute name to its index in {@link attrNames}. */
  readonly attrIndex: ReadonlyMap<string, number>;
}

/** Any type definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- variance: a TypeDef<'Gauge', {...}> must be assignable here
export type AnyTypeDef = TypeDef<string, any>;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Whether a key may be used as an attribute, type or dict key: never `__proto__`, `constructor`, `prototype`. */
export function isSafeKey(key: string): boolean {
  return !FORBIDDEN_NAMES.has(key);
}

function spec<K extends KindName, V>(kind: K, def: V, of?: AttrSpec): AttrSpec<K, V> {
  return of === undefined ? { kind, default: def } : { kind, of, default: def };
}

/**
 * Attribute kind builders. Each takes an optional default.
 * @example
 * const Gauge = defineType('Gauge', { label: t.string('cpu'), value: t.number(0), tags: t.dict(t.string()) });
 */
export const t = {
  /** A string topic: set. Narrow it with a type argument: `t.string<'on' | 'off'>('off')`. */
  string: <V extends string = string>(def?: NoInfer<V>): AttrSpec<'string', V> => spec('string', (def ?? '') as V),
  /** A number topic (finite numbers): set, add. */
  number: (def = 0): AttrSpec<'number', number> => spec('number', def),
  /** A boolean topic: set. */
  boolean: (def = false): AttrSpec<'boolean', boolean> => spec('boolean', def),
  /** Any JSON value: set. */
  json: <V extends Json = Json>(def?: NoInfer<V>): AttrSpec<'json', V> => spec('json', (def ?? null) as V),
  /** A dict of string keys to values of one kind: set, put, delete. */
  dict: <E extends AttrSpec>(of: E, def?: Readonly<Record<string, ValueOf<E>>>): AttrSpec<'dict', Readonly<Record<string, ValueOf<E>>>> =>
    spec('dict', def ?? {}, of),
  /** A list of values of one kind: set, insert, remove, move, replace. */
  list: <E extends AttrSpec>(of: E, def?: readonly ValueOf<E>[]): AttrSpec<'list', readonly ValueOf<E>[]> =>
    spec('list', def ?? [], of),
} as const;

/**
 * Defines a named object class. The name is what a frontend maps to a view.
 * @example
 * export const Panel = defineType('Panel', { title: t.string('Untitled'), history: t.list(t.number()) });
 */
export function defineType<N extends string, A extends AttrMap>(name: N, attrs: A): TypeDef<N, A> {
  if (!NAME.test(name) || !isSafeKey(name)) fail(ErrorCode.BAD_VALUE, `invalid type name ${JSON.stringify(name)}`, name);
  const attrNames = Object.keys(attrs);
  for (const attr of attrNames) {
    if (!NAME.test(attr) || !isSafeKey(attr)) fail(ErrorCode.BAD_VALUE, `invalid attribute name ${JSON.stringify(attr)} in ${name}`, attr);
  }
  const attrIndex = new Map(attrNames.map((n, i) => [n, i] as const));
  return Object.freeze({ name, attrs, attrNames: Object.freeze(attrNames), attrIndex });
}

/** A kind as it travels in the schema: `'number'`, `['dict', 'string']`, `['list', ['dict', 'number']]`. */
export type WireKind = Exclude<KindName, 'dict' | 'list'> | readonly ['dict' | 'list', WireKind];

/** A type as it travels in the welcome message: its name and its attributes in index order. */
export type WireType = readonly [name: string, attrs: readonly (readonly [name: string, kind: WireKind])[]];

/** The declaration of one attribute of a type (its name must be one of the type's). */
export function attrSpec(type: AnyTypeDef, name: string): AttrSpec {
  const attrs = type.attrs as AttrMap;
  const s = attrs[name];
  if (s === undefined) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `${type.name} has no attribute ${name}`, name);
  return s;
}

/** The wire description of an attribute's kind. */
export function kindToWire(s: AttrSpec): WireKind {
  if (s.kind === 'dict' || s.kind === 'list') return [s.kind, kindToWire(s.of ?? t.json())];
  return s.kind;
}

/** The wire description of a type. */
export function typeToWire(type: AnyTypeDef): WireType {
  return [type.name, type.attrNames.map((n) => [n, kindToWire(attrSpec(type, n))] as const)];
}
