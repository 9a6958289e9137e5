import { describe, expect, expectTypeOf, it } from 'vitest';
import { ErrorCode, SyncError, assert, fail, isErrorCode, unreachable, type WireError } from '../../shared/errors.js';
import { expectSyncError } from './support.js';

const CODES = Object.values(ErrorCode);

describe('ErrorCode', () => {
  it('maps every name to itself', () => {
    for (const [name, code] of Object.entries(ErrorCode)) expect(code).toBe(name);
  });

  it('holds the codes the protocol documents', () => {
    expect(CODES.sort()).toEqual(
      [
        'BAD_INDEX', 'BAD_KEY', 'BAD_MESSAGE', 'BAD_PARENT', 'BAD_VALUE', 'CLOSED', 'CONNECTION_LOST', 'FORBIDDEN', 'INVALID', 'SUPERSEDED', 'OUTCOME_UNKNOWN',
        'INTERNAL', 'NOT_JOINED', 'PROTOCOL_VERSION', 'TOO_LARGE', 'UNKNOWN_ATTRIBUTE', 'UNKNOWN_MESSAGE',
        'UNKNOWN_OBJECT', 'UNKNOWN_TREE', 'UNKNOWN_TYPE', 'WRONG_KIND', 'UNAUTHENTICATED', 'RATE_LIMITED', 'TREE_FULL', 'SLOW_CLIENT',
      ].sort(),
    );
  });
});

describe('isErrorCode()', () => {
  it.each(CODES)('accepts %s', (code) => {
    expect(isErrorCode(code)).toBe(true);
  });

  it.each([['bad_value'], [''], ['toString'], ['__proto__'], ['constructor'], [1], [null], [undefined], [{}], [['BAD_VALUE']]])(
    'rejects %j',
    (value) => {
      expect(isErrorCode(value)).toBe(false);
    },
  );
});

describe('SyncError', () => {
  it('is an Error with a name, a code, a message and a ref', () => {
    const e = new SyncError(ErrorCode.BAD_VALUE, 'nope', { ref: 'title' });
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(SyncError);
    expect(e.name).toBe('SyncError');
    expect(e.code).toBe('BAD_VALUE');
    expect(e.message).toBe('nope');
    expect(e.ref).toBe('title');
    expect(e.stack).toContain('nope');
  });

  it('keeps the cause', () => {
    const cause = new RangeError('deep');
    expect(new SyncError(ErrorCode.INTERNAL, 'x', { cause }).cause).toBe(cause);
  });

  it('has no cause property without a cause', () => {
    expect('cause' in new SyncError(ErrorCode.INTERNAL, 'x')).toBe(false);
    expect('cause' in new SyncError(ErrorCode.INTERNAL, 'x', { ref: 1 })).toBe(false);
  });

  it('has an undefined ref without a ref', () => {
    expect(new SyncError(ErrorCode.CLOSED, 'closed').ref).toBeUndefined();
  });
});

describe('SyncError.toWire()', () => {
  it('omits ref when there is none', () => {
    const wire = new SyncError(ErrorCode.CLOSED, 'closed').toWire();
    expect(wire).toStrictEqual({ code: 'CLOSED', message: 'closed' });
    expect(Object.keys(wire)).toEqual(['code', 'message']);
  });

  it.each([['title'], [''], [0], [-3]])('keeps the falsy-or-not ref %j', (ref) => {
    expect(new SyncError(ErrorCode.BAD_KEY, 'k', { ref }).toWire()).toStrictEqual({ code: 'BAD_KEY', message: 'k', ref });
  });

  it('leaves out the cause and the stack', () => {
    const wire = new SyncError(ErrorCode.INTERNAL, 'x', { ref: 1, cause: new Error('secret') }).toWire();
    expect(JSON.stringify(wire)).not.toContain('secret');
    expect(wire).not.toHaveProperty('stack');
  });
});

describe('SyncError.fromWire()', () => {
  it.each(CODES.flatMap((code): WireError[] => [{ code, message: `m ${code}` }, { code, message: '', ref: 'attr' }, { code, message: 'n', ref: 7 }]))(
    'round-trips %j through JSON',
    (wire) => {
      const back = SyncError.fromWire(JSON.parse(JSON.stringify(wire)) as WireError);
      expect(back).toBeInstanceOf(SyncError);
      expect(back.code).toBe(wire.code);
      expect(back.message).toBe(wire.message);
      expect(back.ref).toBe(wire.ref);
      expect(back.toWire()).toStrictEqual(wire);
    },
  );

  it('round-trips a thrown error', () => {
    const e = new SyncError(ErrorCode.WRONG_KIND, 'add is not an operation of a string attribute', { ref: 'label' });
    expect(SyncError.fromWire(e.toWire()).toWire()).toStrictEqual(e.toWire());
  });
});

describe('assert()', () => {
  it.each([[true], [1], ['x'], [{}], [[]]])('passes for the truthy %j', (cond) => {
    expect(() => assert(cond, 'holds')).not.toThrow();
  });

  it.each([[false], [0], [''], [null], [undefined], [Number.NaN]])('throws INTERNAL for the falsy %j', (cond) => {
    const e = expectSyncError(() => assert(cond, 'the root exists'), ErrorCode.INTERNAL);
    expect(e.message).toContain('the root exists');
  });

  it('narrows its condition', () => {
    const value = 'x' as string | undefined;
    assert(value !== undefined, 'defined');
    expectTypeOf(value).toEqualTypeOf<string>();
  });
});

describe('unreachable()', () => {
  it('throws INTERNAL naming the value', () => {
    const e = expectSyncError(() => unreachable('surprise' as never), ErrorCode.INTERNAL);
    expect(e.message).toContain('"surprise"');
  });

  // A value that reaches unreachable() came from somewhere untyped, so it may be anything.
  it.each<[string, () => unknown]>([
    ['a BigInt', () => 1n],
    ['a cyclic object', () => {
      const o: Record<string, unknown> = {};
      o['self'] = o;
      return o;
    }],
    ['undefined', () => undefined],
  ])('throws INTERNAL for %s that JSON cannot show', (_, make) => {
    expectSyncError(() => unreachable(make() as never), ErrorCode.INTERNAL);
  });

  it('accepts only never at compile time', () => {
    const check = (kind: 'a' | 'b'): string => {
      switch (kind) {
        case 'a':
          return 'A';
        default:
          // @ts-expect-error 'b' is not handled, so kind is not never here
          return unreachable(kind);
      }
    };
    expect(check('a')).toBe('A');
    expectSyncError(() => check('b'), ErrorCode.INTERNAL);
  });
});

describe('fail()', () => {
  it('throws a SyncError with the code, message and ref', () => {
    const e = expectSyncError(() => fail(ErrorCode.BAD_INDEX, 'index 9 outside 0..2', 'items'), ErrorCode.BAD_INDEX, 'items');
    expect(e.message).toBe('index 9 outside 0..2');
  });

  it('leaves ref undefined when none is given', () => {
    expect(expectSyncError(() => fail(ErrorCode.FORBIDDEN, 'no'), ErrorCode.FORBIDDEN).ref).toBeUndefined();
  });

  it('returns never', () => {
    expectTypeOf(fail).returns.toBeNever();
  });
});
