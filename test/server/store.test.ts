/** The Store contract, run against MemoryStore (the reference) and SqliteStore on real files. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, OP, type Json, type Op } from '../../shared/index.js';
import type { Store } from '../../server/store/store.js';
import { expectInternal, file, ops, rec, setOp, storedTree, subjects, track, useStoreFiles } from './store-support.js';

useStoreFiles();

describe.each(subjects)('$name', ({ open, durable }) => {
  const reopen = (store: Store): Store => {
    store.close();
    return track(open(file));
  };

  it('loads nothing from a new store', () => {
    expect(track(open(file)).load()).toEqual([]);
  });

  it('loads exactly the trees it was given, in creation order', () => {
    const store = track(open(file));
    const a = storedTree('a');
    const b = storedTree('b', {
      epoch: 'e-b',
      rootType: 'Card',
      snapshot: { seq: 5, types: ['Card'], objects: [[0, 0, -1, [null, true, 1.5]], [3, 0, 0, ['x', false, -2]]] },
      ops: [setOp(3, 'six'), [OP.create, 7, 0, 0, 1, { title: 'seven' }]],
      origins: ['client-1', 'server'],
      nextId: 8,
    });
    store.createTree(a);
    store.createTree(b);
    expect(store.load()).toStrictEqual([a, b]);
    store.commit();
    expect(reopen(store).load()).toStrictEqual([a, b]);
  });

  it('keeps appends that were committed, with their origins and nextId, across a reopen', () => {
    const store = track(open(file));
    store.createTree(storedTree('t'));
    store.commit();
    store.append('t', 1, ops(1, 3), 'alice', 4);
    store.append('t', 4, [[OP.create, 4, 1, 0, 0, { title: 'x' }]], 'bob', 5);
    store.commit();
    store.append('t', 5, ops(5, 2), 'server', 5);
    store.commit();
    const [t] = reopen(store).load();
    expect(t).toStrictEqual(
      storedTree('t', {
        ops: [...ops(1, 3), [OP.create, 4, 1, 0, 0, { title: 'x' }], ...ops(5, 2)],
        origins: ['alice', 'alice', 'alice', 'bob', 'server', 'server'],
        nextId: 5,
      }),
    );
  });

  // Only a durable store has a file a restarted process can open; the memory store has no such claim.
  if (durable) {
  it('loses uncommitted writes when the process dies, and only those', () => {
    const store = track(open(file));
    store.createTree(storedTree('t'));
    store.append('t', 1, ops(1, 2), 'a', 1);
    store.saveClient('c1', rec(1));
    store.commit();
    store.append('t', 3, ops(3, 5), 'a', 9);
    store.snapshot('t', { seq: 7, types: ['Board'], objects: [] }, 9, 0);
    store.createTree(storedTree('lost'));
    store.saveClient('c1', rec(2));
    // A second connection sees the file as a restarted process would, the first never committing.
    const after = track(open(file));
    expect(after.load()).toStrictEqual([storedTree('t', { ops: ops(1, 2), origins: ['a', 'a'] })]);
    expect(after.client('c1')).toEqual(rec(1));
    expect(after.since('t', 0)?.ops).toEqual(ops(1, 2));
  });
  }

  it('refuses an append that leaves a gap or overlaps, and one to an unknown tree', () => {
    const store = track(open(file));
    store.createTree(storedTree('t'));
    store.append('t', 1, ops(1, 2), 'a', 1);
    expectInternal(() => store.append('t', 4, ops(4, 1), 'a', 1), 't', '4', '3');
    expectInternal(() => store.append('t', 2, ops(2, 1), 'a', 1), 't');
    expectInternal(() => store.append('nope', 1, ops(1, 1), 'a', 1), 'nope');
    expectInternal(() => store.createTree(storedTree('t')), 't');
    store.commit();
    expect(reopen(store).load()[0]?.ops).toEqual(ops(1, 2));
  });

  it('keeps exactly `keep` scribes behind a snapshot, and loads only those after it', () => {
    const store = track(open(file));
    store.createTree(storedTree('t'));
    store.append('t', 1, ops(1, 20), 'a', 1);
    store.commit();
    const snap = { seq: 20, types: ['Board'], objects: [[0, 0, -1, ['snap']]] } as const;
    store.snapshot('t', snap, 30, 5);
    store.append('t', 21, ops(21, 2), 'b', 31);
    const check = (s: Store): void => {
      expect(s.since('t', 15)).toEqual({ ops: ops(16, 7), origins: [...Array<string>(5).fill('a'), 'b', 'b'] });
      expect(s.since('t', 14)).toBeUndefined();
      expect(s.load()).toStrictEqual([storedTree('t', { snapshot: snap, ops: ops(21, 2), origins: ['b', 'b'], nextId: 31 })]);
    };
    check(store);
    store.commit();
    check(reopen(store));
  });

  it('keeps no scribe behind a snapshot with keep 0, and drops them across several snapshots', () => {
    const store = track(open(file));
    store.createTree(storedTree('t'));
    store.append('t', 1, ops(1, 10), 'a', 1);
    store.snapshot('t', { seq: 10, types: [], objects: [] }, 1, 0);
    expect(store.since('t', 9)).toBeUndefined();
    expect(store.since('t', 10)).toEqual({ ops: [], origins: [] });
    store.append('t', 11, ops(11, 10), 'a', 1);
    store.snapshot('t', { seq: 15, types: [], objects: [] }, 1, 3);
    store.snapshot('t', { seq: 20, types: [], objects: [] }, 1, 8);
    expect(store.since('t', 11)).toBeUndefined();
    expect(store.since('t', 12)?.ops).toEqual(ops(13, 8));
    store.commit();
    const again = reopen(store);
    expect(again.since('t', 12)?.ops).toEqual(ops(13, 8));
    expect(again.since('t', 11)).toBeUndefined();
    expect(again.load()[0]?.ops).toEqual([]);
    expectInternal(() => again.snapshot('t', { seq: 19, types: [], objects: [] }, 1, 0), 't', '19');
    expectInternal(() => again.snapshot('t', { seq: 21, types: [], objects: [] }, 1, 0), 't', '21');
  });

  it('answers since() with what it holds, buffered appends included', () => {
    const store = track(open(file));
    store.createTree(storedTree('t'));
    expect(store.since('t', 0)).toEqual({ ops: [], origins: [] });
    store.append('t', 1, ops(1, 3), 'a', 1);
    store.commit();
    store.append('t', 4, ops(4, 2), 'b', 1);
    expect(store.since('t', 0)).toEqual({ ops: ops(1, 5), origins: ['a', 'a', 'a', 'b', 'b'] });
    expect(store.since('t', 2)).toEqual({ ops: ops(3, 3), origins: ['a', 'b', 'b'] });
    expect(store.since('t', 4)).toEqual({ ops: ops(5, 1), origins: ['b'] });
    expect(store.since('t', 5)).toEqual({ ops: [], origins: [] });
    expect(store.since('t', 99)).toEqual({ ops: [], origins: [] });
    expect(store.since('t', -1)).toBeUndefined();
    expect(store.since('t', 1.5)).toBeUndefined();
    expect(store.since('unknown', 0)).toBeUndefined();
  });

  it('stores client records, the last one winning', () => {
    const store = track(open(file));
    expect(store.client('c')).toBeUndefined();
    store.saveClient('c', rec(3));
    store.saveClient('d', rec(1));
    expect(store.client('c')).toEqual(rec(3));
    store.commit();
    store.saveClient('c', rec(7));
    expect(store.client('c')).toEqual(rec(7));
    store.commit();
    const again = reopen(store);
    expect(again.client('c')).toEqual(rec(7));
    expect(again.client('d')).toEqual(rec(1));
    expect(again.client('e')).toBeUndefined();
  });

  it('stores whole client records: seqs, answers and seenAt, hostile tree names included', () => {
    const store = track(open(file));
    const full = rec(9, {
      seqs: [['board', 12], ['__proto__', 3], ["'); DROP TABLE clients; --", 0], ['木🌳', Number.MAX_SAFE_INTEGER]],
      answers: [
        ['ack', { opId: 4, seq: 10 }],
        ['ack', { opId: 5, seq: 12, ids: [7, 8] }],
        ['reject', { opId: 8, code: ErrorCode.BAD_INDEX, message: 'no item 5 \u0000 "quoted"', ref: 5 }],
        ['reject', { opId: 9, code: ErrorCode.FORBIDDEN, message: 'no', ref: '__proto__' }],
      ],
      seenAt: 1_700_000_000_000,
    });
    store.saveClient('c', full);
    expect(store.client('c')).toStrictEqual(full);
    store.commit();
    expect(reopen(store).client('c')).toStrictEqual(full);
    expect(({} as Record<string, unknown>)['board']).toBeUndefined();
  });

  it('refuses a client record whose lastOpId or seenAt is not an integer', () => {
    const store = track(open(file));
    expectInternal(() => store.saveClient('c', rec(1.5)), 'c', 'lastOpId');
    expectInternal(() => store.saveClient('c', rec(1, { seenAt: Number.NaN })), 'c', 'seenAt');
    expect(store.client('c')).toBeUndefined();
  });

  it('prunes the client records last seen before a time, buffered ones too', () => {
    const store = track(open(file));
    store.saveClient('old', rec(1, { seenAt: 100 }));
    store.saveClient('new', rec(2, { seenAt: 200 }));
    store.commit();
    store.saveClient('buffered-old', rec(3, { seenAt: 50 }));
    store.saveClient('buffered-new', rec(4, { seenAt: 150 }));
    expect(store.pruneClients(150)).toBe(2);
    expect(store.client('old')).toBeUndefined();
    expect(store.client('buffered-old')).toBeUndefined();
    expect(store.client('new')).toEqual(rec(2, { seenAt: 200 }));
    expect(store.client('buffered-new')).toEqual(rec(4, { seenAt: 150 }));
    expect(store.pruneClients(150)).toBe(0);
    const again = reopen(store);
    expect(again.client('old')).toBeUndefined();
    expect(again.client('buffered-new')).toEqual(rec(4, { seenAt: 150 }));
    expect(again.pruneClients(Number.MAX_SAFE_INTEGER)).toBe(2);
    expect(again.client('new')).toBeUndefined();
  });

  it('tells how many bytes an append buffers: the JSON of its scribes', () => {
    const store = track(open(file));
    store.createTree(storedTree('t'));
    const big = setOp(1, 'x'.repeat(10_000));
    const bytes = store.append('t', 1, [big, setOp(1, 2)], 'alice', 1);
    const json = JSON.stringify(big).length + JSON.stringify(setOp(1, 2)).length;
    expect(bytes).toBeGreaterThanOrEqual(json);
    expect(bytes).toBeLessThan(json + 100);
  });

  it('keeps many trees apart', () => {
    const store = track(open(file));
    const names = Array.from({ length: 50 }, (_, i) => `tree-${i}`);
    for (const name of names) store.createTree(storedTree(name));
    for (let round = 0; round < 4; round++) {
      names.forEach((name, i) => store.append(name, round * (i + 1) + 1, ops(1000 * i + round * (i + 1), i + 1), `o${i}`, i));
      if (round % 2 === 1) store.commit();
    }
    const loaded = reopen(store).load();
    expect(loaded.map((t) => t.name)).toEqual(names);
    loaded.forEach((t, i) => {
      expect(t.ops).toEqual(ops(1000 * i, 4 * (i + 1)));
      expect(t.origins).toEqual(Array<string>(4 * (i + 1)).fill(`o${i}`));
      expect(t.nextId).toBe(i);
    });
  });

  it('stores hostile names, huge values and nested JSON exactly', () => {
    const store = track(open(file));
    const names = ['it\'s "quoted"', "'); DROP TABLE trees; --", '__proto__', 'constructor', '木🌳 ünï', 'nul\u0000inside', '', ' '];
    const mb = 'x'.repeat(1_000_000) + '€';
    let nested: Json = { leaf: [1, 'two', null, true, -0.5, 1e300] };
    for (let i = 0; i < 60; i++) nested = { [`k${i}`]: [nested, { '': i, ['__proto__']: 'own key' }] };
    const withProto = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}') as Json;
    const hostileOps: Op[] = [setOp(1, mb), setOp(2, nested), [OP.put, 3, 1, '__proto__', withProto], [OP.insert, 4, 2, 0, [mb.slice(0, 10), nested]]];
    const trees = names.map((name) =>
      storedTree(name, {
        epoch: name,
        rootType: name,
        snapshot: { seq: 2, types: [name, mb], objects: [[0, 0, -1, [mb, nested, withProto]]] },
        ops: hostileOps,
        origins: [name, mb, '__proto__', '\u0000'],
      }),
    );
    for (const t of trees) store.createTree(t);
    for (const name of names) store.saveClient(name, rec(Number.MAX_SAFE_INTEGER));
    store.commit();
    const again = reopen(store);
    expect(again.load()).toStrictEqual(trees);
    for (const name of names) {
      expect(again.since(name, 2)?.ops).toStrictEqual(hostileOps.slice(0));
      expect(again.client(name)).toEqual(rec(Number.MAX_SAFE_INTEGER));
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a tree name that UTF-8 cannot hold (a lone surrogate), keeping surrogate pairs', () => {
    const store = track(open(file));
    expectInternal(() => store.createTree(storedTree('half \ud800 a pair')), 'lone surrogate');
    expectInternal(() => store.createTree(storedTree('t', { epoch: '\udc00' })), 'epoch');
    store.createTree(storedTree('a pair \ud83c\udf33', { snapshot: { seq: 0, types: ['\ud800'], objects: [] } }));
    store.commit();
    expect(reopen(store).load().map((t) => [t.name, t.snapshot.types])).toEqual([['a pair 🌳', ['\ud800']]]);
  });

  it('keeps its own copies: changing what went in or came out changes nothing stored', () => {
    const store = track(open(file));
    const objects: [number, number, number, Json[]][] = [[0, 0, -1, ['a']]];
    const op: [typeof OP.insert, number, number, number, Json[]] = [OP.insert, 1, 0, 0, ['x']];
    store.createTree(storedTree('t', { snapshot: { seq: 0, types: ['Board'], objects } }));
    store.append('t', 1, [op], 'a', 1);
    (objects[0]?.[3] as Json[]).push('changed');
    op[4].push('changed');
    const loaded = store.load();
    (loaded[0]?.ops[0] as unknown as Json[]).push('changed');
    (store.since('t', 0)?.ops[0] as unknown as Json[]).push('changed');
    expect(store.load()[0]?.snapshot.objects).toEqual([[0, 0, -1, ['a']]]);
    expect(store.since('t', 0)?.ops).toEqual([[OP.insert, 1, 0, 0, ['x']]]);
  });
});
