/**
 * Attribute rules (validators): the typed rule arguments of the `t` builders, their checking at
 * definition time, and their enforcement on values (rules-wire.ts has their wire form). A value
 * that breaks a rule is refused with an `INVALID` SyncError whose `ref` is the attribute and whose
 * message names the rule ("title: at most 80 characters").
 *
 * Cost: an attribute without rules pays one property read per check. Declarative rules are O(1)
 * (lengths, bounds, counts, a Set for `oneOf`), except `pattern` (the regex), `keyPattern` (per
 * key of a set dict) and `maxBytes` (a walk of the value, stopping at the budget). A `validate`
 * costs what it does, once per mutation; see ops.ts for what it is given on container ops.
 */
import { ErrorCode, SyncError } from './errors.js';
import type { Json } from './json.js';
import type { AttrRules, KindName, Validator } from './spec.js';

/** Rules of `t.string`. `oneOf` narrows the value type: `t.string('a', { oneOf: ['a', 'b'] })` holds `'a' | 'b'`. */
export interface StringRules<V extends string = string> {
  /** The fewest UTF-16 code units (JavaScript `length`, as the HTML `minlength` counts). */
  readonly minLength?: number;
  /** The most UTF-16 code units (JavaScript `length`, as the HTML `maxlength` counts); checked before `pattern`. */
  readonly maxLength?: number;
  /** The string must match (`pattern.test`); the `g` and `y` flags are dropped. Anchor it (`^…$`) to match the whole. */
  readonly pattern?: RegExp;
  /** The allowed values. */
  readonly oneOf?: readonly V[];
  readonly validate?: Validator<V>;
}

/** Rules of `t.number`. */
export interface NumberRules {
  /** The least value (finite). */
  readonly min?: number;
  /** The greatest value (finite). */
  readonly max?: number;
  /** `true`: a safe integer (`Number.isSafeInteger`). */
  readonly integer?: boolean;
  readonly validate?: Validator<number>;
}

/** Rules of `t.boolean`. */
export interface BooleanRules {
  readonly validate?: Validator<boolean>;
}

/** Rules of `t.json`. */
export interface JsonRules<V extends Json = Json> {
  /** The most bytes of the value's JSON: the UTF-8 length of `JSON.stringify(value)`. */
  readonly maxBytes?: number;
  readonly validate?: Validator<V>;
}

/** Rules of `t.dict` (its elements have their own, in the element kind). */
export interface DictRules<E> {
  /** The most keys. */
  readonly maxKeys?: number;
  /** A pattern every key must match (`__proto__`, `constructor`, `prototype` are refused before it, with BAD_KEY). */
  readonly keyPattern?: RegExp;
  readonly validate?: Validator<Readonly<Record<string, E>>>;
}

/** Rules of `t.list` (its items have their own, in the element kind). */
export interface ListRules<E> {
  /** The most items. */
  readonly maxItems?: number;
  readonly validate?: Validator<readonly E[]>;
}

type RuleName = keyof AttrRules;

/** The rules each kind accepts, in their canonical order (the wire form and comparisons follow it). */
export const RULES_OF_KIND: Readonly<Record<KindName, readonly RuleName[]>> = {
  string: ['minLength', 'maxLength', 'pattern', 'oneOf', 'validate'],
  number: ['min', 'max', 'integer', 'validate'],
  boolean: ['validate'],
  json: ['maxBytes', 'validate'],
  dict: ['maxKeys', 'keyPattern', 'validate'],
  list: ['maxItems', 'validate'],
};

/** The Set of each normalized rules object's `oneOf`, for O(1) lookups. */
const ONE_OF = new WeakMap<AttrRules, ReadonlySet<string>>();

function shown(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeof v;
}

function isRegExp(v: unknown): v is RegExp {
  return Object.prototype.toString.call(v) === '[object RegExp]';
}

/**
 * Checks the rule argument of a `t` builder and returns it normalized and frozen, or undefined
 * when it holds no rule. Throws BAD_VALUE on a rule the kind does not have, a non-finite or
 * negative bound, a min above its max, a non-RegExp pattern, an empty or non-string `oneOf`, a
 * non-function `validate`.
 */
export function normalizeRules(kind: KindName, rules: unknown): AttrRules | undefined {
  if (rules === undefined) return undefined;
  const where = `t.${kind}`;
  const bad = (message: string, ref?: string): never => {
    throw new SyncError(ErrorCode.BAD_VALUE, `${where}: ${message}`, { ref });
  };
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) return bad('rules must be an object');
  const given = rules as Readonly<Record<string, unknown>>;
  const allowed = RULES_OF_KIND[kind];
  for (const key of Object.keys(given)) {
    if (!(allowed as readonly string[]).includes(key)) bad(`${JSON.stringify(key)} is not a rule of a ${kind}`, key);
  }
  const out: { -readonly [K in RuleName]?: AttrRules[K] } = {};
  for (const name of allowed) {
    const v = given[name];
    if (v === undefined) continue;
    switch (name) {
      case 'minLength':
      case 'maxLength':
      case 'maxBytes':
      case 'maxKeys':
      case 'maxItems':
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`${name} must be a non-negative integer, not ${shown(v)}`, name);
        out[name] = v as number;
        break;
      case 'min':
      case 'max':
        if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${name} must be a finite number, not ${shown(v)}`, name);
        out[name] = v as number;
        break;
      case 'integer':
        if (typeof v !== 'boolean') bad(`integer must be a boolean`, name);
        if (v === true) out.integer = true;
        break;
      case 'pattern':
      case 'keyPattern':
        if (!isRegExp(v)) bad(`${name} must be a RegExp`, name);
        // Without g and y, test() never reads or moves lastIndex: the same pattern gives the same answer every time.
        out[name] = new RegExp((v as RegExp).source, (v as RegExp).flags.replace(/[gy]/g, ''));
        break;
      case 'oneOf':
        if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) bad('oneOf must be a non-empty array of strings', name);
        out.oneOf = Object.freeze([...(v as string[])]);
        break;
      case 'validate':
        if (typeof v !== 'function') bad('validate must be a function', name);
        out.validate = v as (value: never) => unknown;
        break;
    }
  }
  if (out.minLength !== undefined && out.maxLength !== undefined && out.minLength > out.maxLength) bad('minLength is above maxLength', 'minLength');
  if (out.min !== undefined && out.max !== undefined && out.min > out.max) bad('min is above max', 'min');
  if (Object.keys(out).length === 0) return undefined;
  const frozen = Object.freeze(out) as AttrRules;
  if (frozen.oneOf !== undefined) ONE_OF.set(frozen, new Set(frozen.oneOf));
  return frozen;
}

// ---------------------------------------------------------------------------------------------
// Enforcement. Every check returns normally when the value passes, allocating nothing.

const REASON_MAX = 200;

/** At most `max` UTF-16 units of `s`, never ending in half a surrogate pair. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.charCodeAt(max - 1) >= 0xd800 && s.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return `${s.slice(0, cut)}…`;
}

function showPattern(p: RegExp): string {
  return `/${clip(p.source, 60)}/${p.flags}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `title`, `tags[3]`, `scores["a"]`: the attribute, and where in it. */
function label(ref: string | number, at: string | number | undefined): string {
  if (at === undefined) return String(ref);
  return typeof at === 'number' ? `${String(ref)}[${at}]` : `${String(ref)}[${JSON.stringify(clip(at, 40))}]`;
}

/** Throws the INVALID SyncError of a broken rule: `ref` is the attribute, the message names the rule. */
export function invalid(ref: string | number, at: string | number | undefined, reason: string, cause?: unknown): never {
  throw new SyncError(ErrorCode.INVALID, `${label(ref, at)}: ${reason}`, cause === undefined ? { ref } : { ref, cause });
}

/**
 * Runs a rules object's `validate`, if any, on `value`. A throw, a non-synchronous or a junk answer
 * is a refusal with a generic reason (the thrown error is the SyncError's `cause`, never sent).
 */
export function runValidator(rules: AttrRules, value: unknown, ref: string | number, at?: string | number): void {
  const fn = rules.validate;
  if (fn === undefined) return;
  let verdict: unknown;
  try {
    verdict = (fn as (value: unknown) => unknown)(value);
  } catch (error) {
    return invalid(ref, at, 'its validator failed', error);
  }
  if (verdict === true) return;
  if (typeof verdict === 'string' && verdict.length > 0) return invalid(ref, at, clip(verdict, REASON_MAX));
  if (isThenable(verdict)) return invalid(ref, at, 'its validator is not synchronous');
  return invalid(ref, at, 'refused by its validator');
}

/** Whether a validator's answer is a promise; if so, its rejection is handled (an unhandled one would end the process). */
function isThenable(verdict: unknown): boolean {
  if ((typeof verdict !== 'object' && typeof verdict !== 'function') || verdict === null) return false;
  try {
    const then: unknown = (verdict as { then?: unknown }).then;
    if (typeof then !== 'function') return false;
    (then as (ok: () => void, ko: () => void) => unknown).call(verdict, ignore, ignore);
    return true;
  } catch {
    return false;
  }
}

function ignore(): void {
  // Nothing: see isThenable.
}

/**
 * Enforces the rules of a scalar kind (string, number, boolean, json) on a value already of that
 * kind: the declarative rules first, cheapest first, then `validate`.
 */
export function checkScalar(rules: AttrRules, kind: KindName, value: unknown, ref: string | number, at?: string | number): void {
  switch (kind) {
    case 'string': {
      const s = value as string;
      if (rules.minLength !== undefined && s.length < rules.minLength) invalid(ref, at, `at least ${plural(rules.minLength, 'character')}`);
      if (rules.maxLength !== undefined && s.length > rules.maxLength) invalid(ref, at, `at most ${plural(rules.maxLength, 'character')}`);
      if (rules.pattern !== undefined && !rules.pattern.test(s)) invalid(ref, at, `does not match ${showPattern(rules.pattern)}`);
      if (rules.oneOf !== undefined && !isOneOf(rules, rules.oneOf, s)) invalid(ref, at, `not one of ${showChoices(rules.oneOf)}`);
      break;
    }
    case 'number': {
      const n = value as number;
      if (rules.integer === true && !Number.isSafeInteger(n)) invalid(ref, at, Number.isInteger(n) ? 'not a safe integer' : 'not an integer');
      if (rules.min !== undefined && n < rules.min) invalid(ref, at, `at least ${rules.min}`);
      if (rules.max !== undefined && n > rules.max) invalid(ref, at, `at most ${rules.max}`);
      break;
    }
    case 'json':
      if (rules.maxBytes !== undefined && jsonByteLength(value as Json, rules.maxBytes) > rules.maxBytes) invalid(ref, at, `larger than ${plural(rules.maxBytes, 'byte')} of JSON`);
      break;
    default:
      break;
  }
  runValidator(rules, value, ref, at);
}

function isOneOf(rules: AttrRules, oneOf: readonly string[], s: string): boolean {
  const set = ONE_OF.get(rules);
  // No Set: rules that did not come from normalizeRules (a declaration made by hand).
  return set === undefined ? oneOf.includes(s) : set.has(s);
}

function showChoices(choices: readonly string[]): string {
  const shown = choices.slice(0, 5).map((c) => JSON.stringify(clip(c, 30)));
  return choices.length > 5 ? `${shown.join(', ')}, … (${choices.length} in all)` : shown.join(', ');
}

/** Enforces a dict's `keyPattern` on one key (a key already known to be safe). */
export function checkKeyPattern(rules: AttrRules, key: string, ref: string | number): void {
  if (rules.keyPattern !== undefined && !rules.keyPattern.test(key)) invalid(ref, key, `key does not match ${showPattern(rules.keyPattern)}`);
}

/** Enforces `maxKeys` on a dict about to hold `count` keys. */
export function checkKeyCount(rules: AttrRules, count: number, ref: string | number, at?: string | number): void {
  if (rules.maxKeys !== undefined && count > rules.maxKeys) invalid(ref, at, `at most ${plural(rules.maxKeys, 'key')}`);
}

/** Enforces `maxItems` on a list about to hold `count` items. */
export function checkItemCount(rules: AttrRules, count: number, ref: string | number, at?: string | number): void {
  if (rules.maxItems !== undefined && count > rules.maxItems) invalid(ref, at, `at most ${plural(rules.maxItems, 'item')}`);
}

/** Whether a dict has at least `n` own keys; O(min(n, keys)), without listing them. */
export function hasKeys(dict: object, n: number): boolean {
  if (n <= 0) return true;
  let count = 0;
  for (const key in dict) {
    if (Object.hasOwn(dict, key) && ++count >= n) return true;
  }
  return false;
}

/**
 * The UTF-8 length of `JSON.stringify(value)` for a checked JSON value, computed without building
 * the string. Stops counting once past `stopAfter` (the result is then some number above it).
 */
export function jsonByteLength(value: Json, stopAfter = Infinity): number {
  let total = 0;
  const stack: Json[] = [value];
  while (stack.length > 0 && total <= stopAfter) {
    const v = stack.pop() as Json;
    switch (typeof v) {
      case 'string':
        total += stringBytes(v, stopAfter - total);
        break;
      case 'number':
        total += String(v).length;
        break;
      case 'boolean':
        total += v ? 4 : 5;
        break;
      default:
        if (v === null) total += 4;
        else if (Array.isArray(v)) {
          const items = v as readonly Json[];
          total += 2 + Math.max(0, items.length - 1);
          if (total > stopAfter) break;
          for (let i = items.length - 1; i >= 0; i--) stack.push(items[i] as Json);
        } else {
          const keys = Object.keys(v);
          total += 2 + Math.max(0, keys.length - 1) + keys.length; // braces, commas, colons
          for (const key of keys) {
            if (total > stopAfter) break;
            total += stringBytes(key, stopAfter - total);
            stack.push((v as Readonly<Record<string, Json>>)[key] as Json);
          }
        }
    }
  }
  return total;
}

/** The UTF-8 length of a string as JSON.stringify writes it (quotes, escapes, lone surrogates as \uXXXX). */
function stringBytes(s: string, stopAfter: number): number {
  let n = 2;
  for (let i = 0; i < s.length && n <= stopAfter; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) n += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
    else if (c === 0x22 || c === 0x5c) n += 2;
    else if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 6;
    } else if (c >= 0xdc00 && c <= 0xdfff) n += 6;
    else n += 3;
  }
  return n;
}
