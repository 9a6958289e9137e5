/**
 * Attribute rules (validators): declaring them, enforcing them on every way a value enters a tree
 * (set, add, put, delete, insert, remove, move, replace, create values), their wire form, and
 * hostile values and rules.
 */
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.js';
import type { Json } from '../../shared/json.js';
import { OP, checkTopicOp, type TopicOp } from '../../shared/ops.js';
import { jsonByteLength, normalizeRules } from '../../shared/rules.js';
import { defineType, t, type AttrSpec } from '../../shared/schema.js';
import { expectSyncError, propertyParams } from './support.js';
import { raw, expectInvalid, set } from './rules-support.js';

describe('declaring rules', () => {
  it('keeps a declaration without rules exactly as before', () => {
    for (const s of [t.string(), t.number(), t.boolean(), t.json(), t.dict(t.number()), t.list(t.string())]) expect(Object.hasOwn(s, 'rules')).toBe(false);
    expect(t.string('x', {})).toStrictEqual({ kind: 'string', default: 'x' });
    expect(t.number(0, { integer: false })).toStrictEqual({ kind: 'number', default: 0 });
    expect(t.number(0, { min: undefined } as never)).toStrictEqual({ kind: 'number', default: 0 });
  });

  it('holds the rules normalized and frozen', () => {
    const validate = (): true => true;
    const s = t.string('a', { maxLength: 5, minLength: 1, pattern: /^[a-z]+$/giy, oneOf: ['a', 'b'], validate });
    expect(s.rules).toStrictEqual({ minLength: 1, maxLength: 5, pattern: /^[a-z]+$/i, oneOf: ['a', 'b'], validate });
    expect(Object.isFrozen(s.rules)).toBe(true);
    expect(Object.isFrozen(s.rules?.oneOf)).toBe(true);
    expect(t.number(1, { integer: true, max: 3, min: -1 }).rules).toStrictEqual({ min: -1, max: 3, integer: true });
    expect(t.json(null, { maxBytes: 10 }).rules).toStrictEqual({ maxBytes: 10 });
    expect(t.dict(t.number(), {}, { maxKeys: 2, keyPattern: /k/y }).rules).toStrictEqual({ maxKeys: 2, keyPattern: /k/ });
    expect(t.list(t.number(), [], { maxItems: 0 }).rules).toStrictEqual({ maxItems: 0 });
  });

  it('copies oneOf, so changing the array afterwards changes nothing', () => {
    const choices = ['a', 'b'];
    const s = t.string('a', { oneOf: choices });
    choices.push('c');
    expectInvalid(() => set(s, 'c'), 'a', 'a: not one of "a", "b"');
  });

  it('drops the g and y flags: a pattern gives the same answer every time', () => {
    const s = t.string('', { pattern: /^a/g });
    for (let i = 0; i < 4; i++) expect(set(s, 'abc')[3]).toBe('abc');
  });

  it.each<[string, () => unknown, string]>([
    ['a rule of another kind', () => t.number(0, { maxLength: 3 } as never), 'maxLength'],
    ['an unknown rule', () => t.string('', { max: 3 } as never), 'max'],
    ['a validate on a number that is not a function', () => t.number(0, { validate: 'yes' } as never), 'validate'],
    ['min NaN', () => t.number(0, { min: NaN }), 'min'],
    ['max NaN', () => t.number(0, { max: NaN }), 'max'],
    ['min -Infinity', () => t.number(0, { min: -Infinity }), 'min'],
    ['max Infinity', () => t.number(0, { max: Infinity }), 'max'],
    ['a string bound', () => t.number(0, { min: '1' } as never), 'min'],
    ['min above max', () => t.number(0, { min: 2, max: 1 }), 'min'],
    ['maxLength NaN', () => t.string('', { maxLength: NaN }), 'maxLength'],
    ['maxLength Infinity', () => t.string('', { maxLength: Infinity }), 'maxLength'],
    ['maxLength -1', () => t.string('', { maxLength: -1 }), 'maxLength'],
    ['maxLength 1.5', () => t.string('', { maxLength: 1.5 }), 'maxLength'],
    ['maxLength 2^53', () => t.string('', { maxLength: 2 ** 53 }), 'maxLength'],
    ['minLength above maxLength', () => t.string('', { minLength: 3, maxLength: 2 }), 'minLength'],
    ['a string pattern', () => t.string('', { pattern: '^a$' } as never), 'pattern'],
    ['an empty oneOf', () => t.string<string>('', { oneOf: [] }), 'oneOf'],
    ['a oneOf with a number', () => t.string('', { oneOf: ['a', 1] } as never), 'oneOf'],
    ['integer "yes"', () => t.number(0, { integer: 'yes' } as never), 'integer'],
    ['maxBytes -1', () => t.json(null, { maxBytes: -1 }), 'maxBytes'],
    ['maxKeys NaN', () => t.dict(t.number(), {}, { maxKeys: NaN }), 'maxKeys'],
    ['a keyPattern object', () => t.dict(t.number(), {}, { keyPattern: { source: 'a' } } as never), 'keyPattern'],
    ['maxItems Infinity', () => t.list(t.number(), [], { maxItems: Infinity }), 'maxItems'],
  ])('refuses %s with BAD_VALUE', (_, fn, ref) => {
    expectSyncError(fn, ErrorCode.BAD_VALUE, ref);
  });

  it.each([null, 1, 'x', [], [1]])('refuses rules %j that are not an object', (rules) => {
    expectSyncError(() => t.string<string>('', rules as never), ErrorCode.BAD_VALUE);
  });

  it('takes a RegExp of another realm, and refuses an object that only inherits from RegExp', () => {
    const foreign = runInNewContext('/^a$/giu') as RegExp;
    expect(foreign instanceof RegExp).toBe(false);
    const rules = normalizeRules('string', { pattern: foreign });
    expect(rules?.pattern).toBeInstanceOf(RegExp);
    expect([rules?.pattern?.source, rules?.pattern?.flags]).toEqual(['^a$', 'iu']);
    const fake = Object.create(RegExp.prototype) as RegExp;
    expectSyncError(() => t.string('', { pattern: fake }), ErrorCode.BAD_VALUE, 'pattern');
  });
});

describe('defaults must satisfy the rules', () => {
  it.each<[string, AttrSpec, string]>([
    ['a string too short', t.string('', { minLength: 1 }), 'T.a default: a: at least 1 character'],
    ['a string off the pattern', t.string('A', { pattern: /^[a-z]*$/ }), 'T.a default: a: does not match /^[a-z]*$/'],
    ['a string not in oneOf', t.string('c' as 'a', { oneOf: ['a', 'b'] }), 'T.a default: a: not one of "a", "b"'],
    ['a number below min', t.number(0, { min: 1 }), 'T.a default: a: at least 1'],
    ['a non-integer', t.number(0.5, { integer: true }), 'T.a default: a: not an integer'],
    ['a json too large', t.json('abc', { maxBytes: 4 }), 'T.a default: a: larger than 4 bytes of JSON'],
    ['a dict with too many keys', t.dict(t.number(), { a: 1, b: 2 }, { maxKeys: 1 }), 'T.a default: a: at most 1 key'],
    ['a dict with a bad key', t.dict(t.number(), { A: 1 }, { keyPattern: /^[a-z]$/ }), 'T.a default: a["A"]: key does not match /^[a-z]$/'],
    ['a dict with a bad value', t.dict(t.number(0, { min: 0 }), { x: -1 }), 'T.a default: a["x"]: at least 0'],
    ['a list with a bad item', t.list(t.string('', { maxLength: 1 }), ['a', 'bb']), 'T.a default: a[1]: at most 1 character'],
    ['a list too long', t.list(t.number(), [1, 2], { maxItems: 1 }), 'T.a default: a: at most 1 item'],
    ['a validator that refuses it', t.boolean(false, { validate: (b) => b || 'must be true' }), 'T.a default: a: must be true'],
    ['a validator that throws', t.boolean(false, { validate: () => { throw new Error('boom'); } }), 'T.a default: a: its validator failed'],
  ])('defineType refuses %s with INVALID naming the attribute', (_, spec, message) => {
    expectInvalid(() => defineType('T', { ok: t.number(), a: spec }), 'a', message);
  });

  it('defineType refuses a default of the wrong kind with BAD_VALUE', () => {
    expectSyncError(() => defineType('T', { a: t.number(NaN) }), ErrorCode.BAD_VALUE, 'a');
    expectSyncError(() => defineType('T', { a: t.dict(t.number(), { x: 'y' } as never) }), ErrorCode.BAD_VALUE, 'a');
  });

  it('does not check the default of an element kind, which is never used', () => {
    expect(defineType('T', { a: t.list(t.string('', { minLength: 1 })) }).attrNames).toEqual(['a']);
  });

  it('accepts defaults that satisfy every rule', () => {
    const T = defineType('T', {
      s: t.string('ok', { minLength: 1, maxLength: 5, pattern: /^[a-z]+$/, oneOf: ['ok', 'ko'], validate: (v) => v !== 'ko' || 'no' }),
      n: t.number(3, { min: 0, max: 5, integer: true }),
      d: t.dict(t.number(0, { min: 0 }), { a: 1 }, { maxKeys: 1, keyPattern: /^[a-z]$/ }),
      l: t.list(t.string('', { maxLength: 2 }), ['ab'], { maxItems: 1 }),
    });
    expect(T.attrNames).toHaveLength(4);
  });
});

describe('string rules', () => {
  const title = t.string('x', { minLength: 1, maxLength: 80 });

  it('counts UTF-16 code units, as the HTML maxlength does', () => {
    const s = t.string('', { maxLength: 2 });
    expect(set(s, '😀')[3]).toBe('😀');
    expectInvalid(() => set(s, '😀a'), 'a', 'a: at most 2 characters');
  });

  it('names the rule and the attribute', () => {
    expectInvalid(() => checkTopicOp(title, 'x', raw(OP.set, 1, 0, 'x'.repeat(81)), 'title'), 'title', 'title: at most 80 characters');
    expectInvalid(() => checkTopicOp(title, 'x', raw(OP.set, 1, 0, ''), 'title'), 'title', 'title: at least 1 character');
    expect(checkTopicOp(title, 'x', raw(OP.set, 1, 0, 'x'.repeat(80)), 'title')[3]).toHaveLength(80);
  });

  it('refuses a huge string by its length without running the pattern', () => {
    // Catastrophic backtracking: run on this string, the pattern would not finish.
    const s = t.string('', { maxLength: 100, pattern: /^(a+)+$/ });
    const huge = `${'a'.repeat(5_000_000)}!`;
    const start = performance.now();
    expectInvalid(() => set(s, huge), 'a', 'a: at most 100 characters');
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('checks the pattern against the whole value', () => {
    const s = t.string('', { pattern: /^[a-z]*$/ });
    expect(set(s, 'abc')[3]).toBe('abc');
    expectInvalid(() => set(s, 'ab c'), 'a', 'a: does not match /^[a-z]*$/');
  });

  it('refuses lone surrogates before any pattern (BAD_VALUE), and keeps pairs whole', () => {
    const s = t.string('', { pattern: /^\P{Cs}*$/u });
    expect(set(s, 'a😀b')[3]).toBe('a😀b');
    for (const bad of ['\uD800', 'a\uDC00', '\uDC00\uD800', `${'x'.repeat(1000)}\uD83D`]) {
      expectSyncError(() => set(s, bad), ErrorCode.BAD_VALUE, 'a');
    }
    const letters = t.string('', { pattern: /^\p{L}+$/u });
    expectSyncError(() => set(letters, 'ab\uD800'), ErrorCode.BAD_VALUE, 'a');
  });

  it('takes only the values of oneOf', () => {
    const s = t.string('on', { oneOf: ['on', 'off'] });
    expect(set(s, 'off')[3]).toBe('off');
    for (const bad of ['ON', '', 'on ', 'toString', '__proto__', 'constructor']) expectInvalid(() => set(s, bad), 'a', 'a: not one of "on", "off"');
  });

  it('shows a long oneOf shortened', () => {
    const s = t.string('v0', { oneOf: Array.from({ length: 12 }, (_, i) => `v${i}`) });
    expectInvalid(() => set(s, 'x'), 'a', 'a: not one of "v0", "v1", "v2", "v3", "v4", … (12 in all)');
  });

  it('shows a long pattern shortened', () => {
    const s = t.string('', { pattern: new RegExp(`^${'a'.repeat(100)}$`) });
    const e = expectSyncError(() => set(s, 'b'), ErrorCode.INVALID, 'a');
    expect(e.message.length).toBeLessThan(90);
  });

  it('still refuses a non-string with BAD_VALUE, before any rule', () => {
    expectSyncError(() => set(title, 5), ErrorCode.BAD_VALUE, 'a');
    expectSyncError(() => set(title, null), ErrorCode.BAD_VALUE, 'a');
  });
});

describe('number rules', () => {
  const score = t.number(0, { min: 0, max: 10, integer: true });

  it('checks set values against min, max and integer', () => {
    expect(set(score, 10)[3]).toBe(10);
    expect(set(score, 0)[3]).toBe(0);
    expect(set(score, -0)[3]).toBe(0);
    expectInvalid(() => set(score, 11), 'a', 'a: at most 10');
    expectInvalid(() => set(score, -1), 'a', 'a: at least 0');
    expectInvalid(() => set(score, 2.5), 'a', 'a: not an integer');
    expectInvalid(() => set(t.number(0, { integer: true }), 2 ** 53), 'a', 'a: not a safe integer');
  });

  it('checks the sum of an add', () => {
    const add = (current: number, delta: number): TopicOp => checkTopicOp(score, current, raw(OP.add, 1, 0, delta), 'score');
    expect(add(9, 1)).toEqual([OP.add, 1, 0, 1]);
    expect(add(5, -5)).toEqual([OP.add, 1, 0, -5]);
    expectInvalid(() => add(9, 2), 'score', 'score: at most 10');
    expectInvalid(() => add(0, -1), 'score', 'score: at least 0');
    expectInvalid(() => add(1, 0.5), 'score', 'score: not an integer');
    // The sum as floats add it: 0.1 + 0.2 is above 0.3.
    expect(checkTopicOp(t.number(0, { max: 1 }), 0.1, raw(OP.add, 1, 0, 0.2), 'x')).toEqual([OP.add, 1, 0, 0.2]);
    expectInvalid(() => checkTopicOp(t.number(0, { max: 0.3 }), 0.1, raw(OP.add, 1, 0, 0.2), 'x'), 'x', 'x: at most 0.3');
  });

  it('refuses NaN and Infinity with BAD_VALUE whatever the rules', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      expectSyncError(() => set(score, bad), ErrorCode.BAD_VALUE, 'a');
      expectSyncError(() => checkTopicOp(score, 1, raw(OP.add, 1, 0, bad), 'a'), ErrorCode.BAD_VALUE, 'a');
    }
  });

  it('runs validate on the sum of an add', () => {
    const even = t.number(0, { validate: (n) => n % 2 === 0 || 'must be even' });
    expect(checkTopicOp(even, 2, raw(OP.add, 1, 0, 2), 'even')[3]).toBe(2);
    expectInvalid(() => checkTopicOp(even, 2, raw(OP.add, 1, 0, 1), 'even'), 'even', 'even: must be even');
  });
});

describe('boolean rules', () => {
  it('runs validate', () => {
    const s = t.boolean(false, { validate: (b) => !b || 'cannot be switched on' });
    expect(set(s, false)[3]).toBe(false);
    expectInvalid(() => set(s, true), 'a', 'a: cannot be switched on');
  });
});

describe('json rules', () => {
  it('measures maxBytes as the UTF-8 length of JSON.stringify', () => {
    // {"a":"é😀"}: 8 ASCII bytes, 2 for é, 4 for 😀.
    expect(set(t.json(null, { maxBytes: 14 }), { a: 'é😀' })[3]).toEqual({ a: 'é😀' });
    expectInvalid(() => set(t.json(null, { maxBytes: 13 }), { a: 'é😀' }), 'a', 'a: larger than 13 bytes of JSON');
  });

  it('gives jsonByteLength the length of JSON.stringify in UTF-8', () => {
    for (const v of [null, true, false, 0, -0, 1.5e-7, -12, '', 'a"b\\c\n\u0001\u001f\u007f', 'é😀\uD800\uDC00\uDFFF', [], {}, [1, [2, {}]], { a: { b: [null, 'x'] }, '\u00e9': 1 }] as Json[]) {
      expect(jsonByteLength(v)).toBe(Buffer.byteLength(JSON.stringify(v)));
    }
  });

  it('gives jsonByteLength the length of JSON.stringify for any JSON, lone surrogates included', () => {
    const anyUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((units) => String.fromCharCode(...units));
    const value = fc.letrec<{ v: Json }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        anyUnits,
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(anyUnits, tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => jsonByteLength(v) === Buffer.byteLength(JSON.stringify(v))),
      propertyParams(),
    );
  });

  it('stops counting past the budget', () => {
    const big = Array.from({ length: 1000 }, () => 'x'.repeat(100));
    expect(jsonByteLength(big, 1000)).toBeGreaterThan(1000);
    expect(jsonByteLength(big, 1000)).toBeLessThan(1200);
    expect(jsonByteLength(new Array<Json>(1_000_000).fill(1), 10)).toBeGreaterThan(10);
    expect(jsonByteLength('x'.repeat(1_000_000), 10)).toBeLessThan(20);
  });

  it('refuses a value over maxBytes', () => {
    const s = t.json(null, { maxBytes: 10 });
    expect(set(s, 'x'.repeat(8))[3]).toBe('xxxxxxxx');
    expectInvalid(() => set(s, 'x'.repeat(9)), 'a', 'a: larger than 10 bytes of JSON');
    expectInvalid(() => set(s, 'ééééé'), 'a', 'a: larger than 10 bytes of JSON');
  });

  it('runs validate on the copy', () => {
    const seen: unknown[] = [];
    const s = t.json(null, { validate: (v) => (seen.push(v), typeof v === 'object' || 'an object or null') });
    const given = { a: [1] };
    const out = set(s, given)[3];
    expect(seen[0]).toBe(out);
    expect(out).not.toBe(given);
    expectInvalid(() => set(s, 'x'), 'a', 'a: an object or null');
  });
});
