/**
 * Optimistic mirrors and offline queues, over a real SyncHost and real SyncClients on the
 * in-memory network (delivery is stepped by hand, so each interleaving is exact).
 */
import { describe, expect, it } from 'vitest';
import { SyncClient, type ChangeEvent, type Mirror, type ObjectView, type StorageLike } from '../../client/index.js';
import { ErrorCode, SyncError, type AttrsOf } from '../../shared/index.js';
import type { Tree } from '../../server/index.js';
import { mirrorPlain, serverPlain } from '../helpers/compare.js';
import { MemoryNetwork, type MemoryTransport } from '../helpers/memory-network.js';
import { Card, types } from './types.js';

/** A Web Storage stand-in (a page's sessionStorage survives its reload; this survives the client). */
class MapStorage implements StorageLike {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

type CardAttrs = AttrsOf<typeof Card>;

interface Setup {
  net: MemoryNetwork;
  tree: Tree<CardAttrs>;
}

function setup(): Setup {
  const net = new MemoryNetwork({ types, flush: { mode: 'immediate' } });
  const tree = net.host.tree('board', Card);
  return { net, tree };
}

async function client(net: MemoryNetwork, options: { clientId?: string; storage?: StorageLike | null; warnings?: string[] } = {}): Promise<{ client: SyncClient; transport: MemoryTransport; mirror: Mirror<CardAttrs> }> {
  const transport = net.transport();
  const warnings = options.warnings;
  const c = new SyncClient({
    transport,
    types,
    storage: options.storage ?? null,
    ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
    ...(warnings === undefined ? {} : { logger: { warn: (msg: string) => void warnings.push(msg) } }),
  });
  const joined = c.join('board', Card);
  await net.settle();
  return { client: c, transport, mirror: await joined };
}

const votes = (view: ObjectView | undefined): unknown => view?.get('votes' as never);

describe('optimistic mirror', () => {
  it('shows a mutation at once, as pending, and confirms it without a second change', async () => {
    const { net, tree } = setup();
    const { mirror } = await client(net);
    const changes: ChangeEvent[] = [];
    mirror.on('change', (e) => changes.push(e));
    const done = mirror.root.attrs.title.set('hello') as Promise<unknown>;
    expect(mirror.root.get('title' as never)).toBe('hello');
    expect(mirror.confirmed.objects[0]?.values['title']).toBe('');
    expect(mirror.pending).toBe(1);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.ops[0]?.pending).toBe(true);
    await net.settle();
    await done;
    expect(mirror.pending).toBe(0);
    expect(mirror.state).toBe(mirror.confirmed);
    expect(changes).toHaveLength(1);
    expect(tree.root.get('title')).toBe('hello');
  });

  it('never shows an add twice when the broadcast comes before the ack', async () => {
    const { net, tree } = setup();
    const { mirror, transport } = await client(net);
    const seen: unknown[] = [];
    mirror.on('change', (e) => seen.push(e.newValue));
    void mirror.root.attrs.votes.add(5);
    expect(votes(mirror.root)).toBe(5);
    transport.deliver('toServer');
    // The host answers with the broadcast first, then the ack: deliver only the broadcast.
    expect(transport.toClient[0]?.[0]).toBe('b');
    transport.deliver('toClient');
    expect(mirror.confirmed.objects[0]?.values['votes']).toBe(5);
    expect(votes(mirror.root)).toBe(5);
    await net.settle();
    expect(votes(mirror.root)).toBe(5);
    expect(tree.root.get('votes')).toBe(5);
    expect(seen).toEqual([5]);
  });

  it('rebases pending mutations over other clients\' changes', async () => {
    const { net, tree } = setup();
    const { mirror, transport } = await client(net);
    void mirror.root.attrs.votes.add(1);
    tree.root.attrs.votes.add(10);
    // The server's own change arrives first; ours is still pending on top.
    transport.deliver('toClient');
    expect(mirror.confirmed.objects[0]?.values['votes']).toBe(10);
    expect(votes(mirror.root)).toBe(11);
    await net.settle();
    expect(votes(mirror.root)).toBe(11);
    expect(tree.root.get('votes')).toBe(11);
  });

  it('shows objects created while pending under local ids, then under their real ids', async () => {
    const { net, tree } = setup();
    const { mirror } = await client(net);
    const created = mirror.root.create(Card, { title: 'new' });
    const local = mirror.root.children[0];
    expect(local?.id).toBeLessThan(-1_000_000);
    expect(local?.get('title' as never)).toBe('new');
    await net.settle();
    const real = await created;
    expect(real.id).toBeGreaterThan(0);
    expect(mirror.root.children.map((c) => c.id)).toEqual([real.id]);
    expect(local?.alive).toBe(false);
    expect(mirrorPlain(mirror.state)).toEqual(serverPlain(tree));
  });
});

describe('optimistic mirror under concurrency', () => {
  it('a client that keeps proposing still sees the others\' changes as they come', async () => {
    const { net, tree } = setup();
    const { mirror, transport } = await client(net);
    void mirror.root.attrs.votes.add(1);
    transport.deliver('toServer');
    tree.root.attrs.title.set('from the server');
    void mirror.root.attrs.votes.add(1);
    // Our first add comes back (broadcast, then ack), then the server's change; the second add is still in flight.
    transport.deliver('toClient');
    transport.deliver('toClient');
    transport.deliver('toClient');
    expect(mirror.pending).toBe(1);
    expect(mirror.root.get('title')).toBe('from the server');
    expect(mirror.root.get('votes')).toBe(2);
    await net.settle();
    expect(mirror.root.get('votes')).toBe(2);
    expect(tree.root.get('votes')).toBe(2);
  });

  it('drops a pending change whose object another client destroyed, with the events of that', async () => {
    const { net, tree } = setup();
    const card = tree.root.create(Card, { title: 'x' });
    const { mirror, transport } = await client(net);
    transport.drop();
    const view = mirror.view(card.id, Card);
    const lost = view.attrs.title.set('mine');
    lost.catch(() => undefined);
    expect(view.get('title')).toBe('mine');
    const destroyed: number[] = [];
    mirror.on('destroy', (e) => destroyed.push(e.id));
    card.destroy();
    transport.reconnect();
    // Welcome, joined, and the destroying batch: the pending set no longer fits and leaves the shown state.
    while (transport.toClient.length > 0 || transport.toServer.length > 0) {
      if (!transport.deliver('toClient')) transport.deliver('toServer');
      if (destroyed.length > 0) break;
    }
    expect(destroyed).toEqual([card.id]);
    expect(mirror.get(card.id)).toBeUndefined();
    await net.settle();
    await expect(lost).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_OBJECT });
    expect(mirror.pending).toBe(0);
  });

  it('re-applies pending changes over a fresh snapshot when the log no longer reaches back', async () => {
    const net = new MemoryNetwork({ types, flush: { mode: 'immediate' }, logWindow: 3 });
    const tree = net.host.tree('board', Card);
    const { mirror, transport } = await client(net);
    transport.drop();
    const done = mirror.root.attrs.votes.add(100);
    for (let i = 0; i < 10; i++) tree.root.attrs.votes.add(1);
    tree.root.attrs.title.set('moved on');
    transport.reconnect();
    // Deliver the welcome and the snapshot, not yet our proposal's answer. The snapshot may hold our
    // proposal already (it was sent): the shown state waits for the answer rather than show it twice.
    transport.deliver('toClient');
    transport.deliver('toServer');
    transport.deliver('toClient');
    expect(mirror.confirmed.seq).toBe(tree.seq);
    expect(mirror.root.get('title')).toBe('');
    expect(mirror.root.get('votes')).toBe(100);
    transport.deliver('toServer');
    transport.deliver('toClient');
    transport.deliver('toClient');
    expect(mirror.root.get('title')).toBe('moved on');
    expect(mirror.root.get('votes')).toBe(110);
    await net.settle();
    await done;
    expect(tree.root.get('votes')).toBe(110);
    expect(mirrorPlain(mirror.state)).toEqual(serverPlain(tree));
  });
});

describe('offline queue', () => {
  it('keeps accepting mutations offline, shows them, and replays them in order on reconnect', async () => {
    const { net, tree } = setup();
    const { mirror, transport } = await client(net);
    transport.drop();
    const results = [
      mirror.root.attrs.title.set('offline') as Promise<unknown>,
      mirror.root.attrs.votes.add(2) as Promise<unknown>,
      mirror.root.attrs.votes.add(3) as Promise<unknown>,
    ];
    const card = mirror.root.create(Card, { title: 'c' });
    // A change to the object created offline: waits for the server to name it.
    const local = mirror.view((mirror.root.children[0] as ObjectView).id, Card);
    const renamed = local.attrs.title.set('renamed') as Promise<unknown>;
    const tagged = mirror.transact(() => void local.attrs.tags.put('k', 1));
    expect(mirror.pending).toBe(6);
    expect(mirror.root.get('title' as never)).toBe('offline');
    expect(votes(mirror.root)).toBe(5);
    expect(local.get('title' as never)).toBe('renamed');
    expect(tree.seq).toBe(0);
    transport.reconnect();
    await net.settle();
    await Promise.all([...results, card, renamed, tagged]);
    const real = await card;
    expect(tree.root.get('title')).toBe('offline');
    expect(tree.root.get('votes')).toBe(5);
    expect(tree.get(real.id)?.get('title' as never)).toBe('renamed');
    expect(tree.get(real.id)?.get('tags' as never)).toEqual({ k: 1 });
    expect(mirror.pending).toBe(0);
    expect(mirrorPlain(mirror.state)).toEqual(serverPlain(tree));
  });

  it('reports mutations that became invalid offline, and applies the rest', async () => {
    const { net, tree } = setup();
    const card = tree.root.create(Card, { title: 'doomed' });
    const { client: c, mirror, transport } = await client(net);
    transport.drop();
    const view = mirror.view(card.id, Card);
    const lost = view.attrs.title.set('too late') as Promise<unknown>;
    const child = view.create(Card, { title: 'orphan' });
    const childView = mirror.view((view.children[0] as ObjectView).id, Card);
    const orphaned = childView.attrs.votes.add(1) as Promise<unknown>;
    const kept = mirror.root.attrs.votes.add(7) as Promise<unknown>;
    lost.catch(() => undefined);
    child.catch(() => undefined);
    orphaned.catch(() => undefined);
    const rejects: [string, string][] = [];
    c.on('reject', (error, tree) => rejects.push([error.code, tree]));
    const mirrorRejects: string[] = [];
    mirror.on('reject', (error) => mirrorRejects.push(error instanceof SyncError ? error.code : 'not a SyncError'));
    card.destroy();
    transport.reconnect();
    await net.settle();
    await expect(lost).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_OBJECT });
    await expect(child).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_OBJECT });
    await expect(orphaned).rejects.toBeInstanceOf(SyncError);
    await kept;
    expect(rejects.map((r) => r[0])).toEqual([ErrorCode.UNKNOWN_OBJECT, ErrorCode.UNKNOWN_OBJECT, ErrorCode.UNKNOWN_OBJECT]);
    expect(rejects.every((r) => r[1] === 'board')).toBe(true);
    expect(mirrorRejects).toHaveLength(3);
    expect(tree.root.get('votes')).toBe(7);
    expect(mirror.pending).toBe(0);
    expect(mirrorPlain(mirror.state)).toEqual(serverPlain(tree));
  });

  it('survives a reload: a new client with the same id and storage replays the queue exactly once', async () => {
    const { net, tree } = setup();
    const storage = new MapStorage();
    const first = await client(net, { clientId: 'tab-1', storage });
    void first.mirror.root.attrs.votes.add(1).catch(() => undefined);
    // The first add reaches the server, but the connection dies before the ack comes back.
    first.transport.deliver('toServer');
    expect(tree.root.get('votes')).toBe(1);
    first.transport.drop();
    for (let i = 0; i < 4; i++) void first.mirror.root.attrs.votes.add(1).catch(() => undefined);
    void first.mirror.root.create(Card, { title: 'made offline' }).catch(() => undefined);
    const local = first.mirror.view((first.mirror.root.children.at(-1) as ObjectView).id, Card);
    void local.attrs.votes.set(9).catch(() => undefined);
    first.client.close();
    await Promise.resolve();
    expect(storage.map.size).toBe(1);

    // The reloaded page: it joins the queue's tree by itself, before the app asks.
    const transport = net.transport();
    const second = new SyncClient({ transport, types, clientId: 'tab-1', storage });
    const rejects: string[] = [];
    second.on('reject', (error) => rejects.push(error.code));
    await net.settle();
    const mirror = await second.join('board', Card);
    await net.settle();
    expect(rejects).toEqual([]);
    expect(tree.root.get('votes')).toBe(5);
    const made = tree.root.children.find((c) => c.get('title' as never) === 'made offline');
    expect(made?.get('votes' as never)).toBe(9);
    expect(mirror.pending).toBe(0);
    expect(mirrorPlain(mirror.state)).toEqual(serverPlain(tree));
    await Promise.resolve();
    expect(storage.map.size).toBe(0);
    second.close();
  });

  it('discards a corrupt stored queue with a warning, and works on', async () => {
    const { net, tree } = setup();
    for (const junk of ['{', '{"v":1,"nextOpId":1,"nextLocal":0,"real":[],"entries":[]}', JSON.stringify({ v: 1, nextOpId: 5, nextLocal: -(2 ** 31) - 1, real: [], entries: [{ tree: 'board', local: [[99, 0]], creates: [] }] }), '[]', 'null', JSON.stringify({ v: 1, nextOpId: 5, nextLocal: -(2 ** 31) - 1, real: [], entries: [{ tree: 'board', local: [[1, 0, 1, 1]], creates: [], opId: 9 }] })]) {
      const storage = new MapStorage();
      storage.setItem('treesync.queue.junk', junk);
      const warnings: string[] = [];
      const { client: c, mirror } = await client(net, { clientId: 'junk', storage, warnings });
      expect(warnings.some((w) => w.includes('corrupt'))).toBe(true);
      expect(storage.map.size).toBe(0);
      await Promise.all([mirror.root.attrs.votes.add(1), net.settle()]);
      c.close();
    }
    expect(tree.root.get('votes')).toBe(6);
  });

  it('keeps working in memory when the storage refuses writes', async () => {
    const { net, tree } = setup();
    const storage: StorageLike = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    const warnings: string[] = [];
    const { mirror, transport } = await client(net, { storage, warnings });
    transport.drop();
    const done = mirror.root.attrs.votes.add(3);
    await Promise.resolve();
    expect(warnings.some((w) => w.includes('cannot be saved'))).toBe(true);
    transport.reconnect();
    await Promise.all([done, net.settle()]);
    expect(tree.root.get('votes')).toBe(3);
  });
});
