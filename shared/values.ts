/**
 * Validating copies of attribute values: a value that enters a tree is checked against
 * its kind and copied, so no caller keeps a reference into the tree's state.
 */
import { ErrorCode, fail } from './errors.js';
import type { Json } from './json.js';
import { isSafeKey, type AttrSpec } from './schema.js';

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
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) fail(ErrorCode.BAD_VALUE, `not a finite number: ${String(value)}`, ref);
      return value;
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
 * Checks `value` against an attribute's kind and returns a fresh copy.
 * Throws a SyncError (BAD_VALUE, BAD_KEY) naming `ref` (the attribute) otherwise.
 */
export function copyValue(s: AttrSpec, value: unknown, ref: string | number, depth = 0): Json {
  switch (s.kind) {
    case 'string':
      if (typeof value !== 'string') fail(ErrorCode.BAD_VALUE, `expected a string, got ${describe(value)}`, ref);
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(ErrorCode.BAD_VALUE, `expected a finite number, got ${describe(value)}`, ref);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') fail(ErrorCode.BAD_VALUE, `expected a boolean, got ${describe(value)}`, ref);
      return value;
    case 'json':
      return copyJson(value, ref, depth);
    case 'dict': {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value)) {
        fail(ErrorCode.BAD_VALUE, `expected a dict, got ${describe(value)}`, ref);
      }
      if (depth >= MAX_JSON_DEPTH) fail(ErrorCode.BAD_VALUE, `nested deeper than ${MAX_JSON_DEPTH}`, ref);
      const out: Record<string, Json> = {};
      for (const key of Object.keys(value)) {
        if (!isSafeKey(key)) fail(ErrorCode.BAD_KEY, `forbidden key ${JSON.stringify(key)}`, ref);
        out[key] = copyElement(s, (value as Record<string, unknown>)[key], ref, depth + 1);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) fail(ErrorCode.BAD_VALUE, `expected a list, got ${describe(value)}`, ref);
      if (depth >= MAX_JSON_DEPTH) fail(ErrorCode.BAD_VALUE, `nested deeper than ${MAX_JSON_DEPTH}`, ref);
      const out: Json[] = new Array<Json>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = copyElement(s, value[i], ref, depth + 1);
      return out;
    }
  }
}

/** Checks one element of a dict or list against the container's element kind. */
export function copyElement(container: AttrSpec, value: unknown, ref: string | number, depth = 1): Json {
  return container.of === undefined ? copyJson(value, ref, depth) : copyValue(container.of, value, ref, depth);
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
