/**
 * A server started on an existing store restores every tree exactly, keeps its epoch, continues
 * its seq and ids with no gap and no reuse, and lets clients catch up from their seq.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connectRaw } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { OP, PROTOCOL_VERSION, defineType, t, type JoinedMessage, type WelcomeMessage } from '../../shared/index.js';
import { SyncServer, type Store } from '../../server/index.js';
import { MemoryStore } from '../../server/store/memory-store.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import { mirrorPlain, serverPlain } from '../helpers/compare.js';
import { Board, Card, connect, reach, types, until } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Opens the same store again, as a restarted process would. */
type Reopen = () => Store;
const kinds: [string, () => Reopen][] = [
  ['MemoryStore', () => {
    const store = new MemoryStore();
    // A memory store outlives close() in this process only: enough to test the host's restore.
    return () => store;
  }],
  ['SqliteStore', () => {
    const dir = mkdtempSync(join(tmpdir(), 'treesync-restart-'));
    dirs.push(dir);
    return () => new SqliteStore(join(dir, 'trees.db'));
  }],
];

describe.each(kinds)('restart on a %s', (_, make) => {
  it('restores every tree exactly and continues seq, ids and epoch', async () => {
    const reopen = make();
    const first = new SyncServer({ types, store: reopen(), snapshotEvery: 7 });
    const board = first.tree('board', Board);
    const other = first.tree('other', Card);
    const a = board.root.create(Card, { title: 'a', tags: { x: 1 }, items: ['p', 'q'] });
    const b = a.create(Card, { title: 'b' });
    for (let i = 0; i < 20; i++) a.attrs.votes.add(1);
    a.attrs.items.move(0, 1);
    b.move(board.root, 0);
    expect(() => board.transact(() => {
      board.root.create(Card, { title: 'rolled back' });
      throw new Error('no');
    })).toThrow('no');
    other.root.attrs.items.push('z');
    const port = await first.listen(0);
    const client = connect(`http://127.0.0.1:${port}`);
    const mirror = await client.join('board', Board);
    await mirror.view(a.id, Card).attrs.title.set('from a client');
    const before = { board: serverPlain(board), other: serverPlain(other), seq: board.seq, epoch: board.epoch, nextId: board.nextId };
    client.close();
    await first.close();

    const second = new SyncServer({ types, store: reopen(), snapshotEvery: 7 });
    try {
      const again = second.tree('board');
      expect(serverPlain(again)).toEqual(before.board);
      expect(serverPlain(second.tree('other'))).toEqual(before.other);
      expect([again.seq, again.epoch, again.nextId]).toEqual([before.seq, before.epoch, before.nextId]);
      const c = again.root.create(Card, { title: 'after' });
      expect(c.id).toBe(before.nextId);
      expect(again.seq).toBe(before.seq + 1);
    } finally {
      await second.close();
    }
  });

  it('lets a client catch up from its seq after a restart, without a snapshot', async () => {
    const reopen = make();
    const first = new SyncServer({ types, store: reopen() });
    const board = first.tree('board', Board);
    for (let i = 0; i < 50; i++) board.root.create(Card, { title: `card ${i}` });
    const port = await first.listen(0);
    const raw = connectRaw(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { v: PROTOCOL_VERSION, clientId: 'raw' } });
    const joined: JoinedMessage[] = [];
    raw.on('joined', (m: JoinedMessage) => joined.push(m));
    raw.on('welcome', () => raw.emit('join', joined.length === 0 ? { tree: 'board' } : { tree: 'board', since: joined[0]?.seq, epoch: joined[0]?.epoch }));
    await until(() => joined.length === 1);
    await first.close();
    const second = new SyncServer({ types, store: reopen() });
    try {
      second.tree('board', Board).root.attrs.title.set('changed while away');
      const batches: unknown[][] = [];
      raw.on('b', (...args: unknown[]) => batches.push(args));
      await second.listen(port);
      await until(() => joined.length === 2 && batches.length === 1);
      expect(joined[1]?.snapshot).toBeUndefined();
      expect(joined[1]?.epoch).toBe(joined[0]?.epoch);
      expect(batches[0]?.[1]).toBe(51);
      expect(batches[0]?.[2]).toEqual([[OP.set, 0, 0, 'changed while away']]);
    } finally {
      raw.close();
      await second.close();
    }
  });

  it('converges a client that reconnects to the restarted server', async () => {
    const reopen = make();
    const first = new SyncServer({ types, store: reopen() });
    first.tree('board', Board).root.create(Card, { title: 'kept' });
    const port = await first.listen(0);
    const client = connect(`http://127.0.0.1:${port}`);
    const mirror = await client.join('board', Board);
    let drops = 0;
    client.on('disconnect', () => drops++);
    await first.close();
    await until(() => drops === 1);
    const second = new SyncServer({ types, store: reopen() });
    try {
      const tree = second.tree('board');
      tree.root.create(Card, { title: 'new' });
      await second.listen(port);
      await reach(mirror, tree.seq);
      expect(mirrorPlain(mirror.state)).toEqual(serverPlain(tree));
      const ack = await mirror.root.create(Card, { title: 'from the client' });
      expect(tree.get(ack.id)?.get('title')).toBe('from the client');
    } finally {
      client.close();
      await second.close();
    }
  });
});

/** A raw socket.io client that records what the server sends, for wire-level checks across restarts. */
function rawClient(port: number, clientId: string) {
  const socket = connectRaw(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { v: PROTOCOL_VERSION, clientId }, reconnection: false });
  const got = { welcome: [] as WelcomeMessage[], joined: [] as JoinedMessage[], answers: [] as unknown[] };
  socket.on('welcome', (m: WelcomeMessage) => got.welcome.push(m));
  socket.on('joined', (m: JoinedMessage) => got.joined.push(m));
  socket.on('ack', (m: unknown) => got.answers.push(m));
  socket.on('reject', (m: unknown) => got.answers.push(m));
  return { socket, got };
}

describe.each(kinds)('client records across a restart on a %s', (_, make) => {
  it('answers a resend whose ack was lost with the real ack after a restart, applying it once', async () => {
    const reopen = make();
    const first = new SyncServer({ types, store: reopen() });
    first.tree('board', Board);
    const port = await first.listen(0);
    const a = rawClient(port, 'lossy');
    await until(() => a.got.welcome.length === 1);
    expect(a.got.welcome[0]).toMatchObject({ lastOpId: 0, known: false });
    a.socket.emit('join', { tree: 'board' });
    await until(() => a.got.joined.length === 1);
    const create = { tree: 'board', opId: 1, baseSeq: 0, seen: 0, ops: [[OP.create, -1, 1, 0, -1, { title: 'once' }], [OP.add, -1, 1, 3]] };
    const bad = { tree: 'board', opId: 2, baseSeq: 0, seen: 0, ops: [[OP.add, 0, 0, 1]] };
    a.socket.emit('propose', create);
    a.socket.emit('propose', bad);
    // The answers reach this socket, but the client is taken to have lost them: it never sends `seen` for them.
    await until(() => a.got.answers.length === 2);
    const lost = a.got.answers;
    expect(lost).toMatchObject([{ opId: 1, seq: 2, ids: [1] }, { opId: 2, code: 'WRONG_KIND' }]);
    a.socket.close();
    await first.close();

    const second = new SyncServer({ types, store: reopen() });
    try {
      const again = second.tree('board');
      await second.listen(port);
      const b = rawClient(port, 'lossy');
      await until(() => b.got.welcome.length === 1);
      expect(b.got.welcome[0]).toMatchObject({ lastOpId: 2, known: true });
      b.socket.emit('join', { tree: 'board', since: 0, epoch: a.got.joined[0]?.epoch });
      await until(() => b.got.joined.length === 1);
      b.socket.emit('propose', create);
      b.socket.emit('propose', bad);
      await until(() => b.got.answers.length === 2);
      expect(b.got.answers).toEqual(lost);
      expect(again.seq).toBe(2);
      expect(again.root.children.map((c) => [c.get('title'), c.get('votes')])).toEqual([['once', 3]]);
      expect(second.host.clientRecord('lossy')).toMatchObject({ lastOpId: 2, seqs: new Map([['board', 0]]) });
      b.socket.close();
    } finally {
      await second.close();
    }
  });

  it('welcomes with known: true while the server has a record of the client id, false once it was pruned', async () => {
    const reopen = make();
    const first = new SyncServer({ types, store: reopen(), clientTtlMs: 60_000 });
    first.tree('board', Board);
    const port = await first.listen(0);
    const a = rawClient(port, 'kept');
    await until(() => a.got.welcome.length === 1);
    expect(a.got.welcome[0]?.known).toBe(false);
    a.socket.emit('join', { tree: 'board' });
    await until(() => a.got.joined.length === 1);
    a.socket.emit('propose', { tree: 'board', opId: 5, baseSeq: 0, ops: [[OP.set, 0, 0, 'x']] });
    await until(() => a.got.answers.length === 1);
    a.socket.close();
    const stranger = rawClient(port, 'stranger');
    await until(() => stranger.got.welcome.length === 1);
    stranger.socket.close();
    await first.close();

    const second = new SyncServer({ types, store: reopen(), clientTtlMs: 60_000 });
    try {
      await second.listen(port);
      const b = rawClient(port, 'kept');
      await until(() => b.got.welcome.length === 1);
      expect(b.got.welcome[0]).toMatchObject({ lastOpId: 5, known: true });
      b.socket.close();
      const s = rawClient(port, 'stranger');
      await until(() => s.got.welcome.length === 1);
      expect(s.got.welcome[0]).toMatchObject({ lastOpId: 0, known: false });
      s.socket.close();
      await until(() => second.sessionCount === 0);
      // Two minutes later: past the TTL, the record is gone from memory and from the store.
      second.host.pruneClients(Date.now() + 120_000);
      expect(second.host.clientRecord('kept')).toBeUndefined();
      const c = rawClient(port, 'kept');
      await until(() => c.got.welcome.length === 1);
      expect(c.got.welcome[0]).toMatchObject({ lastOpId: 0, known: false });
      c.socket.close();
    } finally {
      await second.close();
    }
  });
});

describe('restart with changed types', () => {
  const V1 = defineType('Note', { title: t.string(), votes: t.number(0), tags: t.list(t.string()) });
  const V2 = defineType('Note', { pinned: t.boolean(true), tags: t.list(t.string()), title: t.string(), votes: t.number(0) });
  const Removed = defineType('Note', { title: t.string(), tags: t.list(t.string()) });
  const Rekinded = defineType('Note', { title: t.string(), votes: t.string(), tags: t.list(t.string()) });

  function storeWithNotes(): Reopen {
    const dir = mkdtempSync(join(tmpdir(), 'treesync-layout-'));
    dirs.push(dir);
    const reopen = (): Store => new SqliteStore(join(dir, 'trees.db'));
    return reopen;
  }

  it('restores values by attribute name when a type gained and reordered attributes', async () => {
    const reopen = storeWithNotes();
    const first = new SyncServer({ types: [Board, V1], store: reopen(), snapshotEvery: 1_000 });
    const board = first.tree('board', Board);
    const note = board.root.create(V1, { title: 'n', votes: 3, tags: ['a'] });
    note.attrs.votes.add(2);
    note.attrs.tags.push('b');
    await first.close();
    const second = new SyncServer({ types: [V2, Board], store: reopen() });
    try {
      const again = second.tree('board', Board).get(note.id);
      if (again === undefined || !again.is(V2)) return expect.unreachable('the note was not restored as a Note');
      expect([again.get('title'), again.get('votes'), again.get('tags'), again.get('pinned')]).toEqual(['n', 5, ['a', 'b'], true]);
    } finally {
      await second.close();
    }
  });

  it.each([
    ['lost an attribute', Removed, 'votes'],
    ['changed an attribute kind', Rekinded, 'votes'],
  ])('refuses to start, naming it, when a type %s', async (_, Changed, attr) => {
    const reopen = storeWithNotes();
    const first = new SyncServer({ types: [Board, V1], store: reopen() });
    first.tree('board', Board).root.create(V1, { title: 'n', votes: 3 });
    await first.close();
    const store = reopen();
    expect(() => new SyncServer({ types: [Board, Changed], store })).toThrow(new RegExp(`board.*${attr}`));
    store.close();
  });
});
