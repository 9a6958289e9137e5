import { describe, expect, it } from 'vitest';
import { OP, type Op } from '../../shared/ops.js';
import { A, Folder, ITEM_DEFAULTS, Item, TI } from './support.js';
import { expectOneScribe, fixture } from './tree-support.js';

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
});
