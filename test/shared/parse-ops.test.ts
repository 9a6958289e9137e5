import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.js';
import { OP } from '../../shared/ops.js';
import { parseClientMessage } from '../../shared/parse.js';
import type { Limits } from '../../shared/protocol.js';
import { MAX_JSON_DEPTH } from '../../shared/values.js';
import { expectErrorResult } from './support.js';
import { L, propose, parseOne, parsed, nestedArrays, nestedObjects, OP_ROWS, INTEGER_AT, NUMBER_AT } from './parse-support.js';

describe('parseClientMessage()', () => {
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
});
