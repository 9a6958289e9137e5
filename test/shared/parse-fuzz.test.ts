import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError, isErrorCode } from '../../shared/errors.js';
import { measureValue, parseClientMessage } from '../../shared/parse.js';
import type { ClientMessage } from '../../shared/protocol.js';
import { propertyParams, thrown } from './support.js';
import { L, nestedArrays } from './parse-support.js';

describe('parseClientMessage()', () => {
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
