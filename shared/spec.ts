/**
 * The shape of one attribute declaration (kind, element kind, default, rules) and the key check,
 * kept apart from the DSL in schema.ts so that values.ts and rules.ts can use them without a cycle.
 * schema.ts re-exports everything here.
 */

/** The kinds an attribute (a topic) can have. */
export type KindName = 'string' | 'number' | 'boolean' | 'json' | 'dict' | 'list';

/**
 * A custom validator: `true` accepts the value; a string refuses it, and is the reason given in
 * the `INVALID` error. Anything else (false, undefined, a promise) refuses it with a generic reason,
 * and so does a throw. It must be synchronous, pure and cheap: it runs on every mutation of its
 * attribute, on the server and, where the definition is shared, on the client; it must neither
 * change nor keep the value it is given (for dict and list ops it is the live container).
 */
export type Validator<V> = (value: V) => true | string;

/**
 * The rules of an attribute declaration as it holds them: checked, normalized (patterns without
 * the `g` and `y` flags) and frozen, made by the builders of `t` from their typed rule arguments.
 * Only the rules of the declaration's kind are present.
 */
export interface AttrRules {
  /** string: the fewest UTF-16 code units (JavaScript `length`). */
  readonly minLength?: number;
  /** string: the most UTF-16 code units (JavaScript `length`), as the HTML `maxlength` counts. */
  readonly maxLength?: number;
  /** string: a pattern the whole string must match (`test`), checked after the lengths. */
  readonly pattern?: RegExp;
  /** string: the values allowed. */
  readonly oneOf?: readonly string[];
  /** number: the least value. */
  readonly min?: number;
  /** number: the greatest value. */
  readonly max?: number;
  /** number: a safe integer. */
  readonly integer?: true;
  /** json: the most bytes of the value's JSON (UTF-8 of `JSON.stringify`). */
  readonly maxBytes?: number;
  /** dict: the most keys. */
  readonly maxKeys?: number;
  /** dict: a pattern every key must match. */
  readonly keyPattern?: RegExp;
  /** list: the most items. */
  readonly maxItems?: number;
  /** Any kind: a custom check of the whole value (see {@link Validator}). */
  readonly validate?: (value: never) => unknown;
}

/** One attribute's declaration: its kind, element kind (dict, list), default value and rules. */
export interface AttrSpec<K extends KindName = KindName, V = unknown> {
  readonly kind: K;
  /** The element kind of a dict or list. */
  readonly of?: AttrSpec | undefined;
  readonly default: V;
  /** What a value must satisfy beyond its kind; absent: nothing. */
  readonly rules?: AttrRules | undefined;
}

const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Whether a string is well-formed UTF-16 (no lone surrogates), so it survives UTF-8 storage and transport unchanged. */
export function isWellFormed(s: string): boolean {
  return !/\p{Surrogate}/u.test(s);
}

/**
 * Whether a key may be used as an attribute, type or dict key: never `__proto__`, `constructor`,
 * `prototype`, nor a string with a lone surrogate (it would not survive UTF-8).
 */
export function isSafeKey(key: string): boolean {
  return !FORBIDDEN_NAMES.has(key) && isWellFormed(key);
}
