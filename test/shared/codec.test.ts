import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BINARY_BATCH_VERSION, decodeBatch, encodeBatch, type AnyBatchArgs } from '../../shared/codec.js';
import { ErrorCode, SyncError } from '../../shared/errors.js';
import type { Json } from '../../shared/json.js';
import { OP, type Op } from '../../shared/ops.js';
import { expectSyncError, propertyParams } from './support.js';

/** JSON values as the server stores them: finite numbers (no -0), safe keys, well-formed strings. */
const jsonValue: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (d === 0 ? 0 : d)),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const id = fc.integer({ min: 0, max: 2 ** 31 });
const attr = fc.integer({ min: 0, max: 40 });
const index = fc.integer({ min: 0, max: 10_000 });
const key = fc.string({ maxLength: 12 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k));

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(id, attr, jsonValue).map(([i, a, v]): Op => [OP.set, i, a, v]),
  fc.tuple(id, attr, fc.double({ noNaN: true, noDefaultInfinity: true })).map(([i, a, v]): Op => [OP.add, i, a, v === 0 ? 0 : v]),
  fc.tuple(id, attr, key, jsonValue).map(([i, a, k, v]): Op => [OP.put, i, a, k, v]),
  fc.tuple(id, attr, key).map(([i, a, k]): Op => [OP.delete, i, a, k]),
  fc.tuple(id, attr, index, fc.array(jsonValue, { minLength: 1, maxLength: 5 })).map(([i, a, at, items]): Op => [OP.insert, i, a, at, items]),
  fc.tuple(id, attr, index, fc.integer({ min: 1, max: 50 })).map(([i, a, at, n]): Op => [OP.remove, i, a, at, n]),
  fc.tuple(id, attr, index, index).map(([i, a, from, to]): Op => [OP.listMove, i, a, from, to]),
  fc.tuple(id, attr, index, jsonValue).map(([i, a, at, v]): Op => [OP.replace, i, a, at, v]),
  fc.tuple(id, fc.integer({ min: 0, max: 300 }), id, index, fc.dictionary(key, jsonValue, { maxKeys: 5 })).map(([i, type, parent, at, values]): Op => [OP.create, i, type, parent, at, values]),
  id.map((i): Op => [OP.destroy, i]),
  fc.tuple(id, id, index).map(([i, parent, at]): Op => [OP.move, i, parent, at]),
);

const origins = fc.array(fc.tuple(fc.integer({ min: 1, max: 100 }), fc.string({ minLength: 1, maxLength: 40 })), { minLength: 1, maxLength: 4 });

const batchArgs: fc.Arbitrary<AnyBatchArgs> = fc.oneof(
  fc.tuple(fc.nat(1000), fc.nat(2 ** 40), fc.array(op, { minLength: 1, maxLength: 30 })).map(([ref, first, ops]): AnyBatchArgs => [ref, first, ops]),
  fc.tuple(fc.nat(1000), fc.nat(2 ** 40), fc.array(op, { minLength: 1, maxLength: 30 }), origins).map(([ref, first, ops, o]): AnyBatchArgs => [ref, first, ops, o]),
  fc
    .tuple(fc.nat(1000), fc.nat(2 ** 40), fc.array(op, { maxLength: 30 }), fc.option(origins, { nil: null }), fc.nat(100))
    .map(([ref, first, ops, o, extra]): AnyBatchArgs => [ref, first, ops, o, first + extra]),
);

/** What the JSON form would deliver: the codec must give the same arguments. */
const viaJson = (args: AnyBatchArgs): unknown => JSON.parse(JSON.stringify(args));

describe('binary batches', () => {
  it('decode to exactly the arguments of the JSON form, for every op and value', () => {
    fc.assert(
      fc.property(batchArgs, (args) => {
        expect(decodeBatch(encodeBatch(args))).toEqual(viaJson(args));
      }),
      propertyParams(),
    );
  });

  it('keep every float bit for bit, including ones that XOR to nothing', () => {
    const values = [0.1, 0.1, 1763882228123.4568, 1763882228124.8909, -5.5e-300, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 2 ** 31, -(2 ** 31)];
    const ops: Op[] = values.map((v, i) => [OP.set, i, 0, v]);
    const decoded = decodeBatch(encodeBatch([1, 1, ops])) as [number, number, Op[]];
    expect(decoded[2].map((o) => o[3])).toEqual(values);
    expect(Object.is((decodeBatch(encodeBatch([1, 1, [[OP.set, 1, 0, -0]]])) as [number, number, Op[]])[2][0]?.[3], 0)).toBe(true);
  });

  it('cost about 5 bytes for a set of a moving timestamp on the next object', () => {
    const t0 = 1763882228123.4568;
    const ops: Op[] = Array.from({ length: 50 }, (_, k) => [OP.set, 100 + k, 1, t0 + k * 1.013]);
    const bytes = encodeBatch([1, 123_456, ops]);
    const json = JSON.stringify([1, 123_456, ops]).length;
    // Per op: code and attribute 1 byte, id delta 1, float tag 1, and 2 or 3 XOR bytes.
    expect(bytes.length / ops.length).toBeLessThan(6.5);
    expect(bytes.length).toBeLessThan(json / 4);
  });

  it('write attribute indices of 15 and more after the id', () => {
    const ops: Op[] = [[OP.set, 3, 14, 1], [OP.set, 3, 15, 2], [OP.set, 3, 1_000, 3]];
    expect(decodeBatch(encodeBatch([1, 1, ops]))).toEqual([1, 1, ops]);
  });

  it('encode each batch on its own, after one that failed half-way or one larger than the reused buffer keeps', () => {
    const floats: Op[] = [[OP.set, 1, 0, 0.5], [OP.set, 2, 0, 0.75]];
    const expected = encodeBatch([1, 1, floats]);
    // A value that is not JSON fails after the first op (and its float) was written.
    expect(() => encodeBatch([1, 1, [[OP.set, 1, 0, 0.25], [OP.set, 2, 0, (() => 1) as unknown as Json]]])).toThrow(SyncError);
    expect(encodeBatch([1, 1, floats])).toEqual(expected);
    const big: Op[] = [[OP.set, 1, 0, 'x'.repeat(100_000)]];
    const bigBytes = encodeBatch([1, 1, big]);
    expect(decodeBatch(bigBytes)).toEqual([1, 1, big]);
    expect(encodeBatch([1, 1, floats])).toEqual(expected);
    // Each result is its own copy: a later batch written over the reused buffer leaves it as it was.
    const kept = encodeBatch([1, 1, floats]);
    const keptCopy = Uint8Array.from(kept);
    const other = encodeBatch([9, 500, [[OP.put, 7, 3, 'k', 'a longer value than the kept batch holds'], [OP.destroy, 8]]]);
    expect(other).not.toEqual(keptCopy);
    expect(kept).toEqual(keptCopy);
    expect(decodeBatch(kept)).toEqual([1, 1, floats]);
    encodeBatch([1, 1, big]);
    expect(kept).toEqual(keptCopy);
    expect(decodeBatch(bigBytes)).toEqual([1, 1, big]);
  });

  it('encode a batch that is asked for during another one (a getter in a value) without spoiling either', () => {
    const inner: Op[] = [[OP.set, 2, 0, 0.75], [OP.delete, 3, 1, 'gone']];
    let innerBytes: Uint8Array | undefined;
    const value = {
      get v(): Json {
        innerBytes = encodeBatch([5, 6, inner]);
        return 'outer';
      },
    };
    const outer: Op[] = [[OP.set, 1, 0, 0.25], [OP.put, 1, 1, 'k', value], [OP.set, 4, 0, 'after']];
    const outerBytes = encodeBatch([1, 1, outer]);
    expect(decodeBatch(outerBytes)).toEqual([1, 1, [outer[0], [OP.put, 1, 1, 'k', { v: 'outer' }], outer[2]]]);
    expect(innerBytes && decodeBatch(innerBytes)).toEqual([5, 6, inner]);
    // And the shared writer is free again afterwards.
    expect(decodeBatch(encodeBatch([5, 6, inner]))).toEqual([5, 6, inner]);
  });
});

describe('binary batches from a hostile or broken server', () => {
  const good = encodeBatch([
    7,
    99,
    [
      [OP.create, 10, 2, 0, 0, { title: 'ünï', n: 1.5, tags: ['a', 'b'] }],
      [OP.put, 10, 3, 'k', { deep: [1, 2] }],
      [OP.insert, 10, 4, 0, ['x', 'y']],
    ],
    [[3, 'client-1']],
  ]);

  it('refuse every truncation with BAD_MESSAGE', () => {
    for (let n = 0; n < good.length; n++) expectSyncError(() => decodeBatch(good.slice(0, n)), ErrorCode.BAD_MESSAGE);
  });

  it('refuse trailing bytes, an unknown version, unknown flags, op codes and tags', () => {
    expectSyncError(() => decodeBatch(Uint8Array.of(...good, 0)), ErrorCode.BAD_MESSAGE);
    expectSyncError(() => decodeBatch(Uint8Array.of(BINARY_BATCH_VERSION + 1, ...good.slice(1))), ErrorCode.BAD_MESSAGE);
    // version, ref 1, firstSeq 1, flags 0x80
    expectSyncError(() => decodeBatch(Uint8Array.of(BINARY_BATCH_VERSION, 1, 1, 0x80, 0)), ErrorCode.BAD_MESSAGE);
    // one op with code 12
    expectSyncError(() => decodeBatch(Uint8Array.of(BINARY_BATCH_VERSION, 1, 1, 0, 1, 12, 0)), ErrorCode.BAD_MESSAGE);
    // a set whose value tag is 0x30
    expectSyncError(() => decodeBatch(Uint8Array.of(BINARY_BATCH_VERSION, 1, 1, 0, 1, 0x10, 2, 0x30)), ErrorCode.BAD_MESSAGE);
  });

  it('refuse counts past the end without allocating them', () => {
    // 2^49 ops announced in a 12-byte message
    expectSyncError(() => decodeBatch(Uint8Array.of(BINARY_BATCH_VERSION, 1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), ErrorCode.BAD_MESSAGE);
    // a varint longer than a safe integer
    expectSyncError(() => decodeBatch(Uint8Array.of(BINARY_BATCH_VERSION, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)), ErrorCode.BAD_MESSAGE);
  });

  it('refuse forbidden keys, non-finite floats, bad UTF-8 and nesting past the JSON depth', () => {
    const put = (keyBytes: number[]): Uint8Array => Uint8Array.of(BINARY_BATCH_VERSION, 1, 1, 0, 1, 0x12, 2, keyBytes.length, ...keyBytes, 0);
    expectSyncError(() => decodeBatch(put(Array.from(new TextEncoder().encode('__proto__')))), ErrorCode.BAD_MESSAGE);
    expectSyncError(() => decodeBatch(put([0xc3, 0x28])), ErrorCode.BAD_MESSAGE);
    // a set to +Infinity: float tag with 8 bytes 0x7ff0000000000000 little-endian
    expectSyncError(() => decodeBatch(Uint8Array.of(BINARY_BATCH_VERSION, 1, 1, 0, 1, 0x10, 2, 0x18, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f)), ErrorCode.BAD_MESSAGE);
    const deep = Uint8Array.of(BINARY_BATCH_VERSION, 1, 1, 0, 1, 0x10, 2, ...Array.from({ length: 70 }, () => [4, 1]).flat(), 0);
    expectSyncError(() => decodeBatch(deep), ErrorCode.BAD_MESSAGE);
  });

  it('never throw anything but a SyncError on random bytes or random corruptions', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, b]) => Uint8Array.from(good, (x, i) => (i === at ? b : x)))), (bytes) => {
        try {
          decodeBatch(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(SyncError);
          expect((error as SyncError).code).toBe(ErrorCode.BAD_MESSAGE);
        }
      }),
      propertyParams(2_000),
    );
  });
});
