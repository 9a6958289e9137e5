import { describe, expect, it, vi } from 'vitest';
import { ErrorCode, SyncError } from '../../shared/errors.js';
import { OP } from '../../shared/ops.js';
import { DEFAULT_LIMITS, PROTOCOL_VERSION, flattenSnapshot, unflattenSnapshot, type JoinedMessage, type WelcomeMessage } from '../../shared/protocol.js';
import type { JoinContext } from '../../server/hooks.js';
import { throughWire } from '../helpers/fake-link.js';
import { A, Folder, TI, thrown } from './support.js';
import { onlyError, setup } from './host-support.js';

describe('SyncHost.open()', () => {
  it('welcomes with the protocol version, the client id, the types in order, the limits, lastOpId 0 and known false', () => {
    const { connect } = setup();
    const { link } = connect('alice', {}, true);
    expect(link.received).toEqual([
      {
        event: 'welcome',
        args: [
          {
            v: PROTOCOL_VERSION,
            clientId: 'alice',
            types: [
              ['Root', [['title', 'string'], ['scores', ['dict', 'number']]]],
              ['Folder', [['name', 'string']]],
              ['Item', [['title', 'string'], ['count', 'number'], ['done', 'boolean'], ['data', 'json'], ['tags', ['dict', 'string']], ['list', ['list', 'number']]]],
              ['Bag', [['docs', ['list', 'json']], ['map', ['dict', 'json']]]],
            ],
            limits: DEFAULT_LIMITS,
            lastOpId: 0,
            known: false,
          } satisfies WelcomeMessage,
        ],
      },
    ]);
  });

  it('sends the configured limits', () => {
    const { connect } = setup({ limits: { maxOpsPerProposal: 5 } });
    const welcome = connect('alice', {}, true).link.firsts('welcome')[0] as WelcomeMessage;
    expect(welcome.limits).toEqual({ ...DEFAULT_LIMITS, maxOpsPerProposal: 5 });
  });

  it('tells a reconnecting client the last opId it used', () => {
    const { connect } = setup();
    const first = connect('alice');
    first.join();
    expect(first.propose(7, [[OP.set, 1, A.title, 'a']]).event).toBe('ack');
    first.session.close();
    const again = connect('alice', {}, true);
    expect((again.link.firsts('welcome')[0] as WelcomeMessage).lastOpId).toBe(7);
    expect((connect('bob', {}, true).link.firsts('welcome')[0] as WelcomeMessage).lastOpId).toBe(0);
  });

  it('announces sessions and forgets closed ones', () => {
    const { host, connect } = setup();
    const opened = vi.fn();
    const closed = vi.fn();
    host.on('session', opened);
    host.on('sessionClosed', closed);
    const { session } = connect('alice', { token: 't' });
    expect(opened).toHaveBeenCalledWith(session);
    expect(host.sessions.has(session)).toBe(true);
    expect(session.clientId).toBe('alice');
    expect(session.auth['token']).toBe('t');
    expect(session.id).toBe('link-1');
    session.close();
    session.close();
    expect(closed).toHaveBeenCalledTimes(1);
    expect(host.sessions.size).toBe(0);
  });

  it.each([
    ['no auth', undefined, ErrorCode.BAD_MESSAGE],
    ['null auth', null, ErrorCode.BAD_MESSAGE],
    ['a string auth', 'v=1', ErrorCode.BAD_MESSAGE],
    ['no v', { clientId: 'a' }, ErrorCode.PROTOCOL_VERSION],
    ['v 1 (the protocol before flat snapshots)', { v: 1, clientId: 'a' }, ErrorCode.PROTOCOL_VERSION],
    ['the next v', { v: PROTOCOL_VERSION + 1, clientId: 'a' }, ErrorCode.PROTOCOL_VERSION],
    ['v 0', { v: 0, clientId: 'a' }, ErrorCode.PROTOCOL_VERSION],
    ['v as a string', { v: String(PROTOCOL_VERSION), clientId: 'a' }, ErrorCode.PROTOCOL_VERSION],
    ['no clientId', { v: PROTOCOL_VERSION }, ErrorCode.BAD_MESSAGE],
    ['an empty clientId', { v: PROTOCOL_VERSION, clientId: '' }, ErrorCode.BAD_MESSAGE],
    ['a numeric clientId', { v: PROTOCOL_VERSION, clientId: 5 }, ErrorCode.BAD_MESSAGE],
    ['a clientId of 129 characters', { v: PROTOCOL_VERSION, clientId: 'a'.repeat(129) }, ErrorCode.BAD_MESSAGE],
    ['a clientId with a space', { v: PROTOCOL_VERSION, clientId: 'a b' }, ErrorCode.BAD_MESSAGE],
    ['a clientId with a slash', { v: PROTOCOL_VERSION, clientId: 'a/b' }, ErrorCode.BAD_MESSAGE],
    ['a clientId "server" spoofed as an object', { v: PROTOCOL_VERSION, clientId: { toString: () => 'server' } }, ErrorCode.BAD_MESSAGE],
  ])('refuses a handshake with %s', (_name, auth, code) => {
    const { host, hub } = setup();
    const link = hub.link();
    const err = thrown(() => host.open(link, auth));
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).code).toBe(code);
    expect(thrown(() => host.checkHello(auth))).toMatchObject({ code });
    expect(link.received).toEqual([]);
    expect(host.sessions.size).toBe(0);
  });

  it('accepts a clientId of 128 characters of the allowed alphabet', () => {
    const { host } = setup();
    const clientId = 'aZ09_.:-'.repeat(16);
    expect(host.checkHello({ v: PROTOCOL_VERSION, clientId, extra: 1 }).clientId).toBe(clientId);
  });
});

describe('join', () => {
  it('answers an unknown tree with UNKNOWN_TREE naming it', () => {
    const { connect } = setup();
    const alice = connect();
    alice.join('nope');
    expect(onlyError(alice.link)).toEqual({ code: ErrorCode.UNKNOWN_TREE, message: expect.any(String) as string, ref: 'nope' });
    expect(alice.link.rooms.size).toBe(0);
    expect(alice.session.joined.size).toBe(0);
  });

  it('makes trees on demand with createTree, and refuses the names it refuses', () => {
    const createTree = vi.fn((name: string) => (name.startsWith('room-') ? Folder : undefined));
    const { host, connect } = setup({ createTree });
    const alice = connect();
    alice.join('room-1');
    const joined = alice.link.firsts('joined')[0] as JoinedMessage;
    expect(joined).toEqual({ tree: 'room-1', ref: 2, seq: 0, epoch: host.tree('room-1').epoch, snapshot: [0, TI.Folder, -1, 1, ''] });
    expect(host.treeNames).toEqual(['main', 'room-1']);
    expect(host.tree('room-1').rootNode.type).toBe(Folder);
    alice.link.take();
    alice.join('lobby');
    expect(onlyError(alice.link)).toMatchObject({ code: ErrorCode.UNKNOWN_TREE, ref: 'lobby' });
    expect(host.treeNames).toEqual(['main', 'room-1']);
    alice.link.take();
    alice.join('room-1');
    expect(createTree).toHaveBeenCalledTimes(2);
  });

  it('sends a snapshot when the client has no mirror, then the live stream', () => {
    const { tree, item, connect } = setup();
    const alice = connect();
    alice.join();
    expect(alice.link.received).toEqual([
      { event: 'joined', args: [{ tree: 'main', ref: 1, seq: 2, epoch: tree.epoch, snapshot: throughWire(flattenSnapshot(tree.snapshot())) }] },
    ]);
    expect(unflattenSnapshot((alice.link.firsts('joined')[0] as JoinedMessage).snapshot)).toEqual([
      [0, TI.Root, -1, ['root', {}]],
      [1, TI.Item, 0, ['x', 0, false, null, { k: 'v' }, [1, 2, 3]]],
      [2, TI.Bag, 0, [[], {}]],
    ]);
    expect(alice.link.rooms).toEqual(new Set([tree.room]));
    expect(alice.session.joined.get('main')).toBe(tree);
    alice.link.take();
    item.attrs.count.add(2);
    expect(alice.link.received).toEqual([{ event: 'b', args: [1, 3, [[OP.add, 1, A.count, 2]]] }]);
  });

  it('catches up from `since` inside the log window without a snapshot, with origins', () => {
    const { tree, item, connect } = setup();
    const bob = connect('bob');
    bob.join();
    item.attrs.count.add(1);
    expect(bob.propose(1, [[OP.set, 1, A.title, 'b'], [OP.insert, 1, A.list, -1, [4]]]).event).toBe('ack');
    item.attrs.done.set(true);
    expect(tree.seq).toBe(6);
    const alice = connect();
    alice.join('main', 3);
    expect(alice.link.received).toEqual([
      { event: 'joined', args: [{ tree: 'main', ref: 1, seq: 6, epoch: tree.epoch }] },
      {
        event: 'b',
        args: [
          1,
          4,
          [
            [OP.set, 1, A.title, 'b'],
            [OP.insert, 1, A.list, 3, [4]],
            [OP.set, 1, A.done, true],
          ],
          [
            [2, 'bob'],
            [1, 'server'],
          ],
        ],
      },
    ]);
    expect(alice.link.rooms.has(tree.room)).toBe(true);
  });

  it('catches up with a batch without origins when every missed scribe came from the server', () => {
    const { tree, item, connect } = setup();
    item.attrs.count.add(1);
    item.attrs.count.add(2);
    const alice = connect();
    alice.join('main', 2);
    expect(alice.link.received).toEqual([
      { event: 'joined', args: [{ tree: 'main', ref: 1, seq: 4, epoch: tree.epoch }] },
      { event: 'b', args: [1, 3, [[OP.add, 1, A.count, 1], [OP.add, 1, A.count, 2]]] },
    ]);
  });

  it('sends neither a snapshot nor a batch when `since` is the current seq', () => {
    const { tree, connect } = setup();
    const alice = connect();
    alice.join('main', 2);
    expect(alice.link.received).toEqual([{ event: 'joined', args: [{ tree: 'main', ref: 1, seq: 2, epoch: tree.epoch }] }]);
  });

  it('sends a snapshot when `since` is older than the log window', () => {
    const { tree, item, connect } = setup({ logWindow: 2 });
    for (let i = 0; i < 6; i++) item.attrs.count.add(1);
    expect(tree.seq).toBe(8);
    const alice = connect();
    alice.join('main', 1);
    expect(alice.link.received).toEqual([{ event: 'joined', args: [{ tree: 'main', ref: 1, seq: 8, epoch: tree.epoch, snapshot: throughWire(flattenSnapshot(tree.snapshot())) }] }]);
    const recent = connect('carol');
    recent.join('main', 7);
    expect(recent.link.all('b')).toEqual([[1, 8, [[OP.add, 1, A.count, 1]]]]);
  });

  it('sends a snapshot when the epoch is another (a restarted server: the same seq names another history)', () => {
    const { tree, connect } = setup();
    const alice = connect();
    alice.send('join', { tree: 'main', since: 1, epoch: 'an-older-epoch' });
    expect(alice.link.received).toEqual([{ event: 'joined', args: [{ tree: 'main', ref: 1, seq: 2, epoch: tree.epoch, snapshot: throughWire(flattenSnapshot(tree.snapshot())) }] }]);
    alice.link.take();
    alice.send('join', { tree: 'main', since: 1 });
    expect((alice.link.firsts('joined')[0] as JoinedMessage).snapshot).toBeDefined();
  });

  it('sends a snapshot when `since` is ahead of the tree (the server lost scribes)', () => {
    const { tree, connect } = setup();
    const alice = connect();
    alice.join('main', 99);
    expect(alice.link.received).toEqual([{ event: 'joined', args: [{ tree: 'main', ref: 1, seq: 2, epoch: tree.epoch, snapshot: throughWire(flattenSnapshot(tree.snapshot())) }] }]);
  });

  it('flushes pending batches to the room before joining, so nothing arrives twice', async () => {
    const { item, connect } = setup({ flush: { mode: 'tick' } });
    const bob = connect('bob');
    bob.join();
    item.attrs.count.add(1);
    const alice = connect();
    alice.join();
    expect(bob.link.all('b')).toEqual([[1, 3, [[OP.add, 1, A.count, 1]]]]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(alice.link.received.map((r) => r.event)).toEqual(['joined']);
    expect((alice.link.firsts('joined')[0] as JoinedMessage).seq).toBe(3);
  });

  it('asks canJoin, and answers false with FORBIDDEN naming the tree', () => {
    const canJoin = vi.fn((ctx: JoinContext) => ctx.session.auth['token'] === 'ok');
    const { tree, connect } = setup({ hooks: { canJoin } });
    const mallory = connect('mallory', { token: 'bad' });
    mallory.join();
    expect(onlyError(mallory.link)).toMatchObject({ code: ErrorCode.FORBIDDEN, ref: 'main' });
    expect(mallory.link.rooms.size).toBe(0);
    expect(canJoin).toHaveBeenCalledWith({ session: mallory.session, principal: { id: mallory.session.clientId }, tree: 'main', exists: true });
    mallory.link.take();
    expect(mallory.propose(1, [[OP.set, 1, A.title, 'pwned']]).msg).toMatchObject({ opId: 1, code: ErrorCode.NOT_JOINED });
    expect(tree.seq).toBe(2);
    const alice = connect('alice', { token: 'ok' });
    alice.join();
    expect(alice.link.received.map((r) => r.event)).toEqual(['joined']);
  });

  it('leaves: no more batches, and proposals are NOT_JOINED', () => {
    const { tree, item, connect } = setup();
    const alice = connect();
    alice.join();
    alice.send('leave', { tree: 'main' });
    expect(alice.link.rooms.size).toBe(0);
    alice.link.take();
    item.attrs.count.add(1);
    expect(alice.link.received).toEqual([]);
    expect(alice.propose(1, [[OP.add, 1, A.count, 1]]).msg).toMatchObject({ code: ErrorCode.NOT_JOINED });
    expect(tree.seq).toBe(3);
    alice.send('leave', { tree: 'never-joined' });
    expect(alice.link.received.map((r) => r.event)).toEqual(['reject']);
  });
});
