/**
 * The Store contract, run against MemoryStore (the reference) and SqliteStore on real files; then
 * what only a file can do wrong: damage, truncation, another schema version, a gap in the scribes.
 */
import { copyFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, OP, SyncError, type Json, type Op } from '../../shared/index.js';
import type { Store, StoredClient, StoredTree } from '../../server/store/store.js';
import { MemoryStore } from '../../server/store/memory-store.js';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../../server/store/sqlite-store.js';

let dir = '';
let file = '';
const opened: Store[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'treesync-store-'));
  file = join(dir, 'trees.db');
});
afterEach(() => {
  for (const store of opened.splice(0)) {
    try {
      store.close();
    } catch {
      // Closed already, or a test left it broken on purpose.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Subject {
  readonly name: string;
  /** Whether uncommitted writes are lost when the process dies (a memory store loses everything then). */
  readonly durable: boolean;
  /** Opens the store at a path: again after close(), it is the same store a restarted process would find. */
  readonly open: (path: string) => Store;
}

/** A memory store outlives close() in this process only: "reopening" it is using it again. */
const memories = new Map<string, MemoryStore>();
const subjects: Subject[] = [
  {
    name: 'MemoryStore',
    durable: false,
    open: (path) => {
      let store = memories.get(path);
      if (store === undefined) memories.set(path, (store = new MemoryStore()));
      return store;
    },
  },
  { name: 'SqliteStore', durable: true, open: (path) => new SqliteStore(path) },
];

function track<S extends Store>(store: S): S {
  opened.push(store);
  return store;
}

/** A client record with this lastOpId (and nothing else of note). */
function rec(lastOpId: number, over: Partial<StoredClient> = {}): StoredClient {
  return { lastOpId, seqs: [], answers: [], seenAt: 1_000, ...over };
}

function setOp(id: number, value: Json): Op {
  return [OP.set, id, 0, value];
}

function ops(from: number, count: number): Op[] {
  return Array.from({ length: count }, (_, i) => setOp(1, from + i));
}

function storedTree(name: string, over: Partial<StoredTree> = {}): StoredTree {
  return {
    name,
    epoch: `epoch-${name}`,
    rootType: 'Board',
    snapshot: { seq: 0, types: ['Board', 'Card'], objects: [[0, 0, -1, ['title', { a: 1 }, [1, 2]]]] },
    ops: [],
    origins: [],
    nextId: 1,
    ...over,
  };
}

/** Expects `fn` to throw an INTERNAL SyncError whose message contains every one of `words`. */
function expectInternal(fn: () => unknown, ...words: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SyncError);
  expect((caught as SyncError).code).toBe(ErrorCode.INTERNAL);
  for (const word of words) expect((caught as SyncError).message).toContain(word);
}

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

describe('SqliteStore', () => {
  /** A committed store with `count` scribes of about 1 kB each, closed (its WAL checkpointed into the file). */
  function writeStore(path: string, count: number): void {
    const store = new SqliteStore(path);
    store.createTree(storedTree('t'));
    store.append('t', 1, Array.from({ length: count }, (_, i) => setOp(1, `${i}:${'v'.repeat(1000)}`)), 'a', 1);
    store.close();
  }

  it('runs in WAL mode and refuses use after close()', () => {
    const store = new SqliteStore(file, { synchronous: 'full' });
    store.createTree(storedTree('t'));
    store.close();
    store.close();
    expectInternal(() => store.load(), file, 'closed');
    const raw = new Database(file);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('refuses a file of random bytes, naming it', () => {
    writeFileSync(file, randomBytes(64 * 1024));
    expectInternal(() => new SqliteStore(file), file);
  });

  it('refuses a database truncated to half, never loading it as empty', () => {
    writeStore(file, 2_000);
    const copy = join(dir, 'truncated.db');
    copyFileSync(file, copy);
    truncateSync(copy, Math.floor(statSync(copy).size / 2));
    expectInternal(() => new SqliteStore(copy).load(), copy);
  });

  it('loses only the last commits of a truncated WAL: what loads is an earlier commit, whole', () => {
    const store = track(new SqliteStore(file));
    store.createTree(storedTree('t'));
    for (let i = 0; i < 20; i++) {
      store.append('t', i * 10 + 1, ops(i * 10 + 1, 10), 'a', i);
      store.commit();
    }
    const copy = join(dir, 'copy.db');
    copyFileSync(file, copy);
    copyFileSync(`${file}-wal`, `${copy}-wal`);
    truncateSync(`${copy}-wal`, Math.floor(statSync(`${copy}-wal`).size / 2));
    const [t] = track(new SqliteStore(copy)).load();
    const n = t?.ops.length ?? 0;
    expect(n % 10).toBe(0);
    expect(n).toBeLessThan(200);
    expect(t?.ops).toEqual(ops(1, n));
    expect(t?.nextId).toBe(n / 10 - 1);
    // Without its WAL at all the file is still a treesync store (the schema lives in the file),
    // holding what was checkpointed: here, nothing yet. SQLite cannot tell a lost WAL from no WAL.
    const bare = join(dir, 'bare.db');
    copyFileSync(file, bare);
    expect(track(new SqliteStore(bare)).load()).toEqual([]);
  });

  it('refuses an unknown schema version, naming the file and the version', () => {
    writeStore(file, 1);
    const raw = new Database(file);
    raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema'").run();
    raw.close();
    expectInternal(() => new SqliteStore(file), file, 'schema version 99');
  });

  it('migrates a version 1 file made by raw SQL: its trees load and its clients keep their lastOpIds', () => {
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE trees (
        name TEXT PRIMARY KEY, epoch TEXT NOT NULL, root_type TEXT NOT NULL,
        snap_seq INTEGER NOT NULL, snap_types TEXT NOT NULL, snap_objects TEXT NOT NULL, next_id INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE scribes (
        tree TEXT NOT NULL, seq INTEGER NOT NULL, op TEXT NOT NULL, origin TEXT NOT NULL, PRIMARY KEY (tree, seq)
      ) WITHOUT ROWID, STRICT;
      CREATE TABLE clients (id TEXT PRIMARY KEY, last_op_id INTEGER NOT NULL) STRICT;
      INSERT INTO meta (key, value) VALUES ('schema', '1');
    `);
    const tree = storedTree('t', { ops: ops(1, 2), origins: ['alice', 'bob'] });
    raw.prepare('INSERT INTO trees VALUES (?, ?, ?, 0, ?, ?, 1)').run('t', tree.epoch, tree.rootType, JSON.stringify(tree.snapshot.types), JSON.stringify(tree.snapshot.objects));
    ops(1, 2).forEach((op, i) => raw.prepare('INSERT INTO scribes VALUES (?, ?, ?, ?)').run('t', i + 1, JSON.stringify(op), tree.origins[i]));
    raw.prepare('INSERT INTO clients VALUES (?, ?)').run('alice', 42);
    raw.prepare('INSERT INTO clients VALUES (?, ?)').run('bob', 7);
    raw.close();

    const before = Date.now();
    const store = track(new SqliteStore(file));
    expect(store.load()).toStrictEqual([tree]);
    const alice = store.client('alice');
    expect(alice).toMatchObject({ lastOpId: 42, seqs: [], answers: [] });
    // Migrated records count as seen at the migration, so none is pruned before a whole TTL.
    expect(alice?.seenAt).toBeGreaterThanOrEqual(before);
    expect(alice?.seenAt).toBeLessThanOrEqual(Date.now());
    expect(store.pruneClients(before)).toBe(0);
    store.saveClient('bob', rec(8, { seqs: [['t', 2]], answers: [['ack', { opId: 8, seq: 2 }]] }));
    store.close();

    const check = new Database(file, { readonly: true });
    expect(check.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get()).toBe(String(SQLITE_SCHEMA_VERSION));
    check.close();
    const again = track(new SqliteStore(file));
    expect(again.client('alice')?.lastOpId).toBe(42);
    expect(again.client('bob')).toEqual(rec(8, { seqs: [['t', 2]], answers: [['ack', { opId: 8, seq: 2 }]] }));
    expect(again.load()).toStrictEqual([tree]);
  });

  it.each([
    ['answers that are not JSON', 'answers', '[["ack", {"opId": 1', 'answers are not JSON'],
    ['answers that are not a list', 'answers', '{"__proto__": {"polluted": true}}', 'answers are not a list'],
    ['an answer with a string opId', 'answers', '[["ack", {"opId": "1", "seq": 2}]]', 'not an ack or a reject'],
    ['a reject with an unknown code', 'answers', '[["reject", {"opId": 1, "code": "NOPE", "message": "m"}]]', 'not an ack or a reject'],
    ['answers out of order', 'answers', '[["ack", {"opId": 2, "seq": 2}], ["ack", {"opId": 1, "seq": 1}]]', 'increasing opId order'],
    ['seqs that are not JSON', 'seqs', 'nope', 'seqs are not JSON'],
    ['seqs with a negative seq', 'seqs', '[["t", -1]]', 'not [tree, seq]'],
  ])('reads a client record with %s without that part, saying so, and keeps its lastOpId', (_, column, text, words) => {
    const store = new SqliteStore(file);
    const good = rec(5, { seqs: [['t', 3]], answers: [['ack', { opId: 5, seq: 3 }]], seenAt: 77 });
    store.saveClient('c"1', good);
    store.close();
    const raw = new Database(file);
    raw.prepare(`UPDATE clients SET ${column} = ? WHERE id = ?`).run(text, 'c"1');
    raw.close();
    const client = track(new SqliteStore(file)).client('c"1');
    expect(client).toMatchObject({ lastOpId: 5, seenAt: 77, [column]: [] });
    expect(client?.[column === 'seqs' ? 'answers' : 'seqs']).toEqual(column === 'seqs' ? good.answers : good.seqs);
    expect(client?.damaged).toContain(file);
    expect(client?.damaged).toContain('c\\"1');
    expect(client?.damaged).toContain(words);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('clamps a lastOpId beyond 2^53 edited into the file, saying so, so that nothing at or below it applies again', () => {
    const store = new SqliteStore(file);
    store.saveClient('c', rec(5));
    store.close();
    const raw = new Database(file);
    raw.prepare("UPDATE clients SET last_op_id = 9223372036854775807 WHERE id = 'c'").run();
    raw.close();
    const client = track(new SqliteStore(file)).client('c');
    expect(client?.lastOpId).toBe(Number.MAX_SAFE_INTEGER);
    expect(client?.damaged).toContain('lastOpId');
  });

  it("refuses another program's database", () => {
    const raw = new Database(file);
    raw.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)');
    raw.close();
    expectInternal(() => new SqliteStore(file), file, 'not a treesync store');
  });

  it.each([
    ['in the middle', 5, 5],
    ['right after the snapshot', 1, 1],
    ['among those kept behind the snapshot', 10, 10],
  ])('refuses to load scribes with a gap %s, naming the tree and the seq', (_, deleted, missing) => {
    const store = new SqliteStore(file);
    store.createTree(storedTree('the "tree"'));
    store.append('the "tree"', 1, ops(1, 12), 'a', 1);
    if (deleted === 10) store.snapshot('the "tree"', { seq: 10, types: [], objects: [] }, 1, 5);
    store.close();
    const raw = new Database(file);
    raw.prepare('DELETE FROM scribes WHERE seq = ?').run(deleted);
    raw.close();
    expectInternal(() => track(new SqliteStore(file)).load(), file, 'the \\"tree\\"', `scribe ${missing}`);
  });

  it('refuses a scribe that is not JSON, naming the tree and the seq', () => {
    writeStore(file, 3);
    const raw = new Database(file);
    raw.prepare("UPDATE scribes SET op = '[0, 1' WHERE seq = 2").run();
    raw.close();
    expectInternal(() => track(new SqliteStore(file)).load(), file, '"t"', 'scribe 2');
  });
});
