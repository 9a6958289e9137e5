/** What only a file can do wrong: damage, truncation, another schema version, a gap in the scribes. */
import { copyFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../../server/store/sqlite-store.js';
import { dir, expectInternal, file, ops, rec, setOp, storedTree, track, useStoreFiles } from './store-support.js';

useStoreFiles();

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
