import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.js';
import { t, type AttrSpec } from '../../shared/schema.js';
import { MAX_JSON_DEPTH, copyElement, copyJson, copyValue } from '../../shared/values.js';
import { expectSyncError } from './support.js';

class Point {
  constructor(readonly x = 1) {}
}

/** `levels` arrays nested in each other, the innermost holding `leaf`. */
function nestedArrays(levels: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** `levels` objects nested under key `a`, the innermost holding `leaf`. */
function nestedObjects(levels: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const NON_PLAIN: [string, unknown][] = [
  ['a Date', new Date(0)],
  ['a Map', new Map([['a', 1]])],
  ['a Set', new Set([1])],
  ['a class instance', new Point()],
  ['a Buffer', Buffer.from('abc')],
  ['a Uint8Array', new Uint8Array(2)],
  ['an ArrayBuffer', new ArrayBuffer(2)],
  ['a RegExp', /x/],
  ['an Error', new Error('x')],
  ['a boxed string', Object('x')],
  ['a boxed number', Object(1)],
  ['an object with a custom prototype', Object.create({ inherited: 1 })],
];

const NOT_JSON: [string, unknown][] = [
  ['undefined', undefined],
  ['a function', () => 1],
  ['a symbol', Symbol('s')],
  ['a bigint', 1n],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
];

const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

describe('copyJson()', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['true', true],
    ['0', 0],
    ['a fraction', -2.5],
    ['the largest number', Number.MAX_VALUE],
    ['the smallest number', Number.MIN_VALUE],
    ['an empty string', ''],
    ['a surrogate pair', '\uD83D\uDE00'],
    ['an empty array', []],
    ['an empty object', {}],
    ['a nested value', { a: [1, 'x', null, { b: [true, {}] }], '': 0, 'key with spaces': [[]] }],
  ])('accepts %s', (_, value) => {
    expect(copyJson(value, 'v')).toStrictEqual(value);
  });

  it('returns fresh containers at every level', () => {
    const inner = { b: [1] };
    const value = { a: [inner] };
    const copy = copyJson(value, 'v') as { a: { b: number[] }[] };
    expect(copy).not.toBe(value);
    expect(copy.a).not.toBe(value.a);
    expect(copy.a[0]).not.toBe(inner);
    expect(copy.a[0]?.b).not.toBe(inner.b);
  });

  it('copies a null-prototype object into a plain object', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    const copy = copyJson(value, 'v');
    expect(copy).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });

  it('copies an Array subclass into a plain array', () => {
    class List extends Array<number> {}
    const copy = copyJson(List.from([1, 2]), 'v');
    expect(Object.getPrototypeOf(copy)).toBe(Array.prototype);
    expect(copy).toEqual([1, 2]);
  });

  it.each(NOT_JSON)('rejects %s with BAD_VALUE and the ref', (_, value) => {
    expectSyncError(() => copyJson(value, 'meta'), ErrorCode.BAD_VALUE, 'meta');
  });

  it.each(NOT_JSON)('rejects %s nested in an object', (_, value) => {
    expectSyncError(() => copyJson({ a: [1, { b: value }] }, 4), ErrorCode.BAD_VALUE, 4);
  });

  it.each(NON_PLAIN)('rejects %s with BAD_VALUE', (_, value) => {
    expectSyncError(() => copyJson(value, 'meta'), ErrorCode.BAD_VALUE, 'meta');
    expectSyncError(() => copyJson([value], 'meta'), ErrorCode.BAD_VALUE, 'meta');
  });

  it('rejects a hole in a sparse array', () => {
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    expectSyncError(() => copyJson([1, , 3], 'meta'), ErrorCode.BAD_VALUE, 'meta');
  });

  it.each(FORBIDDEN_KEYS)('rejects a %s key with BAD_KEY', (key) => {
    expectSyncError(() => copyJson(JSON.parse(`{"ok": 1, "${key}": {"polluted": true}}`), 'meta'), ErrorCode.BAD_KEY, 'meta');
  });

  it.each(FORBIDDEN_KEYS)('rejects a %s key deep inside', (key) => {
    expectSyncError(() => copyJson(JSON.parse(`{"a": [1, {"b": {"${key}": 1}}]}`), 'meta'), ErrorCode.BAD_KEY, 'meta');
  });

  it('leaves Object.prototype alone when rejecting __proto__', () => {
    expectSyncError(() => copyJson(JSON.parse('{"__proto__": {"polluted": true}}'), 'meta'), ErrorCode.BAD_KEY);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it(`accepts ${MAX_JSON_DEPTH} nested containers`, () => {
    expect(copyJson(nestedArrays(MAX_JSON_DEPTH), 'v')).toEqual(nestedArrays(MAX_JSON_DEPTH));
    expect(copyJson(nestedObjects(MAX_JSON_DEPTH), 'v')).toEqual(nestedObjects(MAX_JSON_DEPTH));
  });

  it(`rejects ${MAX_JSON_DEPTH + 1} nested containers with BAD_VALUE`, () => {
    expectSyncError(() => copyJson(nestedArrays(MAX_JSON_DEPTH + 1), 'v'), ErrorCode.BAD_VALUE, 'v');
    expectSyncError(() => copyJson(nestedObjects(MAX_JSON_DEPTH + 1), 'v'), ErrorCode.BAD_VALUE, 'v');
  });

  it('rejects 100,000 nested containers without overflowing the stack', () => {
    expectSyncError(() => copyJson(nestedArrays(100_000), 'v'), ErrorCode.BAD_VALUE, 'v');
    expectSyncError(() => copyJson(nestedObjects(100_000), 'v'), ErrorCode.BAD_VALUE, 'v');
  });

  it('counts depth from the depth it is given', () => {
    expect(() => copyJson(nestedArrays(4), 'v', MAX_JSON_DEPTH - 4)).not.toThrow();
    expectSyncError(() => copyJson(nestedArrays(5), 'v', MAX_JSON_DEPTH - 4), ErrorCode.BAD_VALUE);
  });
});

describe('copyValue()', () => {
  const GOOD: [string, AttrSpec, unknown][] = [
    ['string', t.string(), ''],
    ['string', t.string(), 'hello'],
    ['string', t.string(), '\uD83D\uDE00'],
    ['number', t.number(), 0],
    ['number', t.number(), 1e308],
    ['number', t.number(), -Number.MIN_VALUE],
    ['boolean', t.boolean(), true],
    ['boolean', t.boolean(), false],
    ['json', t.json(), null],
    ['json', t.json(), { a: [1, 'b'] }],
    ['dict of number', t.dict(t.number()), {}],
    ['dict of number', t.dict(t.number()), { a: 1, b: -2.5, '': 0 }],
    ['dict of json', t.dict(t.json()), { a: { b: [null] } }],
    ['list of string', t.list(t.string()), []],
    ['list of string', t.list(t.string()), ['a', '', '\uD83D\uDE00']],
    ['list of dict of number', t.list(t.dict(t.number())), [{ a: 1 }, {}]],
    ['dict of list of boolean', t.dict(t.list(t.boolean())), { a: [true], b: [] }],
  ];

  it.each(GOOD)('accepts a %s: %j', (_, s, value) => {
    expect(copyValue(s, value, 'attr')).toStrictEqual(value);
  });

  it.each(GOOD.filter(([, , v]) => typeof v === 'object' && v !== null))('copies a %s: %j', (_, s, value) => {
    expect(copyValue(s, value, 'attr')).not.toBe(value);
  });

  it('copies nested containers', () => {
    const row = { a: 1 };
    const copy = copyValue(t.list(t.dict(t.number())), [row], 'rows') as Record<string, number>[];
    expect(copy[0]).toEqual(row);
    expect(copy[0]).not.toBe(row);
  });

  it('refuses a key with a lone surrogate with BAD_KEY', () => {
    expect(() => copyValue(t.dict(t.number()), { 'k\uD800': 1 }, 'd')).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
    expect(() => copyJson({ '\uDC00': 1 }, 'j')).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
  });

  it('turns -0 into 0, which is what JSON carries to every client', () => {
    expect(Object.is(copyValue(t.number(), -0, 'n'), 0)).toBe(true);
    expect(Object.is((copyValue(t.dict(t.number()), { a: -0 }, 'd') as Record<string, number>)['a'], 0)).toBe(true);
    expect(Object.is((copyJson([-0], 'j') as number[])[0], 0)).toBe(true);
  });

  const BAD: [string, AttrSpec, unknown][] = [
    ['string', t.string(), '\uD800'],
    ['string', t.string(), '\uDFFF\uD800'],
    ['list of string', t.list(t.string()), ['a', '', '\uDC00']],
    ['json', t.json(), { a: 'x\uDC00' }],
    ['string', t.string(), 1],
    ['string', t.string(), null],
    ['string', t.string(), undefined],
    ['string', t.string(), ['a']],
    ['string', t.string(), Object('a')],
    ['number', t.number(), '1'],
    ['number', t.number(), null],
    ['number', t.number(), true],
    ['number', t.number(), 1n],
    ['number', t.number(), Object(1)],
    ['number', t.number(), Number.NaN],
    ['number', t.number(), Number.POSITIVE_INFINITY],
    ['number', t.number(), Number.NEGATIVE_INFINITY],
    ['boolean', t.boolean(), 0],
    ['boolean', t.boolean(), 'true'],
    ['boolean', t.boolean(), null],
    ['boolean', t.boolean(), Object(true)],
    ['json', t.json(), undefined],
    ['json', t.json(), Number.NaN],
    ['json', t.json(), { a: Number.POSITIVE_INFINITY }],
    ['dict of number', t.dict(t.number()), []],
    ['dict of number', t.dict(t.number()), null],
    ['dict of number', t.dict(t.number()), 'a'],
    ['dict of number', t.dict(t.number()), { a: 'x' }],
    ['dict of number', t.dict(t.number()), { a: Number.NaN }],
    ['dict of number', t.dict(t.number()), { a: null }],
    ['dict of list of boolean', t.dict(t.list(t.boolean())), { a: [1] }],
    ['list of string', t.list(t.string()), {}],
    ['list of string', t.list(t.string()), 'abc'],
    ['list of string', t.list(t.string()), { length: 1, 0: 'a' }],
    ['list of string', t.list(t.string()), [1]],
    ['list of string', t.list(t.string()), ['a', null]],
    ['list of dict of number', t.list(t.dict(t.number())), [[1]]],
  ];

  it.each(BAD)('rejects a bad %s: %s with BAD_VALUE and the ref', (_, s, value) => {
    expectSyncError(() => copyValue(s, value, 'attr'), ErrorCode.BAD_VALUE, 'attr');
  });

  it('names a numeric ref', () => {
    expectSyncError(() => copyValue(t.number(), 'x', 3), ErrorCode.BAD_VALUE, 3);
  });

  it.each(NON_PLAIN)('rejects %s as a dict', (_, value) => {
    expectSyncError(() => copyValue(t.dict(t.number()), value, 'tags'), ErrorCode.BAD_VALUE, 'tags');
  });

  it.each(NON_PLAIN)('rejects %s as a json value', (_, value) => {
    expectSyncError(() => copyValue(t.json(), value, 'meta'), ErrorCode.BAD_VALUE, 'meta');
  });

  it.each(NON_PLAIN)('rejects %s as a list', (_, value) => {
    expectSyncError(() => copyValue(t.list(t.number()), value, 'items'), ErrorCode.BAD_VALUE, 'items');
  });

  it('accepts a null-prototype dict', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    expect(copyValue(t.dict(t.number()), value, 'tags')).toEqual({ a: 1 });
  });

  it.each(FORBIDDEN_KEYS)('rejects a %s key in a dict with BAD_KEY', (key) => {
    expectSyncError(() => copyValue(t.dict(t.number()), JSON.parse(`{"a": 1, "${key}": 2}`), 'tags'), ErrorCode.BAD_KEY, 'tags');
  });

  it.each(FORBIDDEN_KEYS)('rejects a %s key in a dict nested in a list', (key) => {
    expectSyncError(() => copyValue(t.list(t.dict(t.number())), JSON.parse(`[{}, {"${key}": 2}]`), 'rows'), ErrorCode.BAD_KEY, 'rows');
  });

  it.each(FORBIDDEN_KEYS)('rejects a %s key inside a json element of a dict', (key) => {
    expectSyncError(() => copyValue(t.dict(t.json()), JSON.parse(`{"a": {"b": [{"${key}": 1}]}}`), 'meta'), ErrorCode.BAD_KEY, 'meta');
  });

  it(`accepts ${MAX_JSON_DEPTH} nested containers, counting the attribute's own`, () => {
    expect(() => copyValue(t.json(), nestedArrays(MAX_JSON_DEPTH), 'v')).not.toThrow();
    expect(() => copyValue(t.dict(t.json()), { a: nestedArrays(MAX_JSON_DEPTH - 1) }, 'v')).not.toThrow();
    expect(() => copyValue(t.list(t.json()), [nestedObjects(MAX_JSON_DEPTH - 1)], 'v')).not.toThrow();
  });

  it(`rejects ${MAX_JSON_DEPTH + 1} nested containers, counting the attribute's own`, () => {
    expectSyncError(() => copyValue(t.json(), nestedArrays(MAX_JSON_DEPTH + 1), 'v'), ErrorCode.BAD_VALUE, 'v');
    expectSyncError(() => copyValue(t.dict(t.json()), { a: nestedArrays(MAX_JSON_DEPTH) }, 'v'), ErrorCode.BAD_VALUE, 'v');
    expectSyncError(() => copyValue(t.list(t.json()), [nestedObjects(MAX_JSON_DEPTH)], 'v'), ErrorCode.BAD_VALUE, 'v');
  });

  it('enforces the depth on lists of lists', () => {
    let s: AttrSpec = t.number();
    for (let i = 0; i < MAX_JSON_DEPTH + 1; i++) s = t.list(s);
    expectSyncError(() => copyValue(s, nestedArrays(MAX_JSON_DEPTH + 1), 'v'), ErrorCode.BAD_VALUE, 'v');
  });
});

describe('copyElement()', () => {
  it.each<[string, AttrSpec, unknown]>([
    ['a number into a list of numbers', t.list(t.number()), 3],
    ['a string into a dict of strings', t.dict(t.string()), 'x'],
    ['a dict into a list of dicts', t.list(t.dict(t.boolean())), { a: true }],
    ['any JSON into a container without element kind', { kind: 'list', default: [] }, { a: [null] }],
  ])('accepts %s', (_, container, value) => {
    expect(copyElement(container, value, 'attr')).toStrictEqual(value);
  });

  it('returns a copy of a container element', () => {
    const item = { a: true };
    expect(copyElement(t.list(t.dict(t.boolean())), item, 'rows')).not.toBe(item);
  });

  it.each<[string, AttrSpec, unknown]>([
    ['a string into a list of numbers', t.list(t.number()), '3'],
    ['a number into a dict of strings', t.dict(t.string()), 3],
    ['an array into a list of dicts', t.list(t.dict(t.boolean())), [true]],
    ['NaN into a list of numbers', t.list(t.number()), Number.NaN],
    ['a Date into a container without element kind', { kind: 'list', default: [] }, new Date(0)],
  ])('rejects %s with BAD_VALUE', (_, container, value) => {
    expectSyncError(() => copyElement(container, value, 'attr'), ErrorCode.BAD_VALUE, 'attr');
  });

  it('rejects a __proto__ key in an element', () => {
    expectSyncError(() => copyElement(t.list(t.json()), JSON.parse('{"__proto__": 1}'), 'items'), ErrorCode.BAD_KEY, 'items');
  });

  it('counts the container as one level', () => {
    expect(() => copyElement(t.list(t.json()), nestedArrays(MAX_JSON_DEPTH - 1), 'v')).not.toThrow();
    expectSyncError(() => copyElement(t.list(t.json()), nestedArrays(MAX_JSON_DEPTH), 'v'), ErrorCode.BAD_VALUE, 'v');
  });
});
