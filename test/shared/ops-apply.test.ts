import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json, JsonObject } from '../../shared/json.js';
import { OP, applyTopicOp, checkTopicOp, invertTopicOp, type TopicOp } from '../../shared/ops.js';
import { isSafeKey, t, type AttrSpec } from '../../shared/schema.js';
import { propertyParams } from './support.js';
import { clone } from './ops-support.js';

describe('applyTopicOp()', () => {
  it('sets a scalar', () => {
    expect(applyTopicOp('a', [OP.set, 1, 0, 'b'])).toBe('b');
  });

  it('sets a container', () => {
    expect(applyTopicOp([1], [OP.set, 1, 0, [2, 3]])).toEqual([2, 3]);
  });

  it('adds to a number', () => {
    expect(applyTopicOp(5, [OP.add, 1, 0, -7])).toBe(-2);
  });

  it.each<[string, JsonObject, string, Json, JsonObject]>([
    ['a new key', { a: 1 }, 'b', 2, { a: 1, b: 2 }],
    ['an existing key', { a: 1 }, 'a', 3, { a: 3 }],
  ])('puts %s in place', (_, before, key, value, after) => {
    const current = clone(before);
    expect(applyTopicOp(current, [OP.put, 1, 0, key, value])).toBe(current);
    expect(current).toEqual(after);
  });

  it('deletes a key in place', () => {
    const current = { a: 1, b: 2 };
    expect(applyTopicOp(current, [OP.delete, 1, 0, 'a'])).toBe(current);
    expect(current).toStrictEqual({ b: 2 });
    expect(Object.hasOwn(current, 'a')).toBe(false);
  });

  it.each<[number, Json[], Json[]]>([
    [0, ['x'], ['x', 'a', 'b', 'c']],
    [1, ['x', 'y'], ['a', 'x', 'y', 'b', 'c']],
    [3, ['x'], ['a', 'b', 'c', 'x']],
  ])('inserts at %d in place', (index, items, after) => {
    const current = ['a', 'b', 'c'];
    expect(applyTopicOp(current, [OP.insert, 1, 0, index, items])).toBe(current);
    expect(current).toEqual(after);
  });

  it.each<[number, number, Json[]]>([
    [0, 1, ['b', 'c', 'd']],
    [1, 2, ['a', 'd']],
    [0, 4, []],
    [3, 1, ['a', 'b', 'c']],
  ])('removes from %d, %d items, in place', (index, count, after) => {
    const current = ['a', 'b', 'c', 'd'];
    expect(applyTopicOp(current, [OP.remove, 1, 0, index, count])).toBe(current);
    expect(current).toEqual(after);
  });

  it.each<[number, number, Json[]]>([
    [0, 2, ['b', 'c', 'a', 'd']],
    [0, 3, ['b', 'c', 'd', 'a']],
    [3, 0, ['d', 'a', 'b', 'c']],
    [1, 1, ['a', 'b', 'c', 'd']],
    [2, 1, ['a', 'c', 'b', 'd']],
  ])('moves from %d to %d (counted after removal) in place', (from, to, after) => {
    const current = ['a', 'b', 'c', 'd'];
    expect(applyTopicOp(current, [OP.listMove, 1, 0, from, to])).toBe(current);
    expect(current).toEqual(after);
  });

  it('replaces an item in place', () => {
    const current = ['a', 'b'];
    expect(applyTopicOp(current, [OP.replace, 1, 0, 1, 'z'])).toBe(current);
    expect(current).toEqual(['a', 'z']);
  });

  // A default-limit proposal (1 MB) carries up to ~200,000 null items in one insert.
  it('inserts 199,000 items without overflowing the stack', () => {
    const items = new Array<Json>(199_000).fill(null);
    const s = t.list(t.json());
    const current: Json[] = ['first'];
    const checked = checkTopicOp(s, current, [OP.insert, 1, 0, 1, items], 'items');
    expect(() => applyTopicOp(current, checked)).not.toThrow();
    expect(current).toHaveLength(199_001);
  });
});

describe('invertTopicOp()', () => {
  it.each<[string, unknown, TopicOp, TopicOp]>([
    ['set', 'a', [OP.set, 1, 2, 'b'], [OP.set, 1, 2, 'a']],
    ['put of a new key', { a: 1 }, [OP.put, 1, 2, 'b', 2], [OP.delete, 1, 2, 'b']],
    ['put of an existing key', { a: 1 }, [OP.put, 1, 2, 'a', 2], [OP.put, 1, 2, 'a', 1]],
    ['put of an inherited name', { a: 1 }, [OP.put, 1, 2, 'toString', 2], [OP.delete, 1, 2, 'toString']],
    ['delete', { a: 1 }, [OP.delete, 1, 2, 'a'], [OP.put, 1, 2, 'a', 1]],
    ['insert', ['a'], [OP.insert, 1, 2, 1, ['b', 'c']], [OP.remove, 1, 2, 1, 2]],
    ['remove', ['a', 'b', 'c'], [OP.remove, 1, 2, 1, 2], [OP.insert, 1, 2, 1, ['b', 'c']]],
    ['listMove', ['a', 'b', 'c'], [OP.listMove, 1, 2, 0, 2], [OP.listMove, 1, 2, 2, 0]],
    ['replace', ['a', 'b'], [OP.replace, 1, 2, 1, 'z'], [OP.replace, 1, 2, 1, 'b']],
  ])('inverts %s', (_, current, op, inverse) => {
    expect(invertTopicOp(current, op)).toEqual(inverse);
  });

  // A rejected transaction that removed a long list rolls back with this insert; if it throws, the
  // rollback stops half-way and the server keeps changes no scribe describes.
  it('gives a remove of 199,000 items an inverse that applies without overflowing the stack', () => {
    const s = t.list(t.json());
    const current = new Array<Json>(199_000).fill(null);
    const checked = checkTopicOp(s, current, [OP.remove, 1, 0, 0, 199_000], 'items');
    const inverse = invertTopicOp(current, checked);
    const after = applyTopicOp(current, checked);
    expect(() => applyTopicOp(after, inverse)).not.toThrow();
    expect(after).toHaveLength(199_000);
  });

  // The server rolls a rejected transaction back with these inverses; x + d - d is not x in floating point.
  it.each([
    [5, 3],
    [-2, 0.5],
    [0.1, 0.2],
    [1, 2 ** 53],
  ])('undoes add exactly on %d + %d', (current, delta) => {
    const s = t.number();
    const checked = checkTopicOp(s, current, [OP.add, 1, 0, delta], 'n');
    const inverse = invertTopicOp(current, checked);
    expect(applyTopicOp(applyTopicOp(current, checked), inverse)).toBe(current);
  });
});

/** Random numbers from which a valid op is built for whatever the current state is. */
interface OpSeed {
  readonly pick: number;
  readonly a: number;
  readonly b: number;
  readonly key: string;
  readonly item: Json;
  readonly items: readonly Json[];
  readonly num: number;
}

const element: fc.Arbitrary<Json> = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }));
const safeKey = fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.string({ maxLength: 4 })).filter(isSafeKey);
const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 });
const opSeed: fc.Arbitrary<OpSeed> = fc.record({
  pick: fc.nat(),
  a: fc.nat(),
  b: fc.nat(),
  key: safeKey,
  item: element,
  items: fc.array(element, { minLength: 1, maxLength: 4 }),
  num: finite,
});

interface Scenario {
  readonly spec: AttrSpec;
  readonly state: fc.Arbitrary<Json>;
  readonly build: (state: Json, seed: OpSeed) => TopicOp;
}

const SCENARIOS: Record<'list' | 'dict' | 'number', Scenario> = {
  list: {
    spec: t.list(t.json()),
    state: fc.array(element, { maxLength: 8 }),
    build: (state, s) => {
      const n = (state as Json[]).length;
      const names = n === 0 ? ['set', 'insert'] : ['set', 'insert', 'remove', 'listMove', 'replace'];
      switch (names[s.pick % names.length]) {
        case 'set':
          return [OP.set, 1, 0, s.items.slice(s.a % 2)];
        case 'insert':
          return [OP.insert, 1, 0, (s.a % (n + 2)) - 1, s.items];
        case 'remove': {
          const i = s.a % n;
          return [OP.remove, 1, 0, i, 1 + (s.b % (n - i))];
        }
        case 'listMove':
          return [OP.listMove, 1, 0, s.a % n, s.b % n];
        default:
          return [OP.replace, 1, 0, s.a % n, s.item];
      }
    },
  },
  dict: {
    spec: t.dict(t.json()),
    state: fc.dictionary(safeKey, element, { maxKeys: 6, noNullPrototype: true }),
    build: (state, s) => {
      const keys = Object.keys(state as JsonObject);
      const names = keys.length === 0 ? ['set', 'put'] : ['set', 'put', 'put existing', 'delete'];
      switch (names[s.pick % names.length]) {
        case 'set':
          return [OP.set, 1, 0, { [s.key]: s.item }];
        case 'put':
          return [OP.put, 1, 0, s.key, s.item];
        case 'put existing':
          return [OP.put, 1, 0, keys[s.a % keys.length] as string, s.item];
        default:
          return [OP.delete, 1, 0, keys[s.a % keys.length] as string];
      }
    },
  },
  number: {
    spec: t.number(),
    state: finite,
    build: (state, s) => (s.pick % 2 === 0 ? [OP.set, 1, 0, s.num] : [OP.add, 1, 0, s.num]),
  },
};

/** Checks and applies one op, returning the new state and the op's inverse (computed on the pre-state). */
function step(scenario: Scenario, state: Json, seed: OpSeed): { next: Json; inverse: TopicOp } {
  const checked = checkTopicOp(scenario.spec, state, scenario.build(state, seed), 'attr');
  const inverse = invertTopicOp(state, checked);
  const next = applyTopicOp(state, checked) as Json;
  // The inverse must itself be a valid op on the new state, as a rollback applies it there.
  checkTopicOp(scenario.spec, next, inverse, 'attr');
  return { next, inverse };
}

describe.each(Object.entries(SCENARIOS))('invertTopicOp() on a random %s', (_, scenario) => {
  it('restores the state after an op and its inverse', () => {
    fc.assert(
      fc.property(scenario.state, opSeed, (initial, seed) => {
        const before = clone(initial);
        const { next, inverse } = step(scenario, initial, seed);
        expect(applyTopicOp(next, inverse)).toStrictEqual(before);
      }),
      propertyParams(),
    );
  });

  it('restores the state after several ops and their inverses in reverse order', () => {
    fc.assert(
      fc.property(scenario.state, fc.array(opSeed, { minLength: 1, maxLength: 6 }), (initial, seeds) => {
        const before = clone(initial);
        let state = initial;
        const inverses: TopicOp[] = [];
        for (const seed of seeds) {
          const { next, inverse } = step(scenario, state, seed);
          state = next;
          inverses.push(inverse);
        }
        for (const inverse of inverses.reverse()) state = applyTopicOp(state, inverse) as Json;
        expect(state).toStrictEqual(before);
      }),
      propertyParams(),
    );
  });
});
