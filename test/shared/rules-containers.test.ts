/** Attribute rules of dicts and lists, hostile validators, create values, and the wire form of rules. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../shared/errors.js';
import { OP, checkTopicOp, type TopicOp } from '../../shared/ops.js';
import { rulesFromWire, rulesToWire, wireRulesOf } from '../../shared/rules-wire.js';
import { defineType, t, typeToWire, type AttrSpec } from '../../shared/schema.js';
import { copyValue } from '../../shared/values.js';
import { expectSyncError, thrown } from './support.js';
import { raw, expectInvalid, set } from './rules-support.js';

describe('dict rules', () => {
  const counts = t.dict(t.number(0, { min: 0, integer: true }), {}, { maxKeys: 2, keyPattern: /^[a-z]+$/ });
  const put = (current: object, key: string, value: unknown): TopicOp => checkTopicOp(counts, current, raw(OP.put, 1, 0, key, value), 'counts');

  it('checks each value of a set against the element rules, naming the key', () => {
    expect(set(counts, { a: 1, b: 2 })[3]).toEqual({ a: 1, b: 2 });
    expectInvalid(() => checkTopicOp(counts, {}, raw(OP.set, 1, 0, { a: 1, b: -2 }), 'counts'), 'counts', 'counts["b"]: at least 0');
  });

  it('checks maxKeys and keyPattern on a set', () => {
    expectInvalid(() => checkTopicOp(counts, {}, raw(OP.set, 1, 0, { a: 1, b: 2, c: 3 }), 'counts'), 'counts', 'counts: at most 2 keys');
    expectInvalid(() => checkTopicOp(counts, {}, raw(OP.set, 1, 0, { a: 1, B: 2 }), 'counts'), 'counts', 'counts["B"]: key does not match /^[a-z]+$/');
  });

  it('checks a put: the value, the key, and room for a new key', () => {
    expect(put({ a: 1 }, 'b', 2)).toEqual([OP.put, 1, 0, 'b', 2]);
    expect(put({ a: 1, b: 2 }, 'a', 5)).toEqual([OP.put, 1, 0, 'a', 5]);
    expectInvalid(() => put({ a: 1, b: 2 }, 'c', 5), 'counts', 'counts: at most 2 keys');
    expectInvalid(() => put({}, 'a', -1), 'counts', 'counts["a"]: at least 0');
    expectInvalid(() => put({}, 'a', 1.5), 'counts', 'counts["a"]: not an integer');
    expectInvalid(() => put({}, 'A-1', 1), 'counts', 'counts["A-1"]: key does not match /^[a-z]+$/');
  });

  it('refuses __proto__ and friends with BAD_KEY even when keyPattern would take them', () => {
    const loose = t.dict(t.number(), {}, { keyPattern: /^[a-z_]+$/ });
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expectSyncError(() => checkTopicOp(loose, {}, raw(OP.put, 1, 0, key, 1), 'd'), ErrorCode.BAD_KEY, 'd');
      expectSyncError(() => checkTopicOp(loose, {}, raw(OP.set, 1, 0, JSON.parse(`{"${key}": 1}`)), 'd'), ErrorCode.BAD_KEY, 'd');
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('shows a huge key shortened in the message', () => {
    const e = expectSyncError(() => put({}, 'A'.repeat(100_000), 1), ErrorCode.INVALID, 'counts');
    expect(e.message.length).toBeLessThan(120);
  });

  it('counts keys only up to maxKeys on a put', () => {
    const big: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) big[`k${i}`] = i;
    const s = t.dict(t.number(), {}, { maxKeys: 200_000 });
    const start = performance.now();
    expect(checkTopicOp(s, big, raw(OP.put, 1, 0, 'k1', 1), 'd')[4]).toBe(1);
    expect(performance.now() - start).toBeLessThan(50);
  });

  it('gives validate the dict after a put or delete, and leaves the dict as it was', () => {
    const seen: unknown[] = [];
    const d = t.dict(t.number(), {}, { validate: (v) => (seen.push({ ...v }), Object.keys(v).length > 0 || 'must not be empty') });
    const current = { a: 1, b: 2 };
    expect(checkTopicOp(d, current, raw(OP.put, 1, 0, 'c', 3), 'd')).toEqual([OP.put, 1, 0, 'c', 3]);
    expect(checkTopicOp(d, current, raw(OP.put, 1, 0, 'a', 9), 'd')).toEqual([OP.put, 1, 0, 'a', 9]);
    expect(checkTopicOp(d, current, raw(OP.delete, 1, 0, 'a'), 'd')).toEqual([OP.delete, 1, 0, 'a']);
    expect(seen).toEqual([{ a: 1, b: 2, c: 3 }, { a: 9, b: 2 }, { b: 2 }]);
    expect(current).toEqual({ a: 1, b: 2 });
    expect(Object.keys(current)).toEqual(['a', 'b']);
    const one = { z: 1, y: 2 };
    expect(checkTopicOp(d, one, raw(OP.delete, 1, 0, 'z'), 'd')).toEqual([OP.delete, 1, 0, 'z']);
    const last = { z: 1 };
    expectInvalid(() => checkTopicOp(d, last, raw(OP.delete, 1, 0, 'z'), 'd'), 'd', 'd: must not be empty');
    expect(last).toEqual({ z: 1 });
    expect(Object.keys(one)).toEqual(['z', 'y']);
  });
});

describe('list rules', () => {
  const tags = t.list(t.string('', { maxLength: 5, pattern: /^[a-z]+$/ }), [], { maxItems: 3 });
  const op = (current: unknown[], ...rest: unknown[]): TopicOp => checkTopicOp(tags, current, raw(...rest), 'tags');

  it('checks each item of a set, naming its index, and the count first', () => {
    expect(set(tags, ['a', 'b'])[3]).toEqual(['a', 'b']);
    expectInvalid(() => op([], OP.set, 1, 0, ['a', 'toolong']), 'tags', 'tags[1]: at most 5 characters');
    expectInvalid(() => op([], OP.set, 1, 0, ['a', 'B']), 'tags', 'tags[1]: does not match /^[a-z]+$/');
    expectInvalid(() => op([], OP.set, 1, 0, ['a', 'b', 'c', 'd']), 'tags', 'tags: at most 3 items');
    // The count comes before the items: a huge hostile list is refused before any of it is looked at.
    expectInvalid(() => op([], OP.set, 1, 0, new Array(1_000_000).fill(5)), 'tags', 'tags: at most 3 items');
  });

  it('checks inserted items, naming their index in the result, and the count', () => {
    expect(op(['a'], OP.insert, 1, 0, -1, ['b', 'c'])).toEqual([OP.insert, 1, 0, 1, ['b', 'c']]);
    expectInvalid(() => op(['a'], OP.insert, 1, 0, 0, ['b', 'C']), 'tags', 'tags[1]: does not match /^[a-z]+$/');
    expectInvalid(() => op(['a', 'b'], OP.insert, 1, 0, -1, ['c', 'd']), 'tags', 'tags: at most 3 items');
    expectInvalid(() => op(['a', 'b'], OP.insert, 1, 0, 1, ['abcdef']), 'tags', 'tags[1]: at most 5 characters');
  });

  it('checks a replaced item', () => {
    expect(op(['a', 'b'], OP.replace, 1, 0, 1, 'z')).toEqual([OP.replace, 1, 0, 1, 'z']);
    expectInvalid(() => op(['a', 'b'], OP.replace, 1, 0, 1, 'Z'), 'tags', 'tags[1]: does not match /^[a-z]+$/');
    expectSyncError(() => op(['a', 'b'], OP.replace, 1, 0, 1, 5), ErrorCode.BAD_VALUE, 'tags');
  });

  it('lets remove and move through when there is no validator', () => {
    expect(op(['a', 'b'], OP.remove, 1, 0, 0, 1)).toEqual([OP.remove, 1, 0, 0, 1]);
    expect(op(['a', 'b'], OP.listMove, 1, 0, 0, 1)).toEqual([OP.listMove, 1, 0, 0, 1]);
  });

  it('gives validate the list after each op, and leaves the list as it was', () => {
    const seen: unknown[] = [];
    const sorted = t.list(t.number(), [], {
      validate: (l) => (seen.push([...l]), l.every((x, i) => i === 0 || (l[i - 1] as number) <= x) || 'must stay sorted'),
    });
    const current = [1, 3, 5];
    const check = (...o: unknown[]): TopicOp => checkTopicOp(sorted, current, raw(...o), 'sorted');
    check(OP.insert, 1, 0, 1, [2]);
    check(OP.insert, 1, 0, -1, [6, 7]);
    check(OP.remove, 1, 0, 0, 2);
    check(OP.replace, 1, 0, 1, 4);
    check(OP.set, 1, 0, [0, 9]);
    expectInvalid(() => check(OP.insert, 1, 0, 0, [9]), 'sorted', 'sorted: must stay sorted');
    expectInvalid(() => check(OP.listMove, 1, 0, 0, 2), 'sorted', 'sorted: must stay sorted');
    expectInvalid(() => check(OP.replace, 1, 0, 0, 4), 'sorted', 'sorted: must stay sorted');
    expect(seen).toEqual([[1, 2, 3, 5], [1, 3, 5, 6, 7], [5], [1, 4, 5], [0, 9], [9, 1, 3, 5], [3, 5, 1], [4, 3, 5]]);
    expect(current).toEqual([1, 3, 5]);
  });

  it('does not change a frozen list (a mirror state) to validate: it copies it', () => {
    const nonEmpty = t.list(t.number(), [], { validate: (l) => l.length > 0 || 'must not be empty' });
    const frozen = Object.freeze([1, 2]);
    expect(checkTopicOp(nonEmpty, frozen, raw(OP.remove, 1, 0, 0, 1), 'l')).toEqual([OP.remove, 1, 0, 0, 1]);
    expectInvalid(() => checkTopicOp(nonEmpty, frozen, raw(OP.remove, 1, 0, 0, 2), 'l'), 'l', 'l: must not be empty');
    expect(frozen).toEqual([1, 2]);
  });

  it('restores the list even when the validator throws or mutates nothing', () => {
    const current = [1, 2, 3];
    const boom = t.list(t.number(), [], {
      validate: () => {
        throw new RangeError('boom');
      },
    });
    expectInvalid(() => checkTopicOp(boom, current, raw(OP.insert, 1, 0, 1, [9]), 'l'), 'l', 'l: its validator failed');
    expectInvalid(() => checkTopicOp(boom, current, raw(OP.remove, 1, 0, 0, 3), 'l'), 'l', 'l: its validator failed');
    expect(current).toEqual([1, 2, 3]);
  });

  it('checks the elements of nested kinds', () => {
    const grid = t.list(t.dict(t.number(0, { max: 1 }), {}, { maxKeys: 1 }));
    expect(set(grid, [{ a: 1 }, {}])[3]).toEqual([{ a: 1 }, {}]);
    expectInvalid(() => set(grid, [{ a: 1 }, { a: 1, b: 0 }]), 'a', 'a[1]: at most 1 key');
    expectInvalid(() => set(grid, [{ a: 2 }]), 'a', 'a["a"]: at most 1');
  });
});

describe('hostile validators', () => {
  const withValidator = (validate: unknown): AttrSpec => t.string('', { validate: validate as never });

  it.each<[string, unknown]>([
    ['false', false],
    ['undefined', undefined],
    ['null', null],
    ['0', 0],
    ['1', 1],
    ['an empty string', ''],
    ['an object', { ok: true }],
    ['a boxed true', Object(true)],
    ['a boxed string', Object('reason')],
    ['a symbol', Symbol('x')],
    ['a function', () => true],
    ['a Proxy that throws on every access', new Proxy({}, { get: () => { throw new Error('trap'); } })],
  ])('refuses when validate returns %s, with a generic message', (_, verdict) => {
    expectInvalid(() => set(withValidator(() => verdict), 'x'), 'a', 'a: refused by its validator');
  });

  it.each<[string, unknown]>([
    ['an Error', new Error('secret internals')],
    ['a string', 'secret'],
    ['undefined', undefined],
    ['a SyncError of another code', new SyncError(ErrorCode.FORBIDDEN, 'no')],
    ['a stack overflow', 'overflow'],
  ])('refuses when validate throws %s, with a generic message and the error as cause', (name, error) => {
    const validate = name === 'a stack overflow' ? (): never => { const f = (): never => f(); return f(); } : (): never => { throw error; };
    const e = expectInvalid(() => set(withValidator(validate), 'x'), 'a', 'a: its validator failed');
    expect(e.message).not.toContain('secret');
    expect(e.toWire()).toEqual({ code: 'INVALID', message: 'a: its validator failed', ref: 'a' });
    if (name !== 'a stack overflow') expect(e.cause).toBe(error);
  });

  it('refuses a validator that returns a promise, and swallows its rejection', async () => {
    const e = expectInvalid(() => set(withValidator(() => Promise.reject(new Error('later'))), 'x'), 'a', 'a: its validator is not synchronous');
    expect(e.code).toBe('INVALID');
    await new Promise((resolve) => setTimeout(resolve, 10)); // an unhandled rejection would fail the run
    expectInvalid(
      () =>
        set(
          withValidator(async () => {
            await Promise.resolve();
            return true;
          }),
          'x',
        ),
      'a',
      'a: its validator is not synchronous',
    );
  });

  it('clips a very long reason', () => {
    const e = expectSyncError(() => set(withValidator(() => `${'r'.repeat(199)}😀${'x'.repeat(10_000_000)}`), 'x'), ErrorCode.INVALID, 'a');
    expect(e.message).toBe(`a: ${'r'.repeat(199)}…`);
  });

  it('never applies the op whose validator failed: checkTopicOp throws before anything is returned', () => {
    const d = t.dict(t.number(), {}, { validate: () => { throw new Error('x'); } });
    const current = { a: 1 };
    expect(thrown(() => checkTopicOp(d, current, raw(OP.put, 1, 0, 'b', 2), 'd'))).toBeInstanceOf(SyncError);
    expect(current).toEqual({ a: 1 });
  });
});

describe('create values', () => {
  it('copyValue enforces the rules of every kind, as the server and client do for create values', () => {
    expectInvalid(() => copyValue(t.string('', { maxLength: 1 }), 'ab', 'title'), 'title', 'title: at most 1 character');
    expectInvalid(() => copyValue(t.number(0, { max: 1 }), 2, 'n'), 'n', 'n: at most 1');
    expectInvalid(() => copyValue(t.list(t.number(0, { min: 0 })), [0, -1], 'l'), 'l', 'l[1]: at least 0');
    expect(copyValue(t.list(t.number(0, { min: 0 })), [0, 1], 'l')).toEqual([0, 1]);
  });
});

describe('the wire form', () => {
  it('carries the declarative rules of an attribute and of its elements, never validate', () => {
    const T = defineType('T', {
      plain: t.string(),
      custom: t.number(0, { validate: () => true }),
      title: t.string('a', { minLength: 1, maxLength: 80, pattern: /^\w+$/giu, oneOf: ['a', 'b'], validate: () => true }),
      score: t.number(0, { min: 0, max: 10, integer: true }),
      meta: t.json(null, { maxBytes: 100 }),
      counts: t.dict(t.number(0, { min: 0 }), {}, { maxKeys: 5, keyPattern: /^[a-z]+$/ }),
      tags: t.list(t.string('', { maxLength: 20 })),
      grid: t.list(t.list(t.number(0, { max: 1 }), [], { maxItems: 2 }), [], { maxItems: 3 }),
    });
    const wire = typeToWire(T);
    expect(wire).toEqual([
      'T',
      [
        ['plain', 'string'],
        ['custom', 'number'],
        ['title', 'string', { minLength: 1, maxLength: 80, pattern: { source: '^\\w+$', flags: 'iu' }, oneOf: ['a', 'b'] }],
        ['score', 'number', { min: 0, max: 10, integer: true }],
        ['meta', 'json', { maxBytes: 100 }],
        ['counts', ['dict', 'number'], { maxKeys: 5, keyPattern: { source: '^[a-z]+$', flags: '' }, of: { min: 0 } }],
        ['tags', ['list', 'string'], { of: { maxLength: 20 } }],
        ['grid', ['list', ['list', 'number']], { maxItems: 3, of: { maxItems: 2, of: { max: 1 } } }],
      ],
    ]);
    expect(JSON.parse(JSON.stringify(wire))).toEqual(wire);
  });

  it('gives the same wire for a type without rules as before rules existed', () => {
    expect(JSON.stringify(typeToWire(defineType('T', { a: t.string(), b: t.list(t.dict(t.number())) })))).toBe('["T",[["a","string"],["b",["list",["dict","number"]]]]]');
  });

  it('reads rules back from the wire as the builders make them', () => {
    const specs: AttrSpec[] = [
      t.string('a', { minLength: 1, maxLength: 80, pattern: /^\w+$/iu, oneOf: ['a', 'b'] }),
      t.number(0, { min: -1.5, max: 10, integer: true }),
      t.json(null, { maxBytes: 100 }),
      t.dict(t.number(0, { min: 0 }), {}, { maxKeys: 5, keyPattern: /^[a-z]+$/m }),
      t.list(t.string('', { maxLength: 20 }), [], { maxItems: 2 }),
    ];
    for (const s of specs) {
      const wire = JSON.parse(JSON.stringify(rulesToWire(s))) as unknown;
      expect(rulesFromWire(s.kind, wire)).toStrictEqual(
        Object.fromEntries(Object.entries(s.rules ?? {}).filter(([k]) => k !== 'validate')),
      );
      if (s.of !== undefined) expect(rulesFromWire(s.of.kind, wireRulesOf(wire))).toStrictEqual(s.of.rules);
    }
  });

  it('ignores unknown rules and rules of other kinds from the wire (a newer server may send more)', () => {
    expect(rulesFromWire('string', { maxLength: 3, min: 1, future: { x: 1 }, validate: 'x' })).toStrictEqual({ maxLength: 3 });
    expect(rulesFromWire('boolean', { maxLength: 3 })).toBeUndefined();
    expect(rulesFromWire('number', {})).toBeUndefined();
    expect(rulesFromWire('number', undefined)).toBeUndefined();
  });

  it('leaves out a pattern this engine cannot compile', () => {
    expect(rulesFromWire('string', { maxLength: 3, pattern: { source: '(', flags: '' } })).toStrictEqual({ maxLength: 3 });
    expect(rulesFromWire('dict', { keyPattern: { source: 'a', flags: 'Q' } })).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['rules that are not an object', 'maxLength'],
    ['rules that are an array', [1]],
    ['rules that are null', null],
    ['a NaN-like null bound', { min: null }],
    ['a string count', { maxLength: '3' }],
    ['a negative count', { maxLength: -1 }],
    ['a pattern string', { pattern: '^a$' }],
    ['a pattern without flags', { pattern: { source: 'a' } }],
    ['an empty oneOf', { oneOf: [] }],
    ['a oneOf of numbers', { oneOf: [1] }],
    ['min above max', { min: 2, max: 1 }],
  ])('refuses %s from the wire with BAD_MESSAGE', (_, raw2) => {
    const kind = typeof raw2 === 'object' && raw2 !== null && ('min' in raw2 || 'max' in raw2) ? 'number' : 'string';
    expectSyncError(() => rulesFromWire(kind, raw2), ErrorCode.BAD_MESSAGE);
  });

  it('takes wire patterns with __proto__ and constructor keys in the rules as unknown fields', () => {
    const hostile = JSON.parse('{"__proto__": {"maxLength": 0}, "constructor": 1, "maxLength": 2}') as unknown;
    expect(rulesFromWire('string', hostile)).toStrictEqual({ maxLength: 2 });
  });
});
