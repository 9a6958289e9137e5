import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../shared/errors.js';
import type { Json, JsonObject } from '../../shared/json.js';
import { OP, OP_NAMES, applyTopicOp, checkTopicOp, isTopicOp, type Op, type TopicOp } from '../../shared/ops.js';
import { parseOp } from '../../shared/parse.js';
import { t, type AttrSpec, type KindName } from '../../shared/schema.js';
import { copyValue } from '../../shared/values.js';
import { expectSyncError, propertyParams } from './support.js';
import { raw, TOPIC_CODES, KINDS, ACCEPTED, sampleOp, clone, thrownBy } from './ops-support.js';

describe('OP', () => {
  it('numbers the codes 0..10 in declaration order', () => {
    expect(Object.values(OP)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('names every code in OP_NAMES', () => {
    for (const [name, code] of Object.entries(OP)) expect(OP_NAMES[code]).toBe(name);
  });
});

describe('isTopicOp()', () => {
  it.each(TOPIC_CODES)('is true for %s', (name) => {
    expect(isTopicOp(sampleOp(name, 'list'))).toBe(true);
  });

  it.each<[string, Op]>([
    ['create', [OP.create, -1, 0, 0, -1, {}]],
    ['destroy', [OP.destroy, 3]],
    ['move', [OP.move, 3, 0, -1]],
  ])('is false for %s', (_, op) => {
    expect(isTopicOp(op)).toBe(false);
  });
});

describe('checkTopicOp()', () => {
  const matrix = (Object.keys(KINDS) as KindName[]).flatMap((kind) =>
    TOPIC_CODES.map((name) => ({ kind, name, accepted: ACCEPTED[kind].includes(name) })),
  );

  it.each(matrix.filter((c) => c.accepted))('accepts $name on a $kind', ({ kind, name }) => {
    const { spec, current } = KINDS[kind];
    const op = sampleOp(name, kind);
    expect(checkTopicOp(spec, clone(current), op, 'attr')).toEqual(op);
  });

  it.each(matrix.filter((c) => !c.accepted))('rejects $name on a $kind with WRONG_KIND', ({ kind, name }) => {
    const { spec, current } = KINDS[kind];
    const e = expectSyncError(() => checkTopicOp(spec, clone(current), sampleOp(name, kind), 'attr'), ErrorCode.WRONG_KIND, 'attr');
    expect(e.message).toContain(name);
  });

  it.each(Object.keys(KINDS) as KindName[])('rejects tree ops and unknown codes on a %s with WRONG_KIND', (kind) => {
    const { spec, current } = KINDS[kind];
    for (const op of [raw(OP.create, -1, 0, 0, -1, {}), raw(OP.destroy, 3), raw(OP.move, 3, 0, -1), raw(11, 1, 0, 0), raw(-1, 1, 0, 0)]) {
      expectSyncError(() => checkTopicOp(spec, clone(current), op, 'attr'), ErrorCode.WRONG_KIND, 'attr');
    }
  });

  // The server's path: parseOp checks the tuple's shape, checkTopicOp the rest.
  it('throws only SyncErrors, and accepts only ops that leave a valid value of the kind', () => {
    const hostile = fc.anything({ maxDepth: 2, withSparseArray: true, withNullPrototype: true, withBoxedValues: true, withBigInt: true, withDate: true, withTypedArray: true });
    const slot = fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constantFrom('a', 'b', '__proto__'), fc.array(fc.oneof(fc.integer(), hostile), { maxLength: 3 }), fc.sparseArray(fc.integer(), { maxLength: 3 }), hostile);
    const op = fc.tuple(fc.integer({ min: 0, max: 7 }), slot, slot).map(([code, x, y]) => (code === OP.put || code >= OP.insert ? [code, 1, 0, x, y] : [code, 1, 0, x]));
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(KINDS) as KindName[])), op, (kind, tuple) => {
        fc.pre(!thrownBy(() => parseOp(tuple, 0)));
        const { spec, current } = KINDS[kind];
        const state = clone(current);
        let checked: TopicOp;
        try {
          checked = checkTopicOp(spec, state, tuple as unknown as TopicOp, 'attr');
        } catch (e) {
          expect(e).toBeInstanceOf(SyncError);
          return;
        }
        const next = applyTopicOp(state, checked);
        expect(() => copyValue(spec, next, 'attr')).not.toThrow();
      }),
      propertyParams(),
    );
  });

  describe('set', () => {
    it('returns a copy of the value', () => {
      const value = { b: 2 };
      const checked = checkTopicOp(t.dict(t.number()), {}, [OP.set, 1, 0, value], 'tags');
      expect(checked).toEqual([OP.set, 1, 0, { b: 2 }]);
      expect(checked[3]).not.toBe(value);
    });

    it.each<[KindName, unknown]>([
      ['string', 1],
      ['number', '1'],
      ['number', Number.NaN],
      ['number', Number.POSITIVE_INFINITY],
      ['boolean', 0],
      ['json', undefined],
      ['dict', { a: 'x' }],
      ['list', ['x']],
    ])('rejects on a %s the value %s with BAD_VALUE', (kind, value) => {
      const { spec, current } = KINDS[kind];
      expectSyncError(() => checkTopicOp(spec, clone(current), raw(OP.set, 1, 0, value), 'attr'), ErrorCode.BAD_VALUE, 'attr');
    });

    it('rejects a __proto__ key in a dict value with BAD_KEY', () => {
      expectSyncError(() => checkTopicOp(t.dict(t.number()), {}, raw(OP.set, 1, 0, JSON.parse('{"__proto__": 1}')), 'tags'), ErrorCode.BAD_KEY, 'tags');
    });
  });

  describe('add', () => {
    it.each([[1], [-5], [0.5], [-0]])('accepts the delta %d', (delta) => {
      const op: TopicOp = [OP.add, 1, 0, delta];
      expect(checkTopicOp(t.number(), 5, op, 'n')).toBe(op);
    });

    it.each<[string, unknown]>([
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['a string', '1'],
      ['null', null],
    ])('rejects %s with BAD_VALUE', (_, delta) => {
      expectSyncError(() => checkTopicOp(t.number(), 5, raw(OP.add, 1, 0, delta), 'n'), ErrorCode.BAD_VALUE, 'n');
    });

    it('rejects a sum that overflows with BAD_VALUE', () => {
      expectSyncError(() => checkTopicOp(t.number(), Number.MAX_VALUE, [OP.add, 1, 0, Number.MAX_VALUE], 'n'), ErrorCode.BAD_VALUE, 'n');
      expectSyncError(() => checkTopicOp(t.number(), -Number.MAX_VALUE, [OP.add, 1, 0, -Number.MAX_VALUE], 'n'), ErrorCode.BAD_VALUE, 'n');
    });
  });

  describe('put', () => {
    it.each([['a'], ['new'], [''], ['toString'], ['0']])('accepts the key %j', (key) => {
      expect(checkTopicOp(t.dict(t.number()), { a: 1 }, [OP.put, 1, 0, key, 7], 'tags')).toEqual([OP.put, 1, 0, key, 7]);
    });

    it('returns a copy of the value', () => {
      const value = { deep: [1] };
      const checked = checkTopicOp(t.dict(t.json()), {}, [OP.put, 1, 0, 'k', value], 'meta');
      expect(checked[4]).toEqual(value);
      expect(checked[4]).not.toBe(value);
    });

    it.each(['__proto__', 'constructor', 'prototype'])('rejects a %s key with BAD_KEY', (key) => {
      expectSyncError(() => checkTopicOp(t.dict(t.number()), {}, [OP.put, 1, 0, key, 1], 'tags'), ErrorCode.BAD_KEY, 'tags');
    });

    it.each<[string, unknown]>([
      ['a number', 1],
      ['null', null],
      ['an array', ['a']],
    ])('rejects %s as the key with BAD_KEY', (_, key) => {
      expectSyncError(() => checkTopicOp(t.dict(t.number()), {}, raw(OP.put, 1, 0, key, 1), 'tags'), ErrorCode.BAD_KEY, 'tags');
    });

    it.each<[string, AttrSpec, unknown]>([
      ['a string into a dict of numbers', t.dict(t.number()), 'x'],
      ['NaN into a dict of numbers', t.dict(t.number()), Number.NaN],
      ['a number into a dict of lists', t.dict(t.list(t.string())), 1],
      ['a Date into a dict of json', t.dict(t.json()), new Date(0)],
    ])('rejects %s with BAD_VALUE', (_, spec, value) => {
      expectSyncError(() => checkTopicOp(spec, {}, raw(OP.put, 1, 0, 'k', value), 'tags'), ErrorCode.BAD_VALUE, 'tags');
    });

    it('rejects a __proto__ key inside the value with BAD_KEY', () => {
      expectSyncError(() => checkTopicOp(t.dict(t.json()), {}, raw(OP.put, 1, 0, 'k', JSON.parse('{"a": {"__proto__": 1}}')), 'meta'), ErrorCode.BAD_KEY, 'meta');
    });
  });

  describe('delete', () => {
    it('accepts a present key', () => {
      const op: TopicOp = [OP.delete, 1, 0, 'a'];
      expect(checkTopicOp(t.dict(t.number()), { a: 1 }, op, 'tags')).toBe(op);
    });

    it.each([['missing'], ['toString'], ['hasOwnProperty'], ['']])('rejects the absent key %j with BAD_KEY', (key) => {
      expectSyncError(() => checkTopicOp(t.dict(t.number()), { a: 1 }, [OP.delete, 1, 0, key], 'tags'), ErrorCode.BAD_KEY, 'tags');
    });

    it.each(['__proto__', 'constructor', 'prototype'])('rejects a %s key with BAD_KEY', (key) => {
      const current = JSON.parse(`{"${key}": 1}`) as JsonObject;
      expectSyncError(() => checkTopicOp(t.dict(t.number()), current, [OP.delete, 1, 0, key], 'tags'), ErrorCode.BAD_KEY, 'tags');
    });
  });

  describe('insert', () => {
    it.each([[0], [1], [2], [3]])('accepts the index %d in a list of 3', (index) => {
      expect(checkTopicOp(t.list(t.number()), [1, 2, 3], [OP.insert, 1, 0, index, [9]], 'items')).toEqual([OP.insert, 1, 0, index, [9]]);
    });

    it('resolves -1 to the length, to append', () => {
      expect(checkTopicOp(t.list(t.number()), [1, 2, 3], [OP.insert, 1, 0, -1, [9, 8]], 'items')).toEqual([OP.insert, 1, 0, 3, [9, 8]]);
      expect(checkTopicOp(t.list(t.number()), [], [OP.insert, 1, 0, -1, [9]], 'items')).toEqual([OP.insert, 1, 0, 0, [9]]);
    });

    it.each<[string, unknown]>([
      ['-2', -2],
      ['past the end', 4],
      ['fractional', 1.5],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['2^53', 2 ** 53],
      ['a string', '0'],
      ['null', null],
    ])('rejects the index %s with BAD_INDEX', (_, index) => {
      expectSyncError(() => checkTopicOp(t.list(t.number()), [1, 2, 3], raw(OP.insert, 1, 0, index, [9]), 'items'), ErrorCode.BAD_INDEX, 'items');
    });

    it.each<[string, unknown]>([
      ['an empty array', []],
      ['a non-array', 9],
      ['an object', { 0: 9, length: 1 }],
      ['a string into a list of numbers', ['x']],
      ['NaN into a list of numbers', [1, Number.NaN]],
    ])('rejects items that are %s with BAD_VALUE', (_, items) => {
      expectSyncError(() => checkTopicOp(t.list(t.number()), [1], raw(OP.insert, 1, 0, 0, items), 'items'), ErrorCode.BAD_VALUE, 'items');
    });

    it('rejects a hole in sparse items with BAD_VALUE', () => {
      const items: Json[] = [1];
      items.length = 2;
      expectSyncError(() => checkTopicOp(t.list(t.number()), [], [OP.insert, 1, 0, 0, items], 'items'), ErrorCode.BAD_VALUE, 'items');
    });

    it('rejects a __proto__ key inside an item with BAD_KEY', () => {
      expectSyncError(() => checkTopicOp(t.list(t.json()), [], raw(OP.insert, 1, 0, 0, [JSON.parse('{"__proto__": 1}')]), 'items'), ErrorCode.BAD_KEY, 'items');
    });

    it('returns copies of the items', () => {
      const item = { a: 1 };
      const items = [item];
      const checked = checkTopicOp(t.list(t.dict(t.number())), [], [OP.insert, 1, 0, 0, items], 'rows');
      expect(checked[4]).toEqual(items);
      expect(checked[4]).not.toBe(items);
      expect((checked[4] as Json[])[0]).not.toBe(item);
    });
  });

  describe('remove', () => {
    it.each([
      [0, 1],
      [0, 3],
      [1, 2],
      [2, 1],
    ])('accepts index %d count %d in a list of 3', (index, count) => {
      const op: TopicOp = [OP.remove, 1, 0, index, count];
      expect(checkTopicOp(t.list(t.number()), [1, 2, 3], op, 'items')).toBe(op);
    });

    it.each<[string, unknown, unknown]>([
      ['a negative index', -1, 1],
      ['an index at the length', 3, 1],
      ['a fractional index', 0.5, 1],
      ['a NaN index', Number.NaN, 1],
      ['a zero count', 0, 0],
      ['a negative count', 0, -1],
      ['a fractional count', 0, 1.5],
      ['a NaN count', 0, Number.NaN],
      ['an infinite count', 0, Number.POSITIVE_INFINITY],
      ['a count past the end', 1, 3],
      ['a string count', 0, '1'],
    ])('rejects %s with BAD_INDEX', (_, index, count) => {
      expectSyncError(() => checkTopicOp(t.list(t.number()), [1, 2, 3], raw(OP.remove, 1, 0, index, count), 'items'), ErrorCode.BAD_INDEX, 'items');
    });

    it('rejects any remove on an empty list with BAD_INDEX', () => {
      expectSyncError(() => checkTopicOp(t.list(t.number()), [], [OP.remove, 1, 0, 0, 1], 'items'), ErrorCode.BAD_INDEX, 'items');
    });
  });

  describe('listMove', () => {
    it.each([
      [0, 0],
      [0, 2],
      [2, 0],
      [1, 1],
    ])('accepts from %d to %d in a list of 3', (from, to) => {
      const op: TopicOp = [OP.listMove, 1, 0, from, to];
      expect(checkTopicOp(t.list(t.number()), [1, 2, 3], op, 'items')).toBe(op);
    });

    it.each<[string, unknown, unknown]>([
      ['a negative from', -1, 0],
      ['a from at the length', 3, 0],
      ['a fractional from', 0.5, 0],
      ['a negative to', 0, -1],
      ['a to at the length', 0, 3],
      ['a fractional to', 0, 1.5],
      ['a NaN to', 0, Number.NaN],
      ['a string to', 0, '1'],
    ])('rejects %s with BAD_INDEX', (_, from, to) => {
      expectSyncError(() => checkTopicOp(t.list(t.number()), [1, 2, 3], raw(OP.listMove, 1, 0, from, to), 'items'), ErrorCode.BAD_INDEX, 'items');
    });

    it('rejects any move on an empty list with BAD_INDEX', () => {
      expectSyncError(() => checkTopicOp(t.list(t.number()), [], [OP.listMove, 1, 0, 0, 0], 'items'), ErrorCode.BAD_INDEX, 'items');
    });
  });

  describe('replace', () => {
    it.each([[0], [2]])('accepts the index %d in a list of 3', (index) => {
      expect(checkTopicOp(t.list(t.number()), [1, 2, 3], [OP.replace, 1, 0, index, 9], 'items')).toEqual([OP.replace, 1, 0, index, 9]);
    });

    it.each<[string, unknown]>([
      ['-1', -1],
      ['the length', 3],
      ['fractional', 1.5],
      ['NaN', Number.NaN],
      ['a string', '0'],
    ])('rejects the index %s with BAD_INDEX', (_, index) => {
      expectSyncError(() => checkTopicOp(t.list(t.number()), [1, 2, 3], raw(OP.replace, 1, 0, index, 9), 'items'), ErrorCode.BAD_INDEX, 'items');
    });

    it.each<[string, AttrSpec, unknown]>([
      ['a string into a list of numbers', t.list(t.number()), 'x'],
      ['Infinity into a list of numbers', t.list(t.number()), Number.POSITIVE_INFINITY],
      ['a list into a list of dicts', t.list(t.dict(t.number())), [1]],
    ])('rejects %s with BAD_VALUE', (_, spec, item) => {
      expectSyncError(() => checkTopicOp(spec, [{}], raw(OP.replace, 1, 0, 0, item), 'items'), ErrorCode.BAD_VALUE, 'items');
    });

    it('returns a copy of the item', () => {
      const item = { a: 1 };
      const checked = checkTopicOp(t.list(t.dict(t.number())), [{}], [OP.replace, 1, 0, 0, item], 'rows');
      expect(checked[4]).toEqual(item);
      expect(checked[4]).not.toBe(item);
    });
  });
});
