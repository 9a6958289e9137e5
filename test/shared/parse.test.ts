import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../shared/errors.js';
import { OP } from '../../shared/ops.js';
import { parseClientMessage, parseOp } from '../../shared/parse.js';
import type { Limits } from '../../shared/protocol.js';
import { expectErrorResult, thrown } from './support.js';
import { L, propose, parseOne, parsed, VALID_OPS, OP_ROWS } from './parse-support.js';

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
