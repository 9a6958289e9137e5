import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../shared/errors.js';
import type { Json } from '../../shared/json.js';
import { OP, type Op } from '../../shared/ops.js';
import type { AttrsOf, ServerObject } from '../../server/types.js';
import {
  A,
  Bag,
  Folder,
  ITEM_DEFAULTS,
  Item,
  Stranger,
  TI,
  expectSyncError,
  frozenSnapshot,
  newTree,
  propertyParams,
  rawOp,
  recordCommits,
  thrown,
  type Commit,
} from './support.js';

/**
 * root(0) ─ folder(1) ─ item(2) ─ child(3)
 *         └ other(4)
 * seq is 4; commits are recorded from here on.
 */
function fixture() {
  const tree = newTree();
  const folder = tree.root.create(Folder, { name: 'a' });
  const item = folder.create(Item, { title: 'x', count: 5, tags: { k: 'v' }, list: [1, 2, 3] });
  const child = item.create(Folder, { name: 'c' });
  const other = tree.root.create(Folder, { name: 'b' });
  const commits = recordCommits(tree);
  return { tree, folder, item, child, other, commits };
}

type Fixture = ReturnType<typeof fixture>;

/** Asserts that exactly one op committed, as one event with the next seq. */
function expectOneScribe(f: Fixture, op: Op, origin = 'server'): void {
  expect(f.tree.seq).toBe(5);
  expect(f.commits).toEqual([{ firstSeq: 5, ops: [op], origin }]);
}

describe('Tree.apply()', () => {
  describe('set', () => {
    it.each([
      ['string', A.title, 'new title'],
      ['number', A.count, -7.25],
      ['boolean', A.done, true],
      ['json', A.data, { a: [1, { b: null }], s: 'x' }],
      ['dict', A.tags, { x: 'y', z: '' }],
      ['list', A.list, [9, 8, 7]],
    ] as const)('sets a %s attribute', (_kind, attr, value) => {
      const f = fixture();
      const op: Op = [OP.set, 2, attr, value];
      expect(f.tree.apply(op)).toBe(2);
      expect(f.tree.node(2).values[attr]).toEqual(value);
      expectOneScribe(f, op);
    });

    it('sets through the typed handle', () => {
      const f = fixture();
      f.item.attrs.title.set('handle');
      expect(f.item.get('title')).toBe('handle');
      expect(f.item.attrs.title.value).toBe('handle');
      expectOneScribe(f, [OP.set, 2, A.title, 'handle']);
    });

    it('records the origin it is given', () => {
      const f = fixture();
      f.tree.apply([OP.set, 2, A.done, true], 'alice');
      expectOneScribe(f, [OP.set, 2, A.done, true], 'alice');
    });

    it('sets an attribute of the root', () => {
      const f = fixture();
      f.tree.root.attrs.title.set('renamed');
      expect(f.tree.root.get('title')).toBe('renamed');
      expectOneScribe(f, [OP.set, 0, 0, 'renamed']);
    });
  });

  it('adds to a number', () => {
    const f = fixture();
    f.item.attrs.count.add(2.5);
    expect(f.item.get('count')).toBe(7.5);
    expectOneScribe(f, [OP.add, 2, A.count, 2.5]);
  });

  it('adds a negative delta', () => {
    const f = fixture();
    f.tree.apply([OP.add, 2, A.count, -10]);
    expect(f.item.get('count')).toBe(-5);
    expectOneScribe(f, [OP.add, 2, A.count, -10]);
  });

  it('puts a new dict key', () => {
    const f = fixture();
    f.item.attrs.tags.put('n', 'm');
    expect(f.item.get('tags')).toEqual({ k: 'v', n: 'm' });
    expect(f.item.attrs.tags.get('n')).toBe('m');
    expectOneScribe(f, [OP.put, 2, A.tags, 'n', 'm']);
  });

  it('puts over an existing dict key', () => {
    const f = fixture();
    f.item.attrs.tags.put('k', 'w');
    expect(f.item.get('tags')).toEqual({ k: 'w' });
    expectOneScribe(f, [OP.put, 2, A.tags, 'k', 'w']);
  });

  it('deletes a dict key', () => {
    const f = fixture();
    f.item.attrs.tags.delete('k');
    expect(f.item.get('tags')).toEqual({});
    expect(f.item.attrs.tags.get('k')).toBeUndefined();
    expectOneScribe(f, [OP.delete, 2, A.tags, 'k']);
  });

  describe('insert', () => {
    it.each([
      [0, [9, 1, 2, 3]],
      [1, [1, 9, 2, 3]],
      [3, [1, 2, 3, 9]],
    ])('inserts at %i', (index, after) => {
      const f = fixture();
      f.item.attrs.list.insert(index, 9);
      expect(f.item.get('list')).toEqual(after);
      expectOneScribe(f, [OP.insert, 2, A.list, index, [9]]);
    });

    it('inserts several items', () => {
      const f = fixture();
      f.item.attrs.list.insert(1, 7, 8);
      expect(f.item.get('list')).toEqual([1, 7, 8, 2, 3]);
      expectOneScribe(f, [OP.insert, 2, A.list, 1, [7, 8]]);
    });

    it('appends at -1 and records the resolved index', () => {
      const f = fixture();
      f.tree.apply([OP.insert, 2, A.list, -1, [4, 5]]);
      expect(f.item.get('list')).toEqual([1, 2, 3, 4, 5]);
      expectOneScribe(f, [OP.insert, 2, A.list, 3, [4, 5]]);
    });

    it('appends with push', () => {
      const f = fixture();
      f.item.attrs.list.push(4);
      expect(f.item.get('list')).toEqual([1, 2, 3, 4]);
      expectOneScribe(f, [OP.insert, 2, A.list, 3, [4]]);
    });

    it('inserts 199,000 items in one op (a proposal of that size fits in the 1 MB message limit)', () => {
      const f = fixture();
      const items = new Array<number>(199_000).fill(0);
      f.tree.apply([OP.insert, 2, A.list, 0, items]);
      expect(f.item.get('list')).toHaveLength(199_003);
      expect(f.tree.seq).toBe(5);
    });
  });

  it('removes one item by default', () => {
    const f = fixture();
    f.item.attrs.list.remove(1);
    expect(f.item.get('list')).toEqual([1, 3]);
    expectOneScribe(f, [OP.remove, 2, A.list, 1, 1]);
  });

  it('removes a run of items', () => {
    const f = fixture();
    f.item.attrs.list.remove(0, 2);
    expect(f.item.get('list')).toEqual([3]);
    expectOneScribe(f, [OP.remove, 2, A.list, 0, 2]);
  });

  it.each([
    [0, 2, [2, 3, 1]],
    [2, 0, [3, 1, 2]],
    [1, 1, [1, 2, 3]],
  ])('moves a list item from %i to %i', (from, to, after) => {
    const f = fixture();
    f.item.attrs.list.move(from, to);
    expect(f.item.get('list')).toEqual(after);
    expectOneScribe(f, [OP.listMove, 2, A.list, from, to]);
  });

  it('replaces a list item', () => {
    const f = fixture();
    f.item.attrs.list.replace(1, 42);
    expect(f.item.get('list')).toEqual([1, 42, 3]);
    expectOneScribe(f, [OP.replace, 2, A.list, 1, 42]);
  });

  describe('create', () => {
    it('appends by default (index -1) and records every default value', () => {
      const f = fixture();
      const made = f.tree.root.create(Item);
      expect(made.id).toBe(5);
      expect(made.alive).toBe(true);
      expect(made.parent?.id).toBe(0);
      expect(f.tree.root.children.map((c) => c.id)).toEqual([1, 4, 5]);
      expect(f.tree.node(5).values).toEqual(Object.values(ITEM_DEFAULTS));
      expect(f.tree.size).toBe(6);
      expectOneScribe(f, [OP.create, 5, TI.Item, 0, 2, ITEM_DEFAULTS]);
    });

    it('creates at an explicit index', () => {
      const f = fixture();
      f.tree.root.create(Folder, { name: 'first' }, 0);
      expect(f.tree.root.children.map((c) => c.id)).toEqual([5, 1, 4]);
      expectOneScribe(f, [OP.create, 5, TI.Folder, 0, 0, { name: 'first' }]);
    });

    it('creates in the middle of the children', () => {
      const f = fixture();
      f.tree.root.create(Folder, {}, 1);
      expect(f.tree.root.children.map((c) => c.id)).toEqual([1, 5, 4]);
      expectOneScribe(f, [OP.create, 5, TI.Folder, 0, 1, { name: '' }]);
    });

    it('fills the attributes not given from the defaults', () => {
      const f = fixture();
      const made = f.other.create(Item, { title: 'given', list: [4], tags: { a: 'b' } });
      expect(made.get('title')).toBe('given');
      expect(made.get('count')).toBe(0);
      expect(made.get('list')).toEqual([4]);
      expectOneScribe(f, [OP.create, 5, TI.Item, 4, 0, { ...ITEM_DEFAULTS, title: 'given', list: [4], tags: { a: 'b' } }]);
    });

    it('creates from a raw op, ignores the op id and returns the new id', () => {
      const f = fixture();
      expect(f.tree.apply([OP.create, -1, TI.Item, 1, -1, { count: 3 }], 'bob')).toBe(5);
      expect(f.folder.children.map((c) => c.id)).toEqual([2, 5]);
      expectOneScribe(f, [OP.create, 5, TI.Item, 1, 1, { ...ITEM_DEFAULTS, count: 3 }], 'bob');
    });

    it('never reuses an id', () => {
      const f = fixture();
      f.other.destroy();
      expect(f.tree.root.create(Folder).id).toBe(5);
    });
  });

  it('destroys an object and its whole subtree', () => {
    const f = fixture();
    f.item.destroy();
    expect(f.folder.children).toEqual([]);
    expect(f.tree.get(2)).toBeUndefined();
    expect(f.tree.get(3)).toBeUndefined();
    expect(f.tree.find(3)).toBeUndefined();
    expect(f.item.alive).toBe(false);
    expect(f.child.alive).toBe(false);
    expect(f.tree.size).toBe(3);
    expect(f.tree.snapshot().map((o) => o[0])).toEqual([0, 1, 4]);
    expectOneScribe(f, [OP.destroy, 2]);
  });

  describe('move', () => {
    it('moves within the same parent to the front', () => {
      const f = fixture();
      f.other.move(f.tree.root, 0);
      expect(f.tree.root.children.map((c) => c.id)).toEqual([4, 1]);
      expectOneScribe(f, [OP.move, 4, 0, 0]);
    });

    it('moves within the same parent to the end (-1), counting after removal', () => {
      const f = fixture();
      f.folder.move(f.tree.root);
      expect(f.tree.root.children.map((c) => c.id)).toEqual([4, 1]);
      expectOneScribe(f, [OP.move, 1, 0, 1]);
    });

    it('moves to another parent with its subtree', () => {
      const f = fixture();
      f.item.move(f.other, 0);
      expect(f.folder.children).toEqual([]);
      expect(f.other.children.map((c) => c.id)).toEqual([2]);
      expect(f.item.parent?.id).toBe(4);
      expect(f.child.parent?.id).toBe(2);
      expect(f.tree.snapshot().map((o) => [o[0], o[2]])).toEqual([
        [0, -1],
        [1, 0],
        [4, 0],
        [2, 4],
        [3, 2],
      ]);
      expectOneScribe(f, [OP.move, 2, 4, 0]);
    });

    it('moves to another parent by id, at the end', () => {
      const f = fixture();
      f.child.move(0);
      expect(f.tree.root.children.map((c) => c.id)).toEqual([1, 4, 3]);
      expectOneScribe(f, [OP.move, 3, 0, 2]);
    });
  });

  it('increments seq by one per op and emits one commit per apply', () => {
    const f = fixture();
    f.item.attrs.count.add(1);
    f.item.attrs.title.set('t');
    f.tree.root.create(Folder);
    expect(f.tree.seq).toBe(7);
    expect(f.commits.map((c) => c.firstSeq)).toEqual([5, 6, 7]);
    expect(f.commits.every((c) => c.ops.length === 1)).toBe(true);
  });

  describe('rejections', () => {
    interface Case {
      readonly code: ErrorCode;
      readonly act: (f: Fixture) => unknown;
      readonly ref?: string | number;
      /** Changes the fixture first; the bad op is judged against the state after it. */
      readonly setup?: (f: Fixture) => void;
    }
    const cases: Record<string, Case> = {
      // UNKNOWN_OBJECT
      'set on a missing object': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.set, 99, 0, 'x']) },
      'set on a negative id': { code: ErrorCode.UNKNOWN_OBJECT, ref: -1, act: (f) => f.tree.apply([OP.set, -1, 0, 'x']) },
      'destroy a missing object': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.destroy, 99]) },
      'move a missing object': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.move, 99, 0, 0]) },
      'move under a missing parent': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.move, 4, 99, 0]) },
      'create under a missing parent': { code: ErrorCode.UNKNOWN_OBJECT, ref: 99, act: (f) => f.tree.apply([OP.create, -1, TI.Folder, 99, -1, {}]) },
      'set through the handle of a destroyed object': {
        code: ErrorCode.UNKNOWN_OBJECT,
        ref: 4,
        setup: (f) => f.other.destroy(),
        act: (f) => f.other.attrs.name.set('ghost'),
      },
      'create under a destroyed object': {
        code: ErrorCode.UNKNOWN_OBJECT,
        ref: 4,
        setup: (f) => f.other.destroy(),
        act: (f) => f.other.create(Folder),
      },
      // UNKNOWN_ATTRIBUTE
      'set on attribute 99': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: 99, act: (f) => f.tree.apply([OP.set, 2, 99, 'x']) },
      'set on attribute -1': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: -1, act: (f) => f.tree.apply([OP.set, 2, -1, 'x']) },
      'add on attribute 6': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: 6, act: (f) => f.tree.apply([OP.add, 2, 6, 1]) },
      'create with an undeclared attribute': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: 'nope', act: (f) => f.tree.apply([OP.create, -1, TI.Item, 0, -1, { nope: 1 }]) },
      'get an undeclared attribute': { code: ErrorCode.UNKNOWN_ATTRIBUTE, ref: 'nope', act: (f) => f.item.get('nope' as 'title') },
      // WRONG_KIND
      'add on a string': { code: ErrorCode.WRONG_KIND, ref: 'title', act: (f) => f.tree.apply([OP.add, 2, A.title, 1]) },
      'add on a boolean': { code: ErrorCode.WRONG_KIND, ref: 'done', act: (f) => f.tree.apply([OP.add, 2, A.done, 1]) },
      'put on a list': { code: ErrorCode.WRONG_KIND, ref: 'list', act: (f) => f.tree.apply([OP.put, 2, A.list, 'k', 1]) },
      'delete on a json': { code: ErrorCode.WRONG_KIND, ref: 'data', act: (f) => f.tree.apply([OP.delete, 2, A.data, 'k']) },
      'insert into a dict': { code: ErrorCode.WRONG_KIND, ref: 'tags', act: (f) => f.tree.apply([OP.insert, 2, A.tags, 0, ['a']]) },
      'remove from a number': { code: ErrorCode.WRONG_KIND, ref: 'count', act: (f) => f.tree.apply([OP.remove, 2, A.count, 0, 1]) },
      'listMove on a string': { code: ErrorCode.WRONG_KIND, ref: 'title', act: (f) => f.tree.apply([OP.listMove, 2, A.title, 0, 1]) },
      'replace in a dict': { code: ErrorCode.WRONG_KIND, ref: 'tags', act: (f) => f.tree.apply([OP.replace, 2, A.tags, 0, 'a']) },
      // BAD_VALUE
      'set a string to a number': { code: ErrorCode.BAD_VALUE, ref: 'title', act: (f) => f.tree.apply([OP.set, 2, A.title, 1]) },
      'set a number to a string': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.set, 2, A.count, '1']) },
      'set a number to NaN': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.set, 2, A.count, NaN]) },
      'set a number to Infinity': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.set, 2, A.count, Infinity]) },
      'set a boolean to "true"': { code: ErrorCode.BAD_VALUE, ref: 'done', act: (f) => f.tree.apply([OP.set, 2, A.done, 'true']) },
      'set a json to undefined': { code: ErrorCode.BAD_VALUE, ref: 'data', act: (f) => f.tree.apply(rawOp(OP.set, 2, A.data, undefined)) },
      'set a json to a Date': { code: ErrorCode.BAD_VALUE, ref: 'data', act: (f) => f.tree.apply(rawOp(OP.set, 2, A.data, new Date(0))) },
      'set a json holding a function': { code: ErrorCode.BAD_VALUE, ref: 'data', act: (f) => f.tree.apply(rawOp(OP.set, 2, A.data, { f: () => 1 })) },
      'set a json nested 100 deep': {
        code: ErrorCode.BAD_VALUE,
        ref: 'data',
        act: (f) => {
          let v: Json = 0;
          for (let i = 0; i < 100; i++) v = [v];
          return f.tree.apply([OP.set, 2, A.data, v]);
        },
      },
      'set a dict to an array': { code: ErrorCode.BAD_VALUE, ref: 'tags', act: (f) => f.tree.apply([OP.set, 2, A.tags, ['a']]) },
      'set a dict with a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'tags', act: (f) => f.tree.apply([OP.set, 2, A.tags, { a: 1 }]) },
      'set a list to a dict': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.set, 2, A.list, { 0: 1 }]) },
      'set a list with a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.set, 2, A.list, [1, 'two']]) },
      'add NaN': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.add, 2, A.count, NaN]) },
      'add a string': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply(rawOp(OP.add, 2, A.count, '1')) },
      'add up to Infinity': {
        code: ErrorCode.BAD_VALUE,
        ref: 'count',
        setup: (f) => f.item.attrs.count.set(Number.MAX_VALUE),
        act: (f) => f.tree.apply([OP.add, 2, A.count, Number.MAX_VALUE]),
      },
      'put a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'tags', act: (f) => f.tree.apply([OP.put, 2, A.tags, 'k', 5]) },
      'insert no items': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, 0, []]) },
      'insert items that are not an array': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply(rawOp(OP.insert, 2, A.list, 0, 5)) },
      'insert a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, 0, [1, null]]) },
      'replace with a wrong element': { code: ErrorCode.BAD_VALUE, ref: 'list', act: (f) => f.tree.apply([OP.replace, 2, A.list, 0, 'x']) },
      'create with a wrong initial value': { code: ErrorCode.BAD_VALUE, ref: 'count', act: (f) => f.tree.apply([OP.create, -1, TI.Item, 0, -1, { count: 'x' }]) },
      // BAD_INDEX
      'insert past the end': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, 4, [1]]) },
      'insert at -2': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, -2, [1]]) },
      'insert at 0.5': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, 0.5, [1]]) },
      'insert at NaN': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.insert, 2, A.list, NaN, [1]]) },
      'remove at the length': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, 3, 1]) },
      'remove at -1': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, -1, 1]) },
      'remove 0 items': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, 0, 0]) },
      'remove past the end': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, 1, 3]) },
      'remove a fractional count': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.remove, 2, A.list, 0, 1.5]) },
      'remove from an empty list': {
        code: ErrorCode.BAD_INDEX,
        ref: 'list',
        setup: (f) => f.item.attrs.list.set([]),
        act: (f) => f.item.attrs.list.remove(0),
      },
      'listMove from the length': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.listMove, 2, A.list, 3, 0]) },
      'listMove to the length': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.listMove, 2, A.list, 0, 3]) },
      'listMove to -1': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.listMove, 2, A.list, 0, -1]) },
      'replace at the length': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.replace, 2, A.list, 3, 1]) },
      'replace at -1': { code: ErrorCode.BAD_INDEX, ref: 'list', act: (f) => f.tree.apply([OP.replace, 2, A.list, -1, 1]) },
      'create past the last child': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.tree.root.create(Folder, {}, 3) },
      'create at -2': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.tree.root.create(Folder, {}, -2) },
      'create at 0.5': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.tree.root.create(Folder, {}, 0.5) },
      'create at 2^53': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.tree.root.create(Folder, {}, 2 ** 53) },
      'move within the parent to its length': { code: ErrorCode.BAD_INDEX, ref: 0, act: (f) => f.other.move(f.tree.root, 2) },
      'move to another parent past its end': { code: ErrorCode.BAD_INDEX, ref: 1, act: (f) => f.other.move(f.folder, 2) },
      'move to -2': { code: ErrorCode.BAD_INDEX, ref: 1, act: (f) => f.other.move(f.folder, -2) },
      'move to 1.5': { code: ErrorCode.BAD_INDEX, ref: 1, act: (f) => f.other.move(f.folder, 1.5) },
      // BAD_KEY
      'put __proto__': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.put('__proto__', 'x') },
      'put constructor': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.put('constructor', 'x') },
      'delete prototype': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.delete('prototype') },
      'delete a missing key': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.delete('missing') },
      'delete an inherited key': { code: ErrorCode.BAD_KEY, ref: 'tags', act: (f) => f.item.attrs.tags.delete('toString') },
      'set a dict with a parsed __proto__ key': {
        code: ErrorCode.BAD_KEY,
        ref: 'tags',
        act: (f) => f.tree.apply([OP.set, 2, A.tags, JSON.parse('{"__proto__":"x"}') as Json]),
      },
      'set a json with a nested __proto__ key': {
        code: ErrorCode.BAD_KEY,
        ref: 'data',
        act: (f) => f.tree.apply([OP.set, 2, A.data, JSON.parse('{"a":[{"__proto__":{}}]}') as Json]),
      },
      'create with a parsed __proto__ key in a value': {
        code: ErrorCode.BAD_KEY,
        ref: 'tags',
        act: (f) => f.tree.apply([OP.create, -1, TI.Item, 0, -1, JSON.parse('{"tags":{"__proto__":"x"}}') as Record<string, Json>]),
      },
      // BAD_PARENT
      'destroy the root': { code: ErrorCode.BAD_PARENT, ref: 0, act: (f) => f.tree.root.destroy() },
      'move the root': { code: ErrorCode.BAD_PARENT, ref: 0, act: (f) => f.tree.apply([OP.move, 0, 1, 0]) },
      'move an object into itself': { code: ErrorCode.BAD_PARENT, ref: 2, act: (f) => f.item.move(f.item) },
      'move an object into its child': { code: ErrorCode.BAD_PARENT, ref: 2, act: (f) => f.folder.move(f.item, 0) },
      'move an object into its grandchild': { code: ErrorCode.BAD_PARENT, ref: 3, act: (f) => f.folder.move(3) },
      // UNKNOWN_TYPE
      'create type index 99': { code: ErrorCode.UNKNOWN_TYPE, ref: 99, act: (f) => f.tree.apply([OP.create, -1, 99, 0, -1, {}]) },
      'create type index -1': { code: ErrorCode.UNKNOWN_TYPE, ref: -1, act: (f) => f.tree.apply([OP.create, -1, -1, 0, -1, {}]) },
      'create type index 1.5': { code: ErrorCode.UNKNOWN_TYPE, ref: 1.5, act: (f) => f.tree.apply([OP.create, -1, 1.5, 0, -1, {}]) },
      'create an unregistered type': { code: ErrorCode.UNKNOWN_TYPE, ref: 'Stranger', act: (f) => f.tree.root.create(Stranger) },
    };

    it.each(Object.entries(cases))('%s: coded error, and nothing changes', (_name, { code, ref, setup, act }) => {
      const f = fixture();
      setup?.(f);
      const before = frozenSnapshot(f.tree);
      const seq = f.tree.seq;
      const size = f.tree.size;
      f.commits.length = 0;
      const err = expectSyncError(() => act(f), code, ref);
      expect(err.message).not.toBe('');
      expect(frozenSnapshot(f.tree)).toEqual(before);
      expect(f.tree.seq).toBe(seq);
      expect(f.tree.size).toBe(size);
      expect(f.commits).toEqual([]);
      expect(f.tree.log.since(seq, seq)).toEqual({ ops: [], origins: [] });
    });

    it('leaves every error code of the brief covered', () => {
      const codes = new Set(Object.values(cases).map((c) => c.code));
      expect([...codes].sort()).toEqual(
        ['BAD_INDEX', 'BAD_KEY', 'BAD_PARENT', 'BAD_VALUE', 'UNKNOWN_ATTRIBUTE', 'UNKNOWN_OBJECT', 'UNKNOWN_TYPE', 'WRONG_KIND'].sort(),
      );
    });
  });

  describe('copies values from server code', () => {
    it('copies a list given to set', () => {
      const f = fixture();
      const mine = [7, 8];
      f.item.attrs.list.set(mine);
      mine.push(9);
      mine[0] = 0;
      expect(f.item.get('list')).toEqual([7, 8]);
      expect(f.commits[0]?.ops[0]).toEqual([OP.set, 2, A.list, [7, 8]]);
    });

    it('copies a dict given to set', () => {
      const f = fixture();
      const mine: Record<string, string> = { a: 'b' };
      f.item.attrs.tags.set(mine);
      mine['c'] = 'd';
      expect(f.item.get('tags')).toEqual({ a: 'b' });
    });

    it('copies a nested json value given to set', () => {
      const f = fixture();
      const inner = [1];
      const mine = { inner };
      f.item.attrs.data.set(mine);
      inner.push(2);
      expect(f.item.get('data')).toEqual({ inner: [1] });
    });

    it('copies initial values given to create', () => {
      const f = fixture();
      const list = [1];
      const tags: Record<string, string> = { a: 'b' };
      const made = f.tree.root.create(Item, { list, tags });
      list.push(2);
      tags['x'] = 'y';
      expect(made.get('list')).toEqual([1]);
      expect(made.get('tags')).toEqual({ a: 'b' });
    });

    it('copies items given to insert, push, replace and put', () => {
      const f = fixture();
      const bag = f.tree.root.create(Bag);
      const a = { deep: [1] };
      const b = { deep: [2] };
      const c = { deep: [3] };
      const d = { deep: [4] };
      bag.attrs.docs.insert(0, a);
      bag.attrs.docs.push(b);
      bag.attrs.docs.replace(0, c);
      bag.attrs.map.put('d', d);
      for (const mine of [a, b, c, d]) mine.deep.push(99);
      expect(bag.get('docs')).toEqual([{ deep: [3] }, { deep: [2] }]);
      expect(bag.get('map')).toEqual({ d: { deep: [4] } });
    });

    it('does not let the default of a type be shared between objects', () => {
      const f = fixture();
      const a = f.tree.root.create(Item);
      const b = f.tree.root.create(Item);
      a.attrs.list.push(1);
      expect(b.get('list')).toEqual([]);
      expect(f.tree.root.create(Item).get('list')).toEqual([]);
    });
  });

  describe('scribes do not alias live containers', () => {
    it('keeps the create scribe values when the new object changes in the same transaction', () => {
      const f = fixture();
      f.tree.transact(() => {
        const made = f.tree.root.create(Item, { list: [1], tags: { a: 'b' } });
        made.attrs.list.push(2);
        made.attrs.list.replace(0, 10);
        made.attrs.tags.put('c', 'd');
        made.attrs.tags.delete('a');
      });
      const create = f.commits[0]?.ops[0];
      expect(create).toEqual([OP.create, 5, TI.Item, 0, 2, { ...ITEM_DEFAULTS, list: [1], tags: { a: 'b' } }]);
      expect(f.tree.node(5).values[A.list]).toEqual([10, 2]);
      expect(f.tree.log.since(4, f.tree.seq)?.ops[0]).toEqual(create);
    });

    it('keeps a set scribe value when the list changes later', () => {
      const f = fixture();
      f.item.attrs.list.set([1]);
      f.item.attrs.list.push(2);
      f.item.attrs.list.remove(0);
      expect(f.commits[0]?.ops[0]).toEqual([OP.set, 2, A.list, [1]]);
    });

    it('keeps insert and put scribes when the container changes later', () => {
      const f = fixture();
      f.item.attrs.list.insert(0, 0);
      f.item.attrs.tags.put('p', 'q');
      f.item.attrs.list.set([]);
      f.item.attrs.tags.set({});
      expect(f.commits.slice(0, 2).map((c) => c.ops[0])).toEqual([
        [OP.insert, 2, A.list, 0, [0]],
        [OP.put, 2, A.tags, 'p', 'q'],
      ]);
    });

    it('records only the inserted items in an insert scribe, not the live list', () => {
      const f = fixture();
      const value = f.item.attrs.list.value;
      f.item.attrs.list.push(4);
      expect(value).toEqual([1, 2, 3, 4]);
      expect(f.commits[0]?.ops[0]).toEqual([OP.insert, 2, A.list, 3, [4]]);
    });
  });
});

describe('Tree.snapshot()', () => {
  it('lists the root first with parent -1, parents before children, siblings in order', () => {
    const f = fixture();
    expect(f.tree.snapshot()).toEqual([
      [0, TI.Root, -1, ['root', {}]],
      [1, TI.Folder, 0, ['a']],
      [2, TI.Item, 1, ['x', 5, false, null, { k: 'v' }, [1, 2, 3]]],
      [3, TI.Folder, 2, ['c']],
      [4, TI.Folder, 0, ['b']],
    ]);
  });

  it('does not change after later mutations (a snapshot is the tree at its seq)', () => {
    const f = fixture();
    const snap = f.tree.snapshot();
    const copy = structuredClone(snap);
    f.item.attrs.list.push(4);
    f.item.attrs.title.set('changed');
    expect(snap).toEqual(copy);
  });

  it('does not serve a snapshot taken inside a transaction that rolled back', () => {
    const f = fixture();
    // From a twin fixture: taking it from `f` would fill f's cache before the transaction.
    const before = frozenSnapshot(fixture().tree);
    thrown(() =>
      f.tree.transact(() => {
        f.tree.root.create(Folder, { name: 'rolled back' });
        f.tree.snapshot();
        throw new Error('abort');
      }),
    );
    expect(f.tree.seq).toBe(4);
    expect(f.tree.snapshot()).toEqual(before);
  });
});

describe('Tree.transact()', () => {
  it('commits several ops as one event with consecutive seqs', () => {
    const f = fixture();
    const result = f.tree.transact(() => {
      const made = f.tree.root.create(Folder, { name: 'n' });
      f.item.attrs.count.add(1);
      f.item.attrs.list.push(4);
      made.move(f.folder, 0);
      return made.id;
    }, 'carol');
    expect(result).toBe(5);
    expect(f.tree.seq).toBe(8);
    expect(f.commits).toEqual([
      {
        firstSeq: 5,
        ops: [
          [OP.create, 5, TI.Folder, 0, 2, { name: 'n' }],
          [OP.add, 2, A.count, 1],
          [OP.insert, 2, A.list, 3, [4]],
          [OP.move, 5, 1, 0],
        ],
        origin: 'carol',
      },
    ]);
    expect(f.tree.log.since(4, 8)).toEqual({ ops: f.commits[0]?.ops, origins: ['carol', 'carol', 'carol', 'carol'] });
  });

  it('emits nothing for a transaction without ops', () => {
    const f = fixture();
    expect(f.tree.transact(() => 'nothing')).toBe('nothing');
    expect(f.tree.seq).toBe(4);
    expect(f.commits).toEqual([]);
  });

  it('commits the good ops when fn catches a bad one itself', () => {
    const f = fixture();
    f.tree.transact(() => {
      f.item.attrs.count.add(1);
      expectSyncError(() => f.item.attrs.count.add(NaN), ErrorCode.BAD_VALUE);
      f.item.attrs.count.add(1);
    });
    expect(f.item.get('count')).toBe(7);
    expect(f.commits).toEqual([{ firstSeq: 5, ops: [[OP.add, 2, A.count, 1], [OP.add, 2, A.count, 1]], origin: 'server' }]);
  });

  const throwers: readonly (readonly [string, (f: Fixture) => never])[] = [
    ['a plain Error', () => {
      throw new Error('boom');
    }],
    ['a SyncError from a bad op', (f) => {
      f.tree.root.destroy();
      throw new Error('unreachable');
    }],
    ['a SyncError from a bad value', (f) => {
      f.item.attrs.count.set(NaN);
      throw new Error('unreachable');
    }],
    ['a non-Error value', () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the tree must roll back whatever fn throws
      throw 'a string';
    }],
  ];

  it.each(throwers)('rolls everything back when fn throws %s', (_name, throwIt) => {
    const f = fixture();
    const before = frozenSnapshot(f.tree);
    let made: ServerObject<AttrsOf<typeof Item>> | undefined;
    const sentinel = thrown(() =>
      f.tree.transact(() => {
        made = f.tree.root.create(Item, { list: [1, 2], tags: { a: 'b' } }, 0);
        made.attrs.title.set('new');
        made.attrs.count.add(3);
        made.attrs.list.push(3, 4);
        made.attrs.list.remove(0);
        made.attrs.list.move(0, 2);
        made.attrs.list.replace(1, 40);
        made.attrs.tags.put('c', 'd');
        made.attrs.tags.delete('a');
        made.attrs.data.set({ x: [1] });
        f.item.attrs.list.set([]);
        f.item.attrs.tags.put('k', 'overwritten');
        f.item.attrs.tags.delete('k');
        f.item.attrs.done.set(true);
        f.tree.root.attrs.scores.put('p', 1);
        f.other.move(made, 0);
        made.create(Folder, { name: 'grandchild' });
        f.child.move(f.tree.root, 1);
        f.folder.destroy();
        f.tree.root.create(Folder, {}, 1);
        throwIt(f);
      }),
    );
    expect(sentinel).toBeDefined();
    expect(frozenSnapshot(f.tree)).toEqual(before);
    expect(f.tree.seq).toBe(4);
    expect(f.tree.size).toBe(5);
    expect(f.commits).toEqual([]);
    expect(made?.alive).toBe(false);
    expect(f.tree.get(5)).toBeUndefined();
    expect([f.folder, f.item, f.child, f.other].map((o) => o.alive)).toEqual([true, true, true, true]);
    expect(f.child.parent?.id).toBe(2);
    expect(f.other.parent?.id).toBe(0);
    expect(f.tree.log.since(4, 4)).toEqual({ ops: [], origins: [] });
    // The tree still works afterwards.
    f.item.attrs.list.push(9);
    expect(f.item.get('list')).toEqual([1, 2, 3, 9]);
    expect(f.commits).toEqual([{ firstSeq: 5, ops: [[OP.insert, 2, A.list, 3, [9]]], origin: 'server' }]);
  });

  it('rethrows the very error fn threw', () => {
    const f = fixture();
    const error = new Error('mine');
    expect(thrown(() => f.tree.transact(() => {
      f.item.attrs.count.add(1);
      throw error;
    }))).toBe(error);
    const sync = thrown(() => f.tree.transact(() => f.tree.apply([OP.destroy, 0])));
    expect(sync).toBeInstanceOf(SyncError);
    expect((sync as SyncError).code).toBe(ErrorCode.BAD_PARENT);
  });

  it('restores a float exactly after add is rolled back', () => {
    const f = fixture();
    f.item.attrs.count.set(0.1);
    const before = frozenSnapshot(f.tree);
    thrown(() =>
      f.tree.transact(() => {
        f.item.attrs.count.add(0.2);
        throw new Error('abort');
      }),
    );
    expect(f.item.get('count')).toBe(0.1);
    expect(frozenSnapshot(f.tree)).toEqual(before);
  });

  it('joins a nested transaction to the outer one', () => {
    const f = fixture();
    f.tree.transact(() => {
      f.item.attrs.count.add(1);
      const inner = f.tree.transact(() => {
        f.item.attrs.count.add(2);
        return 'inner';
      }, 'ignored-origin');
      expect(inner).toBe('inner');
      expect(f.commits).toEqual([]);
      f.item.attrs.count.add(3);
    }, 'outer');
    expect(f.commits).toEqual([
      { firstSeq: 5, ops: [[OP.add, 2, A.count, 1], [OP.add, 2, A.count, 2], [OP.add, 2, A.count, 3]], origin: 'outer' },
    ]);
    expect(f.tree.seq).toBe(7);
  });

  it('rolls back the outer transaction when a nested one throws through it', () => {
    const f = fixture();
    const before = frozenSnapshot(f.tree);
    thrown(() =>
      f.tree.transact(() => {
        f.item.attrs.count.add(1);
        f.tree.transact(() => {
          f.item.attrs.title.set('inner');
          throw new Error('inner');
        });
      }),
    );
    expect(frozenSnapshot(f.tree)).toEqual(before);
    expect(f.commits).toEqual([]);
  });

  it('undoes a nested transaction that threw even when the outer one catches it', () => {
    const f = fixture();
    f.tree.transact(() => {
      f.item.attrs.count.add(1);
      thrown(() =>
        f.tree.transact(() => {
          f.item.attrs.title.set('inner');
          throw new Error('inner');
        }),
      );
    });
    // transact()'s contract: "if it throws, none of them happened".
    expect(f.item.get('title')).toBe('x');
    expect(f.item.get('count')).toBe(6);
    expect(f.commits).toEqual([{ firstSeq: 5, ops: [[OP.add, 2, A.count, 1]], origin: 'server' }]);
  });

  describe('property: a transaction is all or nothing', () => {
    // Mostly well-aimed ops (ids that tend to exist, attributes of the right kind), some garbage.
    const live = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 12 }));
    const anyId = fc.integer({ min: -1, max: 12 });
    const attr = fc.integer({ min: -1, max: 6 });
    const index = fc.integer({ min: -2, max: 4 });
    const key = fc.constantFrom('a', 'b', 'c', '__proto__');
    const num = fc.integer({ min: -5, max: 5 });
    const str = fc.string({ maxLength: 3 });
    const value: fc.Arbitrary<Json> = fc.oneof(
      str,
      num,
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.string({ maxLength: 2 }), { maxKeys: 3, noNullPrototype: true }),
    );
    const element: fc.Arbitrary<Json> = fc.oneof(num, str, fc.constant({ a: [1] }));
    const initial = fc.constantFrom<Record<string, Json>>(
      {},
      { title: 't' },
      { list: [1, 2] },
      { name: 'n' },
      { docs: [{ a: 1 }, 2] },
      { map: { a: [1] } },
      { count: 'bad' },
      { nope: 1 },
    );
    const listIndex = fc.integer({ min: -1, max: 3 });
    // Item's list holds numbers, Bag's docs (attribute 0) JSON; Item's tags hold strings, Bag's map (attribute 1) JSON.
    const listOp = <C extends number, X>(code: C, rest: (items: fc.Arbitrary<Json>) => fc.Arbitrary<X>) =>
      fc.oneof(
        fc.tuple(fc.constant(code), live, fc.constant(A.list), rest(num)),
        fc.tuple(fc.constant(code), live, fc.constant(0), rest(element)),
      );
    const dictOp = <C extends number, X>(code: C, rest: (items: fc.Arbitrary<Json>) => fc.Arbitrary<X>) =>
      fc.oneof(
        fc.tuple(fc.constant(code), live, fc.constant(A.tags), rest(str)),
        fc.tuple(fc.constant(code), live, fc.constant(1), rest(element)),
      );
    const flat = <T extends readonly unknown[]>([c, o, a, rest]: readonly [number, number, number, T]): Op => rawOp(c, o, a, ...rest);
    // Integer deltas only: float add does not roll back exactly (see 'restores a float exactly ...').
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(fc.constant(OP.create), fc.constant(-1), fc.constantFrom(TI.Item, TI.Bag), fc.constantFrom(0, 0, 1, 2, 3), fc.constantFrom(-1, 0), fc.constant({})) },
      { weight: 2, arbitrary: fc.tuple(fc.constant(OP.create), fc.constant(-1), fc.constantFrom(TI.Folder, TI.Item, TI.Bag, 9), live, index, initial) },
      { weight: 2, arbitrary: fc.tuple(fc.constant(OP.set), live, fc.constant(0), str) },
      { weight: 2, arbitrary: fc.tuple(fc.constant(OP.set), live, attr, value) },
      { weight: 2, arbitrary: fc.tuple(fc.constant(OP.add), live, fc.constant(A.count), fc.integer({ min: -10, max: 10 })) },
      { weight: 2, arbitrary: dictOp(OP.put, (v) => fc.tuple(key, v)).map(flat) },
      { weight: 1, arbitrary: dictOp(OP.delete, () => fc.tuple(key)).map(flat) },
      { weight: 3, arbitrary: listOp(OP.insert, (v) => fc.tuple(listIndex, fc.array(v, { maxLength: 3 }))).map(flat) },
      { weight: 2, arbitrary: listOp(OP.remove, () => fc.tuple(listIndex, fc.integer({ min: 0, max: 2 }))).map(flat) },
      { weight: 2, arbitrary: listOp(OP.listMove, () => fc.tuple(listIndex, listIndex)).map(flat) },
      { weight: 2, arbitrary: listOp(OP.replace, (v) => fc.tuple(listIndex, v)).map(flat) },
      { weight: 1, arbitrary: fc.tuple(fc.constant(OP.destroy), anyId) },
      { weight: 3, arbitrary: fc.tuple(fc.constant(OP.move), live, live, index) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(OP.set, OP.add, OP.put, OP.insert), anyId, attr, value).map((o) => rawOp(...o)) },
    );
    const ending = fc.constantFrom('commit', 'error', 'sync-error');
    const step = fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 12 }), ending });

    /** Applies an op, swallowing only coded errors (anything else is a bug and fails the run). */
    /** root(0) ─ item(1) ─ bag(3), bag(2) ─ item(4): the ids the ops aim at exist from the start. */
    const seeded = (): ReturnType<typeof newTree> => {
      const tree = newTree();
      const item = tree.root.create(Item, { list: [1, 2, 3], tags: { a: 'x' } });
      const bag = tree.root.create(Bag, { docs: [{ a: 1 }, 'b'], map: { b: [2] } });
      item.create(Bag);
      bag.create(Item, { count: 2, list: [4] });
      return tree;
    };

    const attempt = (tree: ReturnType<typeof newTree>, o: Op): void => {
      try {
        tree.apply(o);
      } catch (e) {
        if (!(e instanceof SyncError)) throw e;
      }
    };

    it('ends at the pre-state when thrown, else at the state of the same ops applied one by one', () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
          // `tx` runs each step in a transaction; `solo` applies the same ops one by one. Both see the
          // same sequence of creates, so their ids stay equal; on a thrown step both run the same
          // aborted transaction to stay in lockstep.
          const tx = seeded();
          const solo = seeded();
          const txCommits = recordCommits(tx);
          const soloCommits = recordCommits(solo);
          for (const { ops, ending } of steps) {
            const before = frozenSnapshot(tx);
            const seq = tx.seq;
            txCommits.length = 0;
            soloCommits.length = 0;
            const run = (tree: ReturnType<typeof newTree>, abort: boolean): unknown =>
              thrown(() =>
                tree.transact(() => {
                  for (const o of ops) attempt(tree, o);
                  if (abort && ending === 'error') throw new Error('abort');
                  if (abort && ending === 'sync-error') tree.apply([OP.destroy, 0]);
                  throw new Error('done');
                }),
              );
            if (ending === 'commit') {
              tx.transact(() => {
                for (const o of ops) attempt(tx, o);
              });
              for (const o of ops) attempt(solo, o);
              expect(frozenSnapshot(tx)).toEqual(frozenSnapshot(solo));
              expect(tx.seq).toBe(solo.seq);
              const soloOps = soloCommits.flatMap((c: Commit) => c.ops);
              if (soloOps.length === 0) expect(txCommits).toEqual([]);
              else expect(txCommits).toEqual([{ firstSeq: seq + 1, ops: soloOps, origin: 'server' }]);
            } else {
              const error = run(tx, true);
              if (ending === 'sync-error') expect((error as SyncError).code).toBe(ErrorCode.BAD_PARENT);
              else expect(error).toEqual(new Error('abort'));
              expect(frozenSnapshot(tx)).toEqual(before);
              expect(tx.seq).toBe(seq);
              expect(txCommits).toEqual([]);
              run(solo, true);
              expect(frozenSnapshot(solo)).toEqual(before);
            }
          }
        }),
        propertyParams(),
      );
    });
  });
});
