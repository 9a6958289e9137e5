/**
 * Validating copies of attribute values: a value that enters a tree is checked against
 * its kind and its rules, and copied, so no caller keeps a reference into the tree's state.
 */
import { ErrorCode, fail } from './errors.js';
import type { Json } from './json.js';
import { checkItemCount, checkKeyCount, checkKeyPattern, checkScalar, runValidator } from './rules.js';
import { isSafeKey, isWellFormed, type AttrSpec } from './spec.js';

/** How deep a JSON value may nest; deeper is BAD_VALUE (guards the stack). */
export const MAX_JSON_DEPTH = 64;

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that `value` is JSON (finite numbers, plain objects and arrays, no forbidden keys)
 * and returns a fresh copy of it. Throws BAD_VALUE with `ref` otherwise.
 */
export function copyJson(value: unknown, ref: string | number, depth = 0): Json {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) fail(ErrorCode.BAD_VALUE, 'a string with a lone surrogate', ref);
      return value;
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) fail(ErrorCode.BAD_VALUE, `not a finite number: ${String(value)}`, ref);
      // -0 would not survive JSON: every client would hold 0.
      return value === 0 ? 0 : value;
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_JSON_DEPTH) fail(ErrorCode.BAD_VALUE, `nested deeper than ${MAX_JSON_DEPTH}`, ref);
      if (Array.isArray(value)) {
        const out: Json[] = new Array<Json>(value.length);
        for (let i = 0; i < value.length; i++) out[i] = copyJson(value[i], ref, depth + 1);
        return out;
      }
      if (!isPlainObject(value)) fail(ErrorCode.BAD_VALUE, 'not a plain object', ref);
      const out: Record<string, Json> = {};
      for (const key of Object.keys(value)) {
        // See house style: avoid prototype pollution through dict or json keys.
        if (!isSafeKey(key)) fail(ErrorCode.BAD_KEY, `forbidden key ${JSON.stringify(key)}`, ref);
        out[key] = copyJson((value as Record<string, unknown>)[key], ref, depth + 1);
      }
      return out;
    }
    default:
      return fail(ErrorCode.BAD_VALUE, `not a JSON value: ${typeof value}`, ref);
  }
}

/**
 * Checks `value` against an attribute's kind and rules (those of its elements too) and returns a
 * fresh copy. Throws a SyncError (BAD_VALUE, BAD_KEY, INVALID) naming `ref` (the attribute)
 * otherwise. `at`, an element's index or key, only labels an INVALID message (`tags[3]: ...`).
 */
export function copyValue(s: AttrSpec, value: unknown, ref: string | number, depth = 0, at?: string | number): Json {
  switch (s.kind) {
    case 'string':
      if (typeof value !== 'string') fail(ErrorCode.BAD_VALUE, `expected a string, got ${describe(value)}`, ref);
      if (!isWellFormed(value)) fail(ErrorCode.BAD_VALUE, 'a string with a lone surrogate', ref);
      if (s.rules !== undefined) checkScalar(s.rules, 'string', value, ref, at);
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(ErrorCode.BAD_VALUE, `expected a finite number, got ${describe(value)}`, ref);
      if (s.rules !== undefined) checkScalar(s.rules, 'number', value, ref, at);
      // -0 would not survive JSON: every client would hold 0.
      return value === 0 ? 0 : value;
    case 'boolean':
      if (typeof value !== 'boolean') fail(ErrorCode.BAD_VALUE, `expected a boolean, got ${describe(value)}`, ref);
      if (s.rules !== undefined) checkScalar(s.rules, 'boolean', value, ref, at);
      return value;
    case 'json': {
      const out = copyJson(value, ref, depth);
      if (s.rules !== undefined) checkScalar(s.rules, 'json', out, ref, at);
      return out;
    }
    case 'dict': {
      const rules = s.rules;
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value)) {
        fail(ErrorCode.BAD_VALUE, `expected a dict, got ${describe(value)}`, ref);
      }
      if (depth >= MAX_JSON_DEPTH) fail(ErrorCode.BAD_VALUE, `nested deeper than ${MAX_JSON_DEPTH}`, ref);
      const keys = Object.keys(value);
      if (rules !== undefined) checkKeyCount(rules, keys.length, ref, at);
      const out: Record<string, Json> = {};
      for (const key of keys) {
        if (!isSafeKey(key)) fail(ErrorCode.BAD_KEY, `forbidden key ${JSON.stringify(key)}`, ref);
        if (rules !== undefined) checkKeyPattern(rules, key, ref);
        out[key] = copyElement(s, (value as Record<string, unknown>)[key], ref, depth + 1, key);
      }
      if (rules !== undefined) runValidator(rules, out, ref, at);
      return out;
    }
    case 'list': {
      const rules = s.rules;
      if (!Array.isArray(value)) fail(ErrorCode.BAD_VALUE, `expected a list, got ${describe(value)}`, ref);
      if (depth >= MAX_JSON_DEPTH) fail(ErrorCode.BAD_VALUE, `nested deeper than ${MAX_JSON_DEPTH}`, ref);
      // The count first: a list far too long is refused before any of it is copied.
      if (rules !== undefined) checkItemCount(rules, value.length, ref, at);
      const out: Json[] = new Array<Json>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = copyElement(s, value[i], ref, depth + 1, i);
      if (rules !== undefined) runValidator(rules, out, ref, at);
      return out;
    }
  }
}

/**
 * Checks one element of a dict or list against the container's element kind and its rules.
 * `at`, the element's index or key, only labels an INVALID message (`tags[3]: ...`).
 */
export function copyElement(container: AttrSpec, value: unknown, ref: string | number, depth = 1, at?: string | number): Json {
  return container.of === undefined ? copyJson(value, ref, depth) : copyValue(container.of, value, ref, depth, at);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/** A shallow copy of a list or dict (topic ops change only the top level of a container, never its elements), the value itself otherwise. */
export function detach(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice();
  if (typeof value === 'object' && value !== null) return { ...value };
  return value;
}
