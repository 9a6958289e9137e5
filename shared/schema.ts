/**
 * The type DSL: `defineType(name, attributes)` with attribute kinds built by `t`.
 * One definition drives the server objects and the typed client mirrors.
 */
import { ErrorCode, SyncError, fail } from './errors.js';
import type { Json } from './json.js';
import { normalizeRules, type BooleanRules, type DictRules, type JsonRules, type ListRules, type NumberRules, type StringRules } from './rules.js';
import { rulesToWire, type WireRules } from './rules-wire.js';
import { isSafeKey, type AttrRules, type AttrSpec, type KindName } from './spec.js';
import { copyValue } from './values.js';

export { isSafeKey, type AttrRules, type AttrSpec, type KindName, type Validator } from './spec.js';

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

function spec<K extends KindName, V>(kind: K, def: V, of: AttrSpec | undefined, given: unknown): AttrSpec<K, V> {
  const rules: AttrRules | undefined = normalizeRules(kind, given);
  // Keys only when present: a declaration without rules is exactly what it was before rules existed.
  const out: { kind: K; of?: AttrSpec; default: V; rules?: AttrRules } = { kind, default: def };
  if (of !== undefined) out.of = of;
  if (rules !== undefined) out.rules = rules;
  return out;
}

/**
 * Attribute kind builders. Each takes an optional default, then optional rules that every value of
 * the attribute must satisfy, from any client or the server (else `INVALID`). A dict's or list's
 * element kind carries the rules of each element.
 * @example
 * const Gauge = defineType('Gauge', {
 *   label: t.string('cpu', { maxLength: 40 }),
 *   mode: t.string('auto', { oneOf: ['auto', 'manual'] }),     // value type 'auto' | 'manual'
 *   value: t.number(0, { min: 0, max: 100, integer: true }),
 *   tags: t.dict(t.string('', { maxLength: 20 }), {}, { maxKeys: 10, keyPattern: /^[a-z]+$/ }),
 * });
 */
export const t = {
  /**
   * A string topic: set. Narrow it with a type argument, `t.string<'on' | 'off'>('off')`, or with
   * `oneOf`, `t.string('on', { oneOf: ['on', 'off'] })`.
   */
  string: <const V extends string = string>(def?: NoInfer<V>, rules?: StringRules<V>): AttrSpec<'string', V> =>
    spec('string', (def ?? '') as V, undefined, rules),
  /** A number topic (finite numbers): set, add (the sum must satisfy the rules). */
  number: (def = 0, rules?: NumberRules): AttrSpec<'number', number> => spec('number', def, undefined, rules),
  /** A boolean topic: set. */
  boolean: (def = false, rules?: BooleanRules): AttrSpec<'boolean', boolean> => spec('boolean', def, undefined, rules),
  /** Any JSON value: set. */
  json: <V extends Json = Json>(def?: NoInfer<V>, rules?: JsonRules<NoInfer<V>>): AttrSpec<'json', V> =>
    spec('json', (def ?? null) as V, undefined, rules),
  /** A dict of string keys to values of one kind: set, put, delete. */
  dict: <E extends AttrSpec>(
    of: E,
    def?: Readonly<Record<string, ValueOf<E>>>,
    rules?: DictRules<ValueOf<E>>,
  ): AttrSpec<'dict', Readonly<Record<string, ValueOf<E>>>> => spec('dict', def ?? {}, of, rules),
  /** A list of values of one kind: set, insert, remove, move, replace. */
  list: <E extends AttrSpec>(of: E, def?: readonly ValueOf<E>[], rules?: ListRules<ValueOf<E>>): AttrSpec<'list', readonly ValueOf<E>[]> =>
    spec('list', def ?? [], of, rules),
} as const;

/**
 * Defines a named object class. The name is what a frontend maps to a view. Every default must be
 * of its kind and satisfy its rules (BAD_VALUE or INVALID here otherwise, naming the attribute).
 * @example
 * export const Panel = defineType('Panel', { title: t.string('Untitled'), history: t.list(t.number()) });
 */
export function defineType<N extends string, A extends AttrMap>(name: N, attrs: A): TypeDef<N, A> {
  if (!NAME.test(name) || !isSafeKey(name)) fail(ErrorCode.BAD_VALUE, `invalid type name ${JSON.stringify(name)}`, name);
  const attrNames = Object.keys(attrs);
  for (const attr of attrNames) {
    if (!NAME.test(attr) || !isSafeKey(attr)) fail(ErrorCode.BAD_VALUE, `invalid attribute name ${JSON.stringify(attr)} in ${name}`, attr);
  }
  for (const attr of attrNames) {
    const s = (attrs as AttrMap)[attr] as AttrSpec;
    try {
      copyValue(s, s.default, attr);
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      throw new SyncError(error.code, `${name}.${attr} default: ${error.message}`, { ref: attr, cause: error });
    }
  }
  const attrIndex = new Map(attrNames.map((n, i) => [n, i] as const));
  return Object.freeze({ name, attrs, attrNames: Object.freeze(attrNames), attrIndex });
}

/** A kind as it travels in the schema: `'number'`, `['dict', 'string']`, `['list', ['dict', 'number']]`. */
export type WireKind = Exclude<KindName, 'dict' | 'list'> | readonly ['dict' | 'list', WireKind];

/** An attribute as it travels in the welcome message: its name, its kind, and its declarative rules when it has any. */
export type WireAttr = readonly [name: string, kind: WireKind] | readonly [name: string, kind: WireKind, rules: WireRules];

/** A type as it travels in the welcome message: its name and its attributes in index order. */
export type WireType = readonly [name: string, attrs: readonly WireAttr[]];

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

/** The wire description of a type: attributes with their kinds, and their declarative rules where they have some. */
export function typeToWire(type: AnyTypeDef): WireType {
  return [
    type.name,
    type.attrNames.map((n): WireAttr => {
      const s = attrSpec(type, n);
      const rules = rulesToWire(s);
      return rules === undefined ? [n, kindToWire(s)] : [n, kindToWire(s), rules];
    }),
  ];
}
