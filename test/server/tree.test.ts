import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../shared/errors.js';
import type { Json } from '../../shared/json.js';
import { OP, type Op } from '../../shared/ops.js';
import type { AttrsOf, ServerObject } from '../../server/types.js';
import { Tree } from '../../server/tree.js';
import { TypeRegistry } from '../../server/registry.js';
import { defineType, t } from '../../shared/schema.js';
import {
  A,
  Bag,
  Folder,
  Item,
  Root,
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
import { fixture, type Fixture } from './tree-support.js';

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

  describe('a lone operation (no transaction around it) that something nests in', () => {
    // A validator that applies to another object: the lone op keeps no undo of its own, so what
    // nests in it must turn undo on, or a refusal after it would leave the nested change standing.
    const Guarded = defineType('Guarded', { note: t.string(''), level: t.number(0) });
    type Note = ServerObject<AttrsOf<typeof Guarded>>;
    function guardedTree(validate: (note: Note, tree: Tree) => true | string) {
      const armed: { note?: Note } = {};
      // defineType and create check the default too: those pass, untouched.
      const Checked = defineType('Checked', { title: t.string('', { validate: () => (armed.note === undefined ? true : validate(armed.note, tree)) }) });
      const tree: Tree = new Tree('g', 1, new TypeRegistry([Root, Checked, Guarded]), Root);
      const checked = tree.root.create(Checked);
      const note = tree.root.create(Guarded);
      armed.note = note;
      return { tree, note, checked, commits: recordCommits(tree) };
    }
    const touch = (note: Note): void => {
      note.attrs.note.set('touched');
      note.attrs.level.add(1);
    };

    it('undoes what nested in it when it is refused', () => {
      const g = guardedTree((note) => (touch(note), 'no'));
      const before = frozenSnapshot(g.tree);
      expectSyncError(() => g.checked.attrs.title.set('x'), ErrorCode.INVALID);
      expect(frozenSnapshot(g.tree)).toEqual(before);
      expect(g.note.get('level')).toBe(0);
      expect(g.commits).toEqual([]);
      expect(g.tree.seq).toBe(2);
    });

    it('commits what nested in it and itself as one transaction when it stands', () => {
      const g = guardedTree((note) => (touch(note), true));
      g.checked.attrs.title.set('x');
      expect(g.commits).toEqual([
        {
          firstSeq: 3,
          ops: [
            [OP.set, 2, 0, 'touched'],
            [OP.add, 2, 1, 1],
            [OP.set, 1, 0, 'x'],
          ],
          origin: 'server',
        },
      ]);
      expect(g.checked.get('title')).toBe('x');
    });

    it('undoes a nested transaction that came first, changed something and threw, and then what came after it, when it is refused', () => {
      // What the validator saw, checked outside it (a validator's own throw would only refuse the op).
      const seen: { added?: number; caught?: unknown; after?: number } = {};
      const g = guardedTree((note, tree) => {
        // The first nested thing is a transaction: it must turn undo on itself.
        seen.caught = thrown(() =>
          tree.transact(() => {
            note.attrs.level.add(5);
            seen.added = note.get('level');
            throw new Error('inner');
          }),
        );
        seen.after = note.get('level');
        note.attrs.note.set('touched');
        return 'no';
      });
      const before = frozenSnapshot(g.tree);
      expectSyncError(() => g.checked.attrs.title.set('x'), ErrorCode.INVALID);
      expect(seen).toEqual({ added: 5, caught: new Error('inner'), after: 0 });
      expect(frozenSnapshot(g.tree)).toEqual(before);
      expect(g.commits).toEqual([]);
    });

    it('undoes nested creates, moves and destroys when it is refused', () => {
      const g = guardedTree((note, tree) => {
        const made = tree.root.create(Guarded, { note: 'new' });
        note.move(made);
        made.move(tree.root, 0);
        tree.root.create(Guarded).destroy();
        return 'no';
      });
      const before = frozenSnapshot(g.tree);
      expectSyncError(() => g.checked.attrs.title.set('x'), ErrorCode.INVALID);
      expect(frozenSnapshot(g.tree)).toEqual(before);
      expect(g.tree.root.children.map((c) => c.id)).toEqual([1, 2]);
      expect(g.commits).toEqual([]);
    });

    it('undoes only a nested transaction that threw and was caught inside it', () => {
      const g = guardedTree((note, tree) => {
        note.attrs.note.set('kept');
        thrown(() =>
          tree.transact(() => {
            note.attrs.level.add(5);
            throw new Error('inner');
          }),
        );
        return true;
      });
      g.checked.attrs.title.set('x');
      expect(g.note.get('level')).toBe(0);
      expect(g.commits).toEqual([
        {
          firstSeq: 3,
          ops: [
            [OP.set, 2, 0, 'kept'],
            [OP.set, 1, 0, 'x'],
          ],
          origin: 'server',
        },
      ]);
    });
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
