import { describe, expect, it } from 'vitest';
import { OP } from '../../shared/ops.js';
import { A, Bag, Folder, ITEM_DEFAULTS, Item, TI, frozenSnapshot, thrown } from './support.js';
import { fixture } from './tree-support.js';

describe('Tree.apply()', () => {
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
