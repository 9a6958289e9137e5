import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.js';
import { defineType, isSafeKey, kindToWire, t, typeToWire, type AttrSpec } from '../../shared/schema.js';
import { expectSyncError } from './support.js';

const GOOD_NAMES = ['a', 'Z', '_', 'Gauge', 'panel_2', 'app.Panel', 'my-type', 'x'.repeat(64)];
const BAD_NAMES = ['', '1abc', '-a', '.a', 'a b', 'a/b', 'a:b', 'é', 'a\u0000', 'x'.repeat(65)];
const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];

describe('isSafeKey()', () => {
  it.each(FORBIDDEN)('rejects %s', (key) => {
    expect(isSafeKey(key)).toBe(false);
  });

  it.each(['', 'a', '__proto', 'proto', 'Constructor', 'toString', 'hasOwnProperty', '__proto__ '])('accepts %j', (key) => {
    expect(isSafeKey(key)).toBe(true);
  });
});

describe('defineType()', () => {
  it('keeps the name and the attributes', () => {
    const attrs = { title: t.string('Untitled'), count: t.number() };
    const Panel = defineType('Panel', attrs);
    expect(Panel.name).toBe('Panel');
    expect(Panel.attrs).toBe(attrs);
  });

  it('lists attributes in declaration order and indexes them', () => {
    const T = defineType('T', { zeta: t.number(), alpha: t.string(), mid: t.boolean(), last: t.list(t.json()) });
    expect(T.attrNames).toEqual(['zeta', 'alpha', 'mid', 'last']);
    expect([...T.attrIndex]).toEqual([
      ['zeta', 0],
      ['alpha', 1],
      ['mid', 2],
      ['last', 3],
    ]);
    for (const [i, name] of T.attrNames.entries()) expect(T.attrIndex.get(name)).toBe(i);
    expect(T.attrIndex.get('missing')).toBeUndefined();
  });

  it('accepts a type without attributes', () => {
    const Empty = defineType('Empty', {});
    expect(Empty.attrNames).toEqual([]);
    expect(Empty.attrIndex.size).toBe(0);
  });

  it('freezes the definition and its attribute names', () => {
    const T = defineType('T', { a: t.number() });
    expect(Object.isFrozen(T)).toBe(true);
    expect(Object.isFrozen(T.attrNames)).toBe(true);
  });

  it.each(GOOD_NAMES)('accepts the type name %j', (name) => {
    expect(defineType(name, {}).name).toBe(name);
  });

  it.each(BAD_NAMES)('rejects the type name %j with BAD_VALUE', (name) => {
    expectSyncError(() => defineType(name, {}), ErrorCode.BAD_VALUE, name);
  });

  it.each(FORBIDDEN)('rejects the type name %s with BAD_VALUE', (name) => {
    expectSyncError(() => defineType(name, {}), ErrorCode.BAD_VALUE, name);
  });

  it.each(GOOD_NAMES)('accepts the attribute name %j', (name) => {
    expect(defineType('T', { [name]: t.number() }).attrNames).toEqual([name]);
  });

  it.each(BAD_NAMES)('rejects the attribute name %j with BAD_VALUE', (name) => {
    expectSyncError(() => defineType('T', { ok: t.number(), [name]: t.number() }), ErrorCode.BAD_VALUE, name);
  });

  // A computed key makes __proto__ an own property instead of setting the prototype.
  it.each(FORBIDDEN)('rejects the attribute name %s with BAD_VALUE', (name) => {
    expectSyncError(() => defineType('T', { ok: t.number(), [name]: t.number() }), ErrorCode.BAD_VALUE, name);
  });

  it('rejects a __proto__ attribute that came from JSON', () => {
    const attrs = JSON.parse('{"ok": {"kind": "number", "default": 0}, "__proto__": {"kind": "number", "default": 0}}') as Record<string, AttrSpec>;
    expectSyncError(() => defineType('T', attrs), ErrorCode.BAD_VALUE, '__proto__');
  });
});

describe('t', () => {
  it.each<[string, AttrSpec, AttrSpec]>([
    ['string()', t.string(), { kind: 'string', default: '' }],
    ["string('cpu')", t.string('cpu'), { kind: 'string', default: 'cpu' }],
    ['number()', t.number(), { kind: 'number', default: 0 }],
    ['number(-2.5)', t.number(-2.5), { kind: 'number', default: -2.5 }],
    ['boolean()', t.boolean(), { kind: 'boolean', default: false }],
    ['boolean(true)', t.boolean(true), { kind: 'boolean', default: true }],
    ['json()', t.json(), { kind: 'json', default: null }],
    ['json({ a: [1] })', t.json({ a: [1] }), { kind: 'json', default: { a: [1] } }],
    ['json(0)', t.json(0), { kind: 'json', default: 0 }],
    ['dict(t.number())', t.dict(t.number()), { kind: 'dict', of: { kind: 'number', default: 0 }, default: {} }],
    ['dict(t.string(), { a: "x" })', t.dict(t.string(), { a: 'x' }), { kind: 'dict', of: { kind: 'string', default: '' }, default: { a: 'x' } }],
    ['list(t.string())', t.list(t.string()), { kind: 'list', of: { kind: 'string', default: '' }, default: [] }],
    ['list(t.number(), [1, 2])', t.list(t.number(), [1, 2]), { kind: 'list', of: { kind: 'number', default: 0 }, default: [1, 2] }],
  ])('%s has the expected kind and default', (_, actual, expected) => {
    expect(actual).toStrictEqual(expected);
  });

  it('gives scalars no element kind', () => {
    for (const s of [t.string(), t.number(), t.boolean(), t.json()]) expect(Object.hasOwn(s, 'of')).toBe(false);
  });

  it('makes a fresh empty default for every dict and list', () => {
    expect(t.dict(t.number()).default).not.toBe(t.dict(t.number()).default);
    expect(t.list(t.number()).default).not.toBe(t.list(t.number()).default);
  });
});

describe('kindToWire()', () => {
  it.each<[string, AttrSpec, unknown]>([
    ['string', t.string(), 'string'],
    ['number', t.number(), 'number'],
    ['boolean', t.boolean(), 'boolean'],
    ['json', t.json(), 'json'],
    ['dict of number', t.dict(t.number()), ['dict', 'number']],
    ['list of string', t.list(t.string()), ['list', 'string']],
    ['list of dict of number', t.list(t.dict(t.number())), ['list', ['dict', 'number']]],
    ['dict of list of list of boolean', t.dict(t.list(t.list(t.boolean()))), ['dict', ['list', ['list', 'boolean']]]],
    ['dict without element kind', { kind: 'dict', default: {} }, ['dict', 'json']],
    ['list without element kind', { kind: 'list', default: [] }, ['list', 'json']],
  ])('describes a %s', (_, s, wire) => {
    expect(kindToWire(s)).toEqual(wire);
  });
});

describe('typeToWire()', () => {
  it('gives the name and the attributes in index order', () => {
    const Gauge = defineType('Gauge', { label: t.string('cpu'), value: t.number(0), tags: t.dict(t.string()), history: t.list(t.number()) });
    expect(typeToWire(Gauge)).toEqual([
      'Gauge',
      [
        ['label', 'string'],
        ['value', 'number'],
        ['tags', ['dict', 'string']],
        ['history', ['list', 'number']],
      ],
    ]);
  });

  it('leaves defaults off the wire and survives JSON', () => {
    const T = defineType('T', { a: t.string('secret-default') });
    const wire = typeToWire(T);
    expect(JSON.stringify(wire)).not.toContain('secret-default');
    expect(JSON.parse(JSON.stringify(wire))).toEqual(wire);
  });

  it('describes a type without attributes', () => {
    expect(typeToWire(defineType('Empty', {}))).toEqual(['Empty', []]);
  });
});
