import { describe, expect, it, vi } from 'vitest';
import { io as connectRaw } from 'socket.io-client';
import { ErrorCode, OP, PROTOCOL_VERSION, SyncError } from '../../shared/index.js';
import type { ChangeEvent, DestroyEvent, MoveEvent } from '../../client/index.js';
import { mirrorPlain, serverPlain } from '../helpers/compare.js';
import { Board, Card, connect, reach, startServer, types, until } from './fixtures.js';

describe('SyncServer with real socket.io clients', () => {
  it('sends a snapshot on join, then the live scribes, to every client', async () => {
    const { server, url } = await startServer();
    const tree = server.tree('board', Board);
    const a = tree.root.create(Card, { title: 'a', tags: { x: 1 }, items: ['p'] });
    a.create(Card, { title: 'a.1' });
    const [ma, mb] = await Promise.all([connect(url).join('board', Board), connect(url).join('board', Board)]);
    expect(mirrorPlain(ma.state)).toEqual(serverPlain(tree));
    expect(ma.view(a.id, Card).get('title')).toBe('a');

    const changes: ChangeEvent[] = [];
    mb.on('change', (e) => changes.push(e));
    a.attrs.votes.add(2);
    a.attrs.done.set(true);
    a.attrs.meta.set({ deep: [1, { x: null }] });
    a.attrs.tags.put('y', 2);
    a.attrs.tags.delete('x');
    a.attrs.items.push('q', 'r');
    a.attrs.items.move(0, 2);
    a.attrs.items.replace(0, 'Q');
    a.attrs.items.remove(1);
    await Promise.all([reach(ma, tree.seq), reach(mb, tree.seq)]);
    expect(mirrorPlain(ma.state)).toEqual(serverPlain(tree));
    expect(mirrorPlain(mb.state)).toEqual(serverPlain(tree));
    expect(mb.view(a.id, Card).get('items')).toEqual(['Q', 'p']);
    // One event per attribute per batch; all nine ops were in few batches.
    const votes = changes.filter((e) => e.attr === 'votes');
    expect(votes.at(-1)?.newValue).toBe(2);
    expect(votes.flatMap((e) => e.ops).map((o) => o.origin)).toEqual(['server']);
  });

  it('delivers creates, subtree destroys and moves with events', async () => {
    const { server, url } = await startServer();
    const tree = server.tree('board', Board);
    const a = tree.root.create(Card, { title: 'a' });
    const b = tree.root.create(Card, { title: 'b' });
    const mirror = await connect(url).join('board');
    const destroyed: DestroyEvent[] = [];
    const moved: MoveEvent[] = [];
    const created: number[] = [];
    mirror.on('destroy', (e) => destroyed.push(e));
    mirror.on('move', (e) => moved.push(e));
    mirror.on('create', (v) => created.push(v.id));

    const a1 = a.create(Card, { title: 'a1' });
    const a2 = a1.create(Card, { title: 'a2' });
    b.move(a, 0);
    await reach(mirror, tree.seq);
    expect(created).toEqual([a1.id, a2.id]);
    expect(moved).toEqual([{ id: b.id, oldParent: 0, newParent: a.id, index: 0 }]);
    expect(mirror.state.objects[a.id]?.children).toEqual([b.id, a1.id]);
    expect([mirror.get(b.id)?.index, mirror.get(a1.id)?.index, mirror.root.index]).toEqual([0, 1, -1]);
    expect([b.index, a1.index, tree.root.index]).toEqual([0, 1, -1]);

    a.destroy();
    await reach(mirror, tree.seq);
    expect(destroyed.map((e) => e.id).sort()).toEqual([a.id, b.id, a1.id, a2.id].sort());
    expect(mirror.get(a2.id)).toBeUndefined();
    expect(mirrorPlain(mirror.state)).toEqual(serverPlain(tree));
  });

  it('acks client mutations once the mirror shows them, and every client sees them', async () => {
    const { server, url } = await startServer();
    const tree = server.tree('board', Board);
    const [ma, mb] = await Promise.all([connect(url).join('board', Board), connect(url).join('board', Board)]);
    const card = await ma.root.create(Card, { title: 'from a' });
    expect(card.get('title')).toBe('from a');
    const ack = await card.attrs.votes.add(5);
    expect(ack.seq).toBe(tree.seq);
    expect(card.get('votes')).toBe(5);
    await reach(mb, ack.seq);
    expect(mb.get(card.id)?.get('votes')).toBe(5);
    const origins = new Set<string>();
    mb.on('change', (e) => e.ops.forEach((o) => origins.add(o.origin)));
    const client = connect(url);
    const mc = await client.join('board');
    await mc.view(card.id, Card).attrs.title.set('from c');
    await reach(mb, tree.seq);
    expect([...origins]).toEqual([client.clientId]);
    expect(tree.get(card.id)?.get('title')).toBe('from c');
  });

  it('rejects a refused proposal with its code, and applies nothing of its transaction', async () => {
    const { server, url } = await startServer({
      hooks: { canMutate: ({ ops }) => !ops.some((op) => op[0] === OP.destroy) },
    });
    const tree = server.tree('board', Board);
    const keep = tree.root.create(Card, { title: 'keep' });
    const mirror = await connect(url).join('board');
    const seq = tree.seq;
    const view = mirror.view(keep.id, Card);
    const tx = mirror.transact(() => {
      void view.attrs.title.set('changed');
      void view.destroy();
    });
    await expect(tx).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    expect(tree.seq).toBe(seq);
    expect(keep.get('title')).toBe('keep');
    // A server-side check the client cannot make locally: the index moved under it.
    const raced = view.attrs.items.remove(0);
    await expect(raced).rejects.toBeInstanceOf(SyncError);
  });

  it('commits a client transaction all together', async () => {
    const { server, url } = await startServer();
    const tree = server.tree('board', Board);
    const [ma, mb] = await Promise.all([connect(url).join('board', Board), connect(url).join('board', Board)]);
    const batches: number[] = [];
    mb.on('batch', (s) => batches.push(s.seq));
    const before = batches.length;
    const ack = await ma.transact(() => {
      void ma.root.attrs.title.set('renamed');
      void ma.root.create(Card, { title: 'one' });
      void ma.root.create(Card, { title: 'two' });
    });
    expect(ack.ids).toHaveLength(2);
    await reach(mb, ack.seq);
    expect(batches.length - before).toBe(1);
    expect(mirrorPlain(mb.state)).toEqual(serverPlain(tree));
  });

  it('emits nothing for a server transaction that throws', async () => {
    const { server, url } = await startServer();
    const tree = server.tree('board', Board);
    const mirror = await connect(url).join('board');
    const seq = tree.seq;
    expect(() =>
      tree.transact(() => {
        tree.root.create(Card, { title: 'ghost' });
        tree.root.attrs.title.set('ghost');
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    tree.root.attrs.title.set('real');
    await reach(mirror, tree.seq);
    expect(tree.seq).toBe(seq + 1);
    expect(mirror.root.state.children).toEqual([]);
    expect(mirror.root.get('title')).toBe('real');
  });

  it('reconnects by itself, keeps its client id, and catches up from its seq', async () => {
    const { server, url } = await startServer();
    const tree = server.tree('board', Board);
    const card = tree.root.create(Card, { title: 'c' });
    const client = connect(url);
    const mirror = await client.join('board');
    const ids: string[] = [];
    server.on('connection', (s) => ids.push(s.clientId));
    let dropped = 0;
    client.on('disconnect', () => dropped++);
    for (const socket of server.io.sockets.sockets.values()) socket.conn.close();
    await until(() => dropped === 1);
    card.attrs.votes.add(1);
    tree.root.create(Card, { title: 'while away' });
    const pending = mirror.view(card.id, Card).attrs.votes.add(10);
    await until(() => ids.length === 1);
    await pending;
    await reach(mirror, tree.seq);
    expect(ids).toEqual([client.clientId]);
    expect(card.get('votes')).toBe(11);
    expect(mirrorPlain(mirror.state)).toEqual(serverPlain(tree));
  });

  it('takes a snapshot, not a catch-up, from a restarted server whose tree went past its seq', async () => {
    const { SyncServer } = await import('../../server/index.js');
    const first = new SyncServer({ types });
    const old = first.tree('board', Board);
    old.root.create(Card, { title: 'only in the old history' });
    const port = await first.listen(0);
    const client = connect(`http://127.0.0.1:${port}`);
    const mirror = await client.join('board', Board);
    let drops = 0;
    client.on('disconnect', () => drops++);
    await first.close();
    await until(() => drops === 1);
    const second = new SyncServer({ types });
    const fresh = second.tree('board', Board);
    for (let i = 0; i < 3; i++) fresh.root.create(Card, { title: `new ${i}` });
    await second.listen(port);
    try {
      await until(() => mirror.seq === fresh.seq && mirror.root.state.children.length === 3);
      expect(mirrorPlain(mirror.state)).toEqual(serverPlain(fresh));
    } finally {
      client.close();
      await second.close();
    }
  });

  it('answers hostile raw messages with coded errors and keeps serving others', async () => {
    const { server, url } = await startServer();
    const tree = server.tree('board', Board);
    const mirror = await connect(url).join('board');
    const raw = connectRaw(url, { transports: ['websocket'], auth: { v: PROTOCOL_VERSION, clientId: 'hostile' } });
    const answers: { code: string }[] = [];
    raw.on('error', (e: { code: string }) => answers.push(e));
    raw.on('reject', (e: { code: string }) => answers.push(e));
    await new Promise<void>((resolve) => raw.on('welcome', () => resolve()));
    raw.emit('join', { tree: 'board' });
    raw.emit('nonsense', 1);
    raw.emit('join', 'board');
    raw.emit('join', { tree: 'x'.repeat(10_000) });
    raw.emit('propose', { tree: 'board', opId: 1, baseSeq: 0, ops: [[OP.set, 0, 0, { __proto__: 1 }]] });
    raw.emit('propose', JSON.parse('{"tree":"board","opId":2,"baseSeq":0,"ops":[[0,0,0,{"__proto__":{"x":1}}]]}'));
    raw.emit('propose', { tree: 'board', opId: 3, baseSeq: 0, ops: [[OP.add, 0, 0, 1]] });
    raw.emit('propose', { tree: 'board', opId: 4, baseSeq: 0, ops: [[OP.create, -1, 99, 0, 0, {}]] });
    raw.emit('propose', { tree: 'board', opId: 5, baseSeq: 0, ops: Array.from({ length: 2000 }, () => [OP.set, 0, 0, 'x']) });
    raw.emit('propose', { tree: 'board', opId: 6, baseSeq: 0, ops: [[OP.set, 0, 0, 'x'.repeat(2_000_000)]] });
    raw.emit('propose', { tree: 'board', opId: 7, baseSeq: 0, ops: [[OP.move, 0, 0, 0]] });
    await until(() => answers.length >= 10);
    raw.close();
    expect(answers.map((a) => a.code)).toEqual([
      ErrorCode.UNKNOWN_MESSAGE,
      ErrorCode.BAD_MESSAGE,
      ErrorCode.TOO_LARGE,
      ErrorCode.BAD_VALUE,
      ErrorCode.BAD_KEY,
      ErrorCode.WRONG_KIND,
      ErrorCode.UNKNOWN_TYPE,
      ErrorCode.TOO_LARGE,
      ErrorCode.TOO_LARGE,
      ErrorCode.BAD_PARENT,
    ]);
    expect(tree.seq).toBe(0);
    tree.root.attrs.title.set('still here');
    await reach(mirror, tree.seq);
    expect(mirror.root.get('title')).toBe('still here');
  });

  it('lets one connection per client id live: a newer one takes over, the older gets SUPERSEDED', async () => {
    const { server, url } = await startServer();
    const tree = server.tree('board', Board);
    const first = connect(url, 'same-id');
    const m1 = await first.join('board', Board);
    await m1.root.attrs.title.set('from first');
    const errors: string[] = [];
    first.on('error', (e) => errors.push(e.code));
    const second = connect(url, 'same-id');
    const m2 = await second.join('board', Board);
    await until(() => errors.length > 0);
    expect(errors).toEqual([ErrorCode.SUPERSEDED]);
    expect(server.sessionCount).toBe(1);
    // The newer connection's opIds continue after the older one's: its change is applied, not taken for a resend.
    await m2.root.attrs.title.set('from second');
    expect(tree.root.get('title')).toBe('from second');
  });

  it('refuses a handshake with another protocol version', async () => {
    const { url } = await startServer();
    const raw = connectRaw(url, { transports: ['websocket'], auth: { v: 999, clientId: 'old' }, reconnection: false });
    const error = await new Promise<Error & { data?: { code: string } }>((resolve) => raw.on('connect_error', resolve));
    raw.close();
    expect(error.data?.code).toBe(ErrorCode.PROTOCOL_VERSION);
  });
});

describe('joined snapshots', () => {
  it('are encoded once per tree version, and a joiner after a change sees the change', async () => {
    const { server, url } = await startServer();
    const tree = server.tree('board', Board);
    const card = tree.root.create(Card, { title: 'a', items: ['p'] });
    const encodings = (): number => stringify.mock.calls.filter(([value]) => Array.isArray(value) && value[0] === 'joined').length;
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const [ma, mb] = await Promise.all([connect(url).join('board', Board), connect(url).join('board', Board)]);
      expect(encodings()).toBe(1);
      expect(mirrorPlain(ma.state)).toEqual(serverPlain(tree));
      expect(mirrorPlain(mb.state)).toEqual(serverPlain(tree));
      // A change in place of a list the cached snapshot shares must not reach later joiners stale.
      card.attrs.items.push('q');
      const mc = await connect(url).join('board', Board);
      expect(encodings()).toBe(2);
      expect(mc.view(card.id, Card).get('items')).toEqual(['p', 'q']);
      expect(mirrorPlain(mc.state)).toEqual(serverPlain(tree));
    } finally {
      stringify.mockRestore();
    }
  });
});
