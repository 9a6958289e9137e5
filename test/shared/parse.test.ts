import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError, isErrorCode } from '../../shared/errors.js';
import { OP } from '../../shared/ops.js';
import { measureValue, parseClientMessage, parseOp } from '../../shared/parse.js';
import { DEFAULT_LIMITS, type ClientMessage, type Limits } from '../../shared/protocol.js';
import { MAX_JSON_DEPTH } from '../../shared/values.js';
import { expectErrorResult, propertyParams, thrown } from './support.js';

const L = DEFAULT_LIMITS;

/** A valid proposal body, with fields overridden. */
const propose = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ tree: 'main', opId: 1, baseSeq: 0, ops: [[OP.set, 1, 0, 'x']], ...over });

/** Parses one op inside an otherwise valid proposal. */
const parseOne = (op: unknown): ClientMessage | SyncError => parseClientMessage('propose', [propose({ ops: [op] })], L);

/** Parses, and fails the test when the result is an error. */
function parsed(event: string, args: readonly unknown[], limits: Limits = L): ClientMessage {
  const result = parseClientMessage(event, args, limits);
  if (result instanceof SyncError) return expect.unreachable(`unexpected ${result.code}: ${result.message}`);
  return result;
}

function nestedArrays(levels: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

function nestedObjects(levels: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** A well-formed op of every code, as a proposal carries it. */
const VALID_OPS: Record<keyof typeof OP, unknown[]> = {
  set: [OP.set, 1, 0, { any: ['json'] }],
  add: [OP.add, 1, 0, 2.5],
  put: [OP.put, 1, 0, 'k', 1],
  delete: [OP.delete, 1, 0, 'k'],
  insert: [OP.insert, 1, 0, -1, [1, 2]],
  remove: [OP.remove, 1, 0, 0, 1],
  listMove: [OP.listMove, 1, 0, 0, 1],
  replace: [OP.replace, 1, 0, 0, 'x'],
  create: [OP.create, -1, 0, 0, -1, { title: 'x' }],
  destroy: [OP.destroy, 3],
  move: [OP.move, 3, 0, -1],
};
const OP_ROWS = Object.entries(VALID_OPS);

/** The positions of each op that must hold an integer (ids, attribute and type indices). */
const INTEGER_AT: Record<keyof typeof OP, number[]> = {
  set: [1, 2],
  add: [1, 2],
  put: [1, 2],
  delete: [1, 2],
  insert: [1, 2],
  remove: [1, 2],
  listMove: [1, 2],
  replace: [1, 2],
  create: [1, 2, 3],
  destroy: [1],
  move: [1, 2],
};

/** The positions of each op that must hold a number (indices and counts, range-checked later). */
const NUMBER_AT: Record<keyof typeof OP, number[]> = {
  set: [],
  add: [3],
  put: [],
  delete: [],
  insert: [3],
  remove: [3, 4],
  listMove: [3, 4],
  replace: [3],
  create: [4],
  destroy: [],
  move: [3],
};

describe('parseClientMessage()', () => {
  describe('join', () => {
    it('parses a join', () => {
      expect(parsed('join', [{ tree: 'main' }])).toStrictEqual({ type: 'join', tree: 'main' });
    });

    it.each([[0], [42], [Number.MAX_SAFE_INTEGER]])('parses since %d', (since) => {
      expect(parsed('join', [{ tree: 'main', since }])).toStrictEqual({ type: 'join', tree: 'main', since });
    });

    it('treats a null since as absent', () => {
      expect(parsed('join', [{ tree: 'main', since: null }])).toStrictEqual({ type: 'join', tree: 'main' });
    });

    it('drops unknown fields', () => {
      expect(parsed('join', [{ tree: 'main', extra: { a: 1 } }, 'more'])).toStrictEqual({ type: 'join', tree: 'main' });
    });

    it.each<[string, unknown]>([
      ['negative', -1],
      ['fractional', 1.5],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['unsafe', 2 ** 53],
      ['a string', '1'],
      ['an object', {}],
      ['true', true],
    ])('rejects a %s since with BAD_MESSAGE', (_, since) => {
      expectErrorResult(parseClientMessage('join', [{ tree: 'main', since }], L), ErrorCode.BAD_MESSAGE, 'since');
    });
  });

  describe('leave', () => {
    it('parses a leave', () => {
      expect(parsed('leave', [{ tree: 'main' }])).toStrictEqual({ type: 'leave', tree: 'main' });
    });
  });

  describe('propose', () => {
    it('parses a proposal with every op code', () => {
      const ops = Object.values(VALID_OPS);
      expect(parsed('propose', [propose({ opId: 7, baseSeq: 3, ops })])).toStrictEqual({ type: 'propose', tree: 'main', opId: 7, baseSeq: 3, ops });
    });

    it.each(OP_ROWS)('accepts a %s op', (_, op) => {
      expect(parseOne(op)).toMatchObject({ type: 'propose', ops: [op] });
    });

    it.each(['opId', 'baseSeq'])('accepts 0 as %s', (field) => {
      expect(parsed('propose', [propose({ [field]: 0 })])).toMatchObject({ [field]: 0 });
    });

    it.each<[string, unknown]>([
      ['missing', undefined],
      ['null', null],
      ['negative', -1],
      ['fractional', 0.5],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['unsafe', 2 ** 53],
      ['a numeric string', '1'],
      ['the string NaN', 'NaN'],
      ['an array', [1]],
      ['a boxed number', Object(1)],
    ])('rejects a %s opId with BAD_MESSAGE', (_, opId) => {
      expectErrorResult(parseClientMessage('propose', [propose({ opId })], L), ErrorCode.BAD_MESSAGE, 'opId');
    });

    it.each<[string, unknown]>([
      ['missing', undefined],
      ['negative', -3],
      ['fractional', 2.5],
      ['a string', '0'],
    ])('rejects a %s baseSeq with BAD_MESSAGE', (_, baseSeq) => {
      expectErrorResult(parseClientMessage('propose', [propose({ baseSeq })], L), ErrorCode.BAD_MESSAGE, 'baseSeq');
    });

    it.each<[string, unknown]>([
      ['missing', undefined],
      ['empty', []],
      ['an object', { 0: [OP.destroy, 1] }],
      ['a string', 'ops'],
      ['null', null],
    ])('rejects %s ops with BAD_MESSAGE', (_, ops) => {
      expectErrorResult(parseClientMessage('propose', [propose({ ops })], L), ErrorCode.BAD_MESSAGE, 'ops');
    });

    it('accepts exactly maxOpsPerProposal ops', () => {
      const ops = new Array(L.maxOpsPerProposal).fill([OP.destroy, 1]);
      expect(parsed('propose', [propose({ ops })])).toMatchObject({ type: 'propose' });
    });

    it('rejects more than maxOpsPerProposal ops with TOO_LARGE', () => {
      const ops = new Array(L.maxOpsPerProposal + 1).fill([OP.destroy, 1]);
      expectErrorResult(parseClientMessage('propose', [propose({ ops })], L), ErrorCode.TOO_LARGE, 'ops');
    });

    it('applies custom limits', () => {
      const limits: Limits = { ...L, maxOpsPerProposal: 2 };
      const ops = [[OP.destroy, 1], [OP.destroy, 2], [OP.destroy, 3]];
      expectErrorResult(parseClientMessage('propose', [propose({ ops })], limits), ErrorCode.TOO_LARGE, 'ops');
    });
  });

  describe('tree names', () => {
    it.each(['join', 'leave', 'propose'])('%s rejects a missing, empty or non-string tree with BAD_MESSAGE', (event) => {
      for (const tree of [undefined, null, '', 1, ['main'], { name: 'main' }, Object('main')]) {
        expectErrorResult(parseClientMessage(event, [propose({ tree })], L), ErrorCode.BAD_MESSAGE, 'tree');
      }
    });

    it.each(['join', 'leave', 'propose'])('%s accepts a tree name of maxTreeName characters', (event) => {
      expect(parsed(event, [propose({ tree: 't'.repeat(L.maxTreeName) })])).toMatchObject({ tree: 't'.repeat(L.maxTreeName) });
    });

    it.each(['join', 'leave', 'propose'])('%s rejects a longer tree name with TOO_LARGE', (event) => {
      expectErrorResult(parseClientMessage(event, [propose({ tree: 't'.repeat(L.maxTreeName + 1) })], L), ErrorCode.TOO_LARGE, 'tree');
    });

    it('refuses a lone surrogate in a tree name (UTF-8 storage would rename the tree), and takes a pair', () => {
      expectErrorResult(parseClientMessage('join', [{ tree: 'a\uD800b' }], L), ErrorCode.BAD_MESSAGE, 'tree');
      expect(parsed('join', [{ tree: '\uD83D\uDE00' }])).toStrictEqual({ type: 'join', tree: '\uD83D\uDE00' });
    });
  });

  describe('events and bodies', () => {
    it.each(['hello', 'Join', 'b', 'ack', 'welcome', '', '__proto__', 'constructor', 'toString'])('rejects the event %j with UNKNOWN_MESSAGE', (event) => {
      expectErrorResult(parseClientMessage(event, [{ tree: 'main' }], L), ErrorCode.UNKNOWN_MESSAGE, event);
    });

    it('rejects a numeric event (socket.io allows them) with UNKNOWN_MESSAGE', () => {
      expectErrorResult(parseClientMessage(42, [{ tree: 'main' }], L), ErrorCode.UNKNOWN_MESSAGE, '42');
    });

    it('bounds a long unknown event name in the error', () => {
      const e = expectErrorResult(parseClientMessage('x'.repeat(10_000), [{}], L), ErrorCode.UNKNOWN_MESSAGE);
      expect(String(e.ref).length).toBeLessThanOrEqual(80);
      expect(e.message.length).toBeLessThan(200);
    });

    // The event name decides what a valid body is; an unknown event has none.
    it.each<[string, unknown[]]>([
      ['no arguments', []],
      ['a string argument', ['x']],
      ['a null argument', [null]],
    ])('rejects an unknown event with %s as UNKNOWN_MESSAGE, bounding the name', (_, args) => {
      const e = expectErrorResult(parseClientMessage('x'.repeat(10_000), args, L), ErrorCode.UNKNOWN_MESSAGE);
      expect(String(e.ref).length).toBeLessThanOrEqual(80);
      expect(e.message.length).toBeLessThan(200);
    });

    it.each<[string, unknown[]]>([
      ['no arguments', []],
      ['undefined', [undefined]],
      ['null', [null]],
      ['a string', ['main']],
      ['a number', [1]],
      ['an array', [['main']]],
      ['a second argument only', [undefined, { tree: 'main' }]],
    ])('rejects %s as the body with BAD_MESSAGE', (_, args) => {
      for (const event of ['join', 'leave', 'propose']) expectErrorResult(parseClientMessage(event, args, L), ErrorCode.BAD_MESSAGE, event);
    });

    it.each<[string, unknown]>([
      ['a Buffer', Buffer.from('{"tree":"main"}')],
      ['a Date', new Date(0)],
      ['a Map', new Map([['tree', 'main']])],
      ['a boxed string', Object('main')],
    ])('rejects %s as the body with a coded error', (_, body) => {
      expectErrorResult(parseClientMessage('join', [body], L), ErrorCode.BAD_MESSAGE);
    });

    it('accepts a null-prototype body', () => {
      const body = Object.assign(Object.create(null) as object, { tree: 'main' });
      expect(parsed('join', [body])).toStrictEqual({ type: 'join', tree: 'main' });
    });
  });

  describe('op tuples', () => {
    it.each<[string, unknown]>([
      ['null', null],
      ['a number', 1],
      ['a string', 'set'],
      ['an object', { 0: 0, 1: 1, 2: 0, 3: 'x', length: 4 }],
      ['an empty tuple', []],
      ['a typed array', new Float64Array([0, 1, 0, 1])],
    ])('rejects %s as an op with BAD_MESSAGE naming its position', (_, op) => {
      expectErrorResult(parseClientMessage('propose', [propose({ ops: [[OP.destroy, 1], op] })], L), ErrorCode.BAD_MESSAGE, 1);
    });

    it.each<[string, unknown]>([
      ['11', 11],
      ['-1', -1],
      ['1.5', 1.5],
      ['NaN', Number.NaN],
      ['the string "0"', '0'],
      ['null', null],
      ['an array', [0]],
      ['an object', {}],
    ])('rejects the op code %s with BAD_MESSAGE', (_, code) => {
      expectErrorResult(parseOne([code, 1, 0, 'x']), ErrorCode.BAD_MESSAGE, 0);
    });

    // A custom socket.io parser (msgpack) can decode 64-bit integers as BigInt.
    it('rejects a BigInt op code with BAD_MESSAGE instead of throwing', () => {
      const result = (() => {
        try {
          return parseOne([1n, 1, 0, 1]);
        } catch (e) {
          return e;
        }
      })();
      expectErrorResult(result, ErrorCode.BAD_MESSAGE, 0);
    });

    it.each(OP_ROWS)('rejects a %s op one element short with BAD_MESSAGE', (_, op) => {
      expectErrorResult(parseOne(op.slice(0, -1)), ErrorCode.BAD_MESSAGE, 0);
    });

    it.each(OP_ROWS)('rejects a %s op one element long with BAD_MESSAGE', (_, op) => {
      expectErrorResult(parseOne([...op, 0]), ErrorCode.BAD_MESSAGE, 0);
    });

    it.each(OP_ROWS.flatMap(([name, op]) => INTEGER_AT[name as keyof typeof OP].flatMap((at) => [1.5, '1', null, Number.NaN, 2 ** 53].map((bad) => ({ name, op, at, bad })))))(
      'rejects $bad at position $at of a $name op with BAD_MESSAGE',
      ({ op, at, bad }) => {
        const broken = [...op];
        broken[at] = bad;
        expectErrorResult(parseOne(broken), ErrorCode.BAD_MESSAGE, 0);
      },
    );

    it.each(OP_ROWS.flatMap(([name, op]) => NUMBER_AT[name as keyof typeof OP].flatMap((at) => ['1', null, [1], true].map((bad) => ({ name, op, at, bad })))))(
      'rejects $bad at position $at of a $name op with BAD_MESSAGE',
      ({ op, at, bad }) => {
        const broken = [...op];
        broken[at] = bad;
        expectErrorResult(parseOne(broken), ErrorCode.BAD_MESSAGE, 0);
      },
    );

    it.each(OP_ROWS.flatMap(([name, op]) => NUMBER_AT[name as keyof typeof OP].map((at) => ({ name, op, at }))))(
      'leaves a fractional number at position $at of a $name op to the topic check',
      ({ op, at }) => {
        const broken = [...op];
        broken[at] = 1.5;
        expect(parseOne(broken)).toMatchObject({ type: 'propose' });
      },
    );

    it.each<[string, unknown[]]>([
      ['a put with a numeric key', [OP.put, 1, 0, 5, 1]],
      ['a delete with a null key', [OP.delete, 1, 0, null]],
      ['an insert with non-array items', [OP.insert, 1, 0, 0, 'items']],
      ['an insert with object items', [OP.insert, 1, 0, 0, { 0: 1 }]],
      ['a create with array values', [OP.create, -1, 0, 0, -1, []]],
      ['a create with null values', [OP.create, -1, 0, 0, -1, null]],
      ['a create with string values', [OP.create, -1, 0, 0, -1, 'x']],
    ])('rejects %s with BAD_MESSAGE', (_, op) => {
      expectErrorResult(parseOne(op), ErrorCode.BAD_MESSAGE, 0);
    });

    it('rejects a hole in a sparse ops array with BAD_MESSAGE', () => {
      const ops: unknown[] = [[OP.destroy, 1]];
      ops.length = 2;
      expectErrorResult(parseClientMessage('propose', [propose({ ops })], L), ErrorCode.BAD_MESSAGE, 1);
    });

    it('names the position of the first bad op', () => {
      expectErrorResult(parseClientMessage('propose', [propose({ ops: [[OP.destroy, 1], [OP.destroy, 2], [OP.destroy, 'x']] })], L), ErrorCode.BAD_MESSAGE, 2);
    });
  });

  describe('forbidden keys', () => {
    it.each(['__proto__', 'constructor', 'prototype'])('rejects a %s key in the body with BAD_KEY', (key) => {
      expectErrorResult(parseClientMessage('join', [JSON.parse(`{"tree": "main", "${key}": {"polluted": 1}}`)], L), ErrorCode.BAD_KEY, key);
    });

    it.each(['__proto__', 'constructor', 'prototype'])('rejects a %s key deep in a set value with BAD_KEY', (key) => {
      const body = JSON.parse(`{"tree": "main", "opId": 1, "baseSeq": 0, "ops": [[0, 1, 0, {"a": [{"b": {"${key}": 1}}]}]]}`) as unknown;
      expectErrorResult(parseClientMessage('propose', [body], L), ErrorCode.BAD_KEY, key);
    });

    it.each(['__proto__', 'constructor', 'prototype'])('rejects a %s key in create values with BAD_KEY', (key) => {
      const body = JSON.parse(`{"tree": "main", "opId": 1, "baseSeq": 0, "ops": [[8, -1, 0, 0, -1, {"${key}": 1}]]}`) as unknown;
      expectErrorResult(parseClientMessage('propose', [body], L), ErrorCode.BAD_KEY, key);
    });

    it('rejects a forbidden key in an argument after the body', () => {
      expectErrorResult(parseClientMessage('join', [{ tree: 'main' }, JSON.parse('{"__proto__": 1}')], L), ErrorCode.BAD_KEY, '__proto__');
    });

    it('accepts a __proto__ string as a put key (the topic check rejects it)', () => {
      expect(parseOne([OP.put, 1, 0, '__proto__', 1])).toMatchObject({ type: 'propose' });
    });

    it('leaves Object.prototype alone', () => {
      parseClientMessage('join', [JSON.parse('{"tree": "main", "__proto__": {"polluted": 1}}')], L);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });
  });

  describe('size and depth', () => {
    it('rejects a message over maxMessageBytes with TOO_LARGE', () => {
      const e = expectErrorResult(parseClientMessage('propose', [propose({ ops: [[OP.set, 1, 0, 'x'.repeat(L.maxMessageBytes)]] })], L), ErrorCode.TOO_LARGE);
      expect(e.ref).toBe('propose');
    });

    it('rejects a huge tree name as TOO_LARGE before reading it', () => {
      expectErrorResult(parseClientMessage('join', [{ tree: 'x'.repeat(2_000_000) }], L), ErrorCode.TOO_LARGE);
    });

    it('counts every argument, not only the body', () => {
      expectErrorResult(parseClientMessage('join', [{ tree: 'main' }, 'x'.repeat(L.maxMessageBytes)], L), ErrorCode.TOO_LARGE);
    });

    it('applies a custom maxMessageBytes', () => {
      const limits: Limits = { ...L, maxMessageBytes: 100 };
      expect(parsed('join', [{ tree: 'main' }], limits)).toMatchObject({ type: 'join' });
      expectErrorResult(parseClientMessage('join', [{ tree: 'main', pad: 'x'.repeat(100) }], limits), ErrorCode.TOO_LARGE);
    });

    it.each<[string, () => unknown]>([
      ['a Buffer', () => Buffer.alloc(2_000_000)],
      ['a Uint8Array', () => new Uint8Array(2_000_000)],
      ['a Float64Array', () => new Float64Array(250_001)],
      ['a DataView', () => new DataView(new ArrayBuffer(2_000_000))],
    ])('counts %s by its bytes', (_, make) => {
      expectErrorResult(parseClientMessage('propose', [propose({ ops: [[OP.set, 1, 0, make()]] })], L), ErrorCode.TOO_LARGE);
    });

    it('rejects a million-item array with TOO_LARGE', () => {
      expectErrorResult(parseClientMessage('propose', [propose({ ops: [[OP.insert, 1, 0, 0, new Array(1_000_000).fill(0)]] })], L), ErrorCode.TOO_LARGE);
    });

    it(`accepts a set value nested ${MAX_JSON_DEPTH} levels (what copyValue accepts)`, () => {
      expect(parseOne([OP.set, 1, 0, nestedArrays(MAX_JSON_DEPTH)])).toMatchObject({ type: 'propose' });
      expect(parseOne([OP.create, -1, 0, 0, -1, { a: nestedObjects(MAX_JSON_DEPTH) }])).toMatchObject({ type: 'propose' });
    });

    it.each<[string, (n: number) => unknown]>([
      ['arrays', nestedArrays],
      ['objects', nestedObjects],
    ])('rejects 100,000 nested %s with BAD_MESSAGE, without overflowing the stack', (_, nest) => {
      expectErrorResult(parseOne([OP.set, 1, 0, nest(100_000)]), ErrorCode.BAD_MESSAGE);
      expectErrorResult(parseClientMessage('join', [{ tree: 'main', deep: nest(100_000) }], L), ErrorCode.BAD_MESSAGE);
      expectErrorResult(parseClientMessage('join', [nest(100_000)], L), ErrorCode.BAD_MESSAGE);
    });
  });

  describe('fuzzing', () => {
    const anything = fc.anything({
      maxDepth: 4,
      withBoxedValues: true,
      withNullPrototype: true,
      withMap: true,
      withSet: true,
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withObjectString: true,
      stringUnit: 'binary',
    });
    const event = fc.oneof(fc.constantFrom('join', 'leave', 'propose'), fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString'));
    /** Any value, with the awkward scalars more often than `anything` makes them. */
    const weird = fc.oneof(anything, fc.bigInt(), fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY, undefined, null, ''), fc.double());
    /** Mostly `valid`, sometimes anything at all. */
    const mostly = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: weird });
    const opLike = fc.oneof(
      anything,
      fc
        .tuple(mostly(fc.integer({ min: -1, max: 11 })), fc.array(mostly(fc.integer({ min: -3, max: 3 })), { maxLength: 6 }))
        .map(([code, rest]) => [code, ...rest]),
    );
    const body = fc.oneof(
      anything,
      fc.record({
        tree: mostly(fc.string({ minLength: 1, maxLength: 3 })),
        since: mostly(fc.integer()),
        opId: mostly(fc.nat()),
        baseSeq: mostly(fc.nat()),
        ops: mostly(fc.array(opLike, { minLength: 1, maxLength: 4 })),
      }),
    );

    /** A typed message or a coded SyncError; anything else (a throw) fails the property. */
    function checkResult(result: ClientMessage | SyncError): void {
      if (result instanceof SyncError) {
        expect(isErrorCode(result.code)).toBe(true);
        return;
      }
      expect(['join', 'leave', 'propose']).toContain(result.type);
      expect(typeof result.tree).toBe('string');
      if (result.type === 'propose') {
        expect(Array.isArray(result.ops)).toBe(true);
        for (const op of result.ops as readonly unknown[]) {
          expect(Array.isArray(op)).toBe(true);
          const [code, id] = op as unknown[];
          expect(Number.isInteger(code) && Number.isSafeInteger(id)).toBe(true);
        }
      }
    }

    it('never throws on arbitrary arguments', () => {
      fc.assert(
        fc.property(event, fc.array(anything, { maxLength: 3 }), (ev, args) => {
          checkResult(parseClientMessage(ev, args, L));
        }),
        propertyParams(),
      );
    });

    it('never throws on message-shaped arguments', () => {
      fc.assert(
        fc.property(fc.oneof({ weight: 9, arbitrary: fc.constantFrom('join', 'leave', 'propose') }, { weight: 1, arbitrary: event }), body, fc.array(anything, { maxLength: 2 }), (ev, b, rest) => {
          checkResult(parseClientMessage(ev, [b, ...rest], L));
        }),
        propertyParams(),
      );
    });
  });
});

describe('parseOp()', () => {
  it.each(OP_ROWS)('returns a %s op as it is', (_, op) => {
    expect(parseOp(op, 0)).toBe(op);
  });

  it('throws a non-SyncError rejection that parseClientMessage turns into a code', () => {
    const e = thrown(() => parseOp([99], 3));
    expect(e).not.toBeInstanceOf(SyncError);
    expect(e).toMatchObject({ code: ErrorCode.BAD_MESSAGE, ref: 3 });
  });
});

describe('measureValue()', () => {
  it.each<[string, unknown, number]>([
    ['null', null, 4],
    ['a number', 12345, 8],
    ['a boolean', true, 8],
    ['a string', 'abc', 5],
    ['an empty array', [], 2],
    ['an empty object', {}, 2],
    ['a Buffer', Buffer.alloc(1000), 1000],
    ['a Float64Array', new Float64Array(10), 80],
  ])('sizes %s', (_, value, size) => {
    expect(measureValue(value, Number.POSITIVE_INFINITY)).toBe(size);
  });

  it('grows with keys, items and nesting', () => {
    const small = measureValue({ a: [1] }, Number.POSITIVE_INFINITY);
    expect(measureValue({ a: [1, 2] }, Number.POSITIVE_INFINITY)).toBeGreaterThan(small);
    expect(measureValue({ a: [1], bb: [] }, Number.POSITIVE_INFINITY)).toBeGreaterThan(small);
    expect(measureValue({ abc: [1] }, Number.POSITIVE_INFINITY)).toBeGreaterThan(small);
  });

  it('counts an ArrayBuffer by its bytes', () => {
    expect(measureValue(new ArrayBuffer(1000), Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(1000);
  });

  it('is at least the JSON length for ASCII JSON without escapes or long numbers', () => {
    const plain = fc.string({ unit: fc.constantFrom(...'abcXYZ09 _-.:{}[],'.split('')), maxLength: 6 });
    const value = fc.anything({
      maxDepth: 4,
      key: plain,
      values: [plain, fc.integer({ min: -9_999_999, max: 99_999_999 }), fc.boolean(), fc.constant(null)],
    });
    fc.assert(
      fc.property(value, (v) => {
        expect(measureValue(v, Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(JSON.stringify(v).length);
      }),
      propertyParams(200),
    );
  });

  it('stops early past the budget', () => {
    let reads = 0;
    const big: unknown[] = [];
    for (let i = 0; i < 10_000; i++) {
      Object.defineProperty(big, i, {
        enumerable: true,
        get: () => {
          reads++;
          return 12345;
        },
      });
    }
    const size = measureValue(big, 100);
    expect(size).toBeGreaterThan(100);
    expect(reads).toBeLessThan(20);
  });

  it('stops early inside objects', () => {
    let reads = 0;
    const big: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) {
      Object.defineProperty(big, `k${i}`, {
        enumerable: true,
        get: () => {
          reads++;
          return 'v';
        },
      });
    }
    expect(measureValue([[big]], 100)).toBeGreaterThan(100);
    expect(reads).toBeLessThan(20);
  });

  it('throws a coded rejection for a forbidden key', () => {
    expect(thrown(() => measureValue(JSON.parse('[{"a": {"constructor": 1}}]'), 1e6))).toMatchObject({ code: ErrorCode.BAD_KEY, ref: 'constructor' });
  });

  it('throws a coded rejection past the depth limit', () => {
    expect(thrown(() => measureValue(nestedArrays(1000), 1e6))).toMatchObject({ code: ErrorCode.BAD_MESSAGE });
  });
});
