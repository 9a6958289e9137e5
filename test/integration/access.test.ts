/**
 * Access control over real socket.io: authentication, join decisions, per-op and per-type
 * authorization, and the limits (objects per tree, rate, slow clients).
 */
import { io as connectRaw, type Socket as RawClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { SyncClient } from '../../client/index.js';
import type { Hooks, Principal } from '../../server/index.js';
import { ErrorCode, OP, PROTOCOL_VERSION, SyncError } from '../../shared/index.js';
import { Board, Card, startServer, types, until } from './fixtures.js';

const TOKENS: Record<string, Principal> = {
  'alice-token': { id: 'alice', roles: ['editor'] },
  'bob-token': { id: 'bob', roles: [] },
  'root-token': { id: 'root', roles: ['admin', 'editor'] },
};

const authenticate: Hooks['authenticate'] = async ({ auth }) => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  const principal = typeof auth['token'] === 'string' ? TOKENS[auth['token']] : undefined;
  return principal ?? false;
};

function raw(url: string, auth: Record<string, unknown>): RawClient {
  return connectRaw(url, { transports: ['websocket'], reconnection: false, auth: { v: PROTOCOL_VERSION, clientId: `raw-${Math.random().toString(36).slice(2)}`, ...auth } });
}

function client(url: string, token: string, clientId = `${token}-${Math.random().toString(36).slice(2)}`): SyncClient {
  return new SyncClient({ url, types, clientId, auth: { token }, storage: null });
}

describe('authentication', () => {
  it('admits a handshake the hook vouches for, with its principal, and refuses the rest with UNAUTHENTICATED', async () => {
    const seen: Principal[] = [];
    const { server, url } = await startServer({
      hooks: {
        authenticate,
        canJoin: ({ principal }) => {
          seen.push(principal);
          return true;
        },
      },
    });
    server.tree('board', Board);
    const alice = client(url, 'alice-token');
    await alice.join('board');
    expect(seen).toEqual([{ id: 'alice', roles: ['editor'] }]);
    const session = [...server.host.sessions][0];
    expect(session?.principal.id).toBe('alice');
    alice.close();

    for (const auth of [{ token: 'forged' }, {}, { token: 42 }]) {
      const socket = raw(url, auth);
      const error = await new Promise<Error & { data?: { code: string } }>((resolve) => socket.on('connect_error', resolve));
      socket.close();
      expect(error.data?.code).toBe(ErrorCode.UNAUTHENTICATED);
    }
    expect(server.sessionCount).toBe(0);
  });

  it('refuses with UNAUTHENTICATED when the hook throws, keeps a SyncError code, and stays up', async () => {
    const errors: unknown[] = [];
    const { server, url } = await startServer({
      logger: { warn: () => undefined, error: (...args: unknown[]) => void errors.push(args) },
      hooks: {
        authenticate: ({ auth }) => {
          if (auth['kind'] === 'coded') throw new SyncError(ErrorCode.FORBIDDEN, 'banned');
          if (auth['kind'] === 'junk') return 'yes' as unknown as Principal;
          throw new Error('database down');
        },
      },
    });
    server.tree('board', Board);
    const codes: string[] = [];
    for (const kind of ['coded', 'junk', 'boom']) {
      const socket = raw(url, { kind });
      const error = await new Promise<Error & { data?: { code: string } }>((resolve) => socket.on('connect_error', resolve));
      socket.close();
      codes.push(error.data?.code ?? 'none');
    }
    expect(codes).toEqual([ErrorCode.FORBIDDEN, ErrorCode.UNAUTHENTICATED, ErrorCode.UNAUTHENTICATED]);
    expect(errors).toHaveLength(1);
  });
});

describe('join decisions', () => {
  it('asks an async canJoin with the principal and whether the tree exists, and handles proposals sent meanwhile after it', async () => {
    const asked: [string, string, boolean][] = [];
    const { server, url } = await startServer({
      createTree: (name) => (name.startsWith('team-') ? Board : undefined),
      hooks: {
        authenticate,
        canJoin: async ({ principal, tree, exists }) => {
          asked.push([principal.id, tree, exists]);
          await new Promise((resolve) => setTimeout(resolve, 20));
          // Anyone may join an existing team tree; only editors may create one.
          return exists || (principal.roles?.includes('editor') ?? false);
        },
      },
    });
    const bob = client(url, 'bob-token');
    await expect(bob.join('team-red')).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    expect(server.host.hasTree('team-red')).toBe(false);
    const alice = client(url, 'alice-token');
    const mirror = await alice.join('team-red', Board);
    expect(server.host.hasTree('team-red')).toBe(true);
    const bobMirror = await bob.join('team-red', Board);
    // A proposal right behind the join on the wire: held until the join was decided, then applied.
    const renamed = bobMirror.root.attrs.title.set('red');
    await renamed;
    await until(() => mirror.root.get('title') === 'red');
    expect(asked).toEqual([
      ['bob', 'team-red', false],
      ['alice', 'team-red', false],
      ['bob', 'team-red', true],
    ]);
    alice.close();
    bob.close();
  });

  it('holds the messages behind a pending join in order, and answers a throwing canJoin with INTERNAL', async () => {
    const { server, url } = await startServer({
      logger: { warn: () => undefined, error: () => undefined },
      hooks: {
        canJoin: async ({ tree }) => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          if (tree === 'broken') throw new Error('hook bug');
          return true;
        },
      },
    });
    server.tree('board', Card);
    const socket = raw(url, {});
    const events: string[] = [];
    socket.onAny((event: string, body: { code?: string; opId?: number }) => events.push(body.code ?? (body.opId === undefined ? event : `${event}:${body.opId}`)));
    await new Promise<void>((resolve) => socket.on('welcome', () => resolve()));
    socket.emit('join', { tree: 'broken' });
    socket.emit('join', { tree: 'board' });
    for (let opId = 1; opId <= 3; opId++) socket.emit('propose', { tree: 'board', opId, baseSeq: 0, ops: [[OP.add, 0, 1, 1]] });
    await until(() => events.filter((e) => e.startsWith('ack')).length === 3);
    socket.close();
    expect(events.filter((e) => e !== 'b')).toEqual(['welcome', ErrorCode.INTERNAL, 'joined', 'ack:1', 'ack:2', 'ack:3']);
    expect(server.tree('board').root.get('votes' as never)).toBe(3);
  });
});

describe('mutation authorization', () => {
  const hooks: Hooks = {
    authenticate,
    types: {
      Card: {
        create: ({ object }) => object.type.name === 'Board',
        destroy: ({ principal }) => principal.roles?.includes('admin') ?? false,
        attrs: { title: ({ principal }) => principal.roles?.includes('editor') ?? false },
      },
    },
    // Nobody may touch another person's card: a card's `meta` holds its owner.
    canApply: ({ kind, object, principal }) => kind === 'create' || object.type.name !== 'Card' || (object.get('meta' as never) as { owner?: string } | null)?.owner === principal.id,
  };

  it('refuses a forbidden op with FORBIDDEN naming it, and applies nothing of its proposal', async () => {
    const { server, url } = await startServer({ hooks });
    const tree = server.tree('board', Board);
    const bob = client(url, 'bob-token');
    const mirror = await bob.join('board', Board);
    const card = await mirror.root.create(Card, { title: 'mine', meta: { owner: 'bob' } });
    await card.attrs.votes.add(1);
    // Bob is no editor: the title is not his to change, and so the whole transaction fails.
    const both = mirror.transact(() => {
      void card.attrs.votes.add(10);
      void card.attrs.title.set('renamed');
    });
    await expect(both).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN, ref: 'title' });
    await expect(card.destroy()).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN, ref: 'Card' });
    // A card may only be made under the board, not inside another card.
    await expect(card.create(Card, { title: 'nested' })).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    const served = tree.get(card.id);
    expect(served?.get('votes' as never)).toBe(1);
    expect(served?.get('title' as never)).toBe('mine');
    expect(served?.children).toHaveLength(0);
    await until(() => mirror.pending === 0);
    expect(card.get('votes')).toBe(1);
    bob.close();
  });

  it('lets each principal do what its rules allow, ops on objects made earlier in the proposal included', async () => {
    const { server, url } = await startServer({ hooks });
    const tree = server.tree('board', Board);
    const alice = client(url, 'alice-token');
    const root = client(url, 'root-token');
    const mirror = await alice.join('board', Board);
    const rootMirror = await root.join('board', Board);
    await mirror.transact(() => {
      const made = mirror.root.create(Card, { title: 'a', meta: { owner: 'alice' } });
      void made;
    });
    const card = mirror.view((mirror.root.children[0] as { id: number }).id, Card);
    await card.attrs.title.set('alice renamed');
    // Root may not change Alice's card, but may destroy a card of its own.
    const other = await rootMirror.root.create(Card, { meta: { owner: 'root' } });
    await expect(rootMirror.view(card.id, Card).attrs.votes.add(1)).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    await other.destroy();
    expect(tree.root.children.map((c) => c.get('title' as never))).toEqual(['alice renamed']);
    alice.close();
    root.close();
  });
});

describe('limits', () => {
  it('refuses a create past maxObjectsPerTree with TREE_FULL; server code is not limited', async () => {
    const { server, url } = await startServer({ limits: { maxObjectsPerTree: 3 } });
    const tree = server.tree('board', Board);
    const c = client(url, 'any');
    const mirror = await c.join('board', Board);
    await mirror.root.create(Card);
    await mirror.root.create(Card);
    await expect(mirror.root.create(Card)).rejects.toMatchObject({ code: ErrorCode.TREE_FULL, ref: 'board' });
    expect(tree.size).toBe(3);
    tree.root.create(Card);
    expect(tree.size).toBe(4);
    c.close();
  });

  it('answers messages past the rate limit with RATE_LIMITED; an honest client paces itself and never hits it', async () => {
    const { server, url } = await startServer({ limits: { messagesPerSecond: 50, messageBurst: 20 } });
    const tree = server.tree('board', Card);
    const socket = raw(url, {});
    const codes: string[] = [];
    socket.on('reject', (e: { code: string }) => codes.push(e.code));
    socket.on('ack', () => codes.push('ack'));
    await new Promise<void>((resolve) => socket.on('welcome', () => resolve()));
    socket.emit('join', { tree: 'board' });
    for (let opId = 1; opId <= 60; opId++) socket.emit('propose', { tree: 'board', opId, baseSeq: 0, ops: [[OP.add, 0, 1, 1]] });
    await until(() => codes.length === 60);
    socket.close();
    const acked = codes.filter((c) => c === 'ack').length;
    expect(acked).toBeGreaterThanOrEqual(19);
    expect(acked).toBeLessThan(30);
    expect(codes.filter((c) => c === ErrorCode.RATE_LIMITED)).toHaveLength(60 - acked);
    expect(tree.root.get('votes')).toBe(acked);

    const honest = client(url, 'honest');
    const mirror = await honest.join('board', Card);
    const rejects: string[] = [];
    honest.on('reject', (error) => rejects.push(error.code));
    const started = Date.now();
    await Promise.all(Array.from({ length: 60 }, () => mirror.root.attrs.votes.add(1)));
    expect(rejects).toEqual([]);
    expect(tree.root.get('votes')).toBe(acked + 60);
    // 60 proposals at 80% of 50/s after a burst of 80% of 20: about a second.
    expect(Date.now() - started).toBeGreaterThan(500);
    honest.close();
  });

  it('disconnects a client that does not read, and the others keep up', async () => {
    const { server, url } = await startServer({ limits: { maxBufferedBytes: 64 * 1024 } });
    const tree = server.tree('board', Card);
    const reader = client(url, 'reader');
    const mirror = await reader.join('board', Card);
    const stalled = raw(url, {});
    await new Promise<void>((resolve) => stalled.on('welcome', () => resolve()));
    stalled.emit('join', { tree: 'board' });
    await until(() => server.sessionCount === 2 && [...server.host.sessions].every((s) => s.joined.size === 1));
    // Stop reading: pause the TCP socket under the stalled client's websocket.
    const engine = stalled.io.engine as unknown as { transport: { ws?: { _socket?: unknown } } };
    const tcp = engine.transport.ws?._socket as { pause(): void; destroy(): void } | undefined;
    expect(tcp).toBeDefined();
    tcp?.pause();
    // Enough to fill the kernel's socket buffers on both ends (several MB on loopback) and then ours.
    const big = 'x'.repeat(32_000);
    let sent = 0;
    while (server.sessionCount === 2 && sent < 2_000) {
      tree.root.attrs.title.set(`${sent++}${big}`);
      if (sent % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(server.sessionCount).toBe(1);
    tree.root.attrs.title.set('last');
    await until(() => mirror.root.get('title') === 'last', 10_000);
    // Its paused socket would hold up a graceful close.
    tcp?.destroy();
    stalled.close();
    reader.close();
  });
});
