import { describe, expect, it, vi } from 'vitest';
import { ErrorCode, SyncError, type WireError } from '../../shared/errors.js';
import { OP, type Op } from '../../shared/ops.js';
import { DEFAULT_LIMITS, PROTOCOL_VERSION, type AckMessage, type JoinedMessage, type RejectMessage, type WelcomeMessage } from '../../shared/protocol.js';
import type { Hooks, JoinContext, MutateContext } from '../../server/hooks.js';
import { SyncHost, type HostOptions } from '../../server/host.js';
import { FakeHub, throughWire, type FakeLink } from '../helpers/fake-link.js';
import { A, Bag, Folder, Item, Root, TI, TYPES, frozenSnapshot, thrown } from './support.js';

/**
 * A host with flush mode 'immediate' and a tree `main` (ref 1):
 * root(0) ─ item(1), bag(2); seq 2.
 */
function setup(options: Partial<HostOptions> = {}) {
  const hub = new FakeHub();
  const host = new SyncHost({ types: TYPES, flush: { mode: 'immediate' }, ...options }, hub.broadcast);
  const tree = host.tree('main', Root);
  const item = tree.root.create(Item, { title: 'x', list: [1, 2, 3], tags: { k: 'v' } });
  const bag = tree.root.create(Bag);
  hub.broadcasts.length = 0;

  /** Opens a session for `clientId`; its welcome is dropped unless `keepWelcome`. */
  const connect = (clientId = 'alice', extra: Record<string, unknown> = {}, keepWelcome = false) => {
    const link = hub.link();
    const session = host.open(link, { v: PROTOCOL_VERSION, clientId, ...extra });
    if (!keepWelcome) link.take();
    /** Sends one event with these arguments, through the wire. */
    const raw = (event: string, args: unknown[]): void => {
      session.receive(event, throughWire(args));
    };
    const send = (event: string, body: unknown): void => {
      raw(event, [body]);
    };
    const join = (name = 'main', since?: number): void => {
      send('join', since === undefined ? { tree: name } : { tree: name, since, epoch: host.tree(name).epoch });
    };
    /** Proposes and returns the answer (the last ack or reject). */
    const propose = (opId: number, ops: readonly Op[], name = 'main'): Answer => {
      send('propose', { tree: name, opId, baseSeq: tree.seq, ops });
      return answerOf(link);
    };
    return { link, session, raw, send, join, propose };
  };
  return { hub, host, tree, item, bag, connect };
}

type Answer = { event: 'ack'; msg: AckMessage } | { event: 'reject'; msg: RejectMessage };

/** The last ack or reject a link received. */
function answerOf(link: FakeLink): Answer {
  const last = [...link.received].reverse().find((r) => r.event === 'ack' || r.event === 'reject');
  if (last === undefined) return expect.unreachable(`no answer; received ${JSON.stringify(link.received)}`);
  return last.event === 'ack' ? { event: 'ack', msg: last.args[0] as AckMessage } : { event: 'reject', msg: last.args[0] as RejectMessage };
}

/** The code of the only error the link received. */
function onlyError(link: FakeLink): WireError {
  expect(link.received.map((r) => r.event)).toEqual(['error']);
  return link.received[0]?.args[0] as WireError;
}

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
    ['v 2', { v: 2, clientId: 'a' }, ErrorCode.PROTOCOL_VERSION],
    ['v 0', { v: 0, clientId: 'a' }, ErrorCode.PROTOCOL_VERSION],
    ['v "1"', { v: '1', clientId: 'a' }, ErrorCode.PROTOCOL_VERSION],
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
    expect(joined).toEqual({ tree: 'room-1', ref: 2, seq: 0, epoch: host.tree('room-1').epoch, snapshot: [[0, TI.Folder, -1, ['']]] });
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
      { event: 'joined', args: [{ tree: 'main', ref: 1, seq: 2, epoch: tree.epoch, snapshot: throughWire(tree.snapshot()) }] },
    ]);
    expect((alice.link.firsts('joined')[0] as JoinedMessage).snapshot).toEqual([
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
    expect(alice.link.received).toEqual([{ event: 'joined', args: [{ tree: 'main', ref: 1, seq: 8, epoch: tree.epoch, snapshot: throughWire(tree.snapshot()) }] }]);
    const recent = connect('carol');
    recent.join('main', 7);
    expect(recent.link.all('b')).toEqual([[1, 8, [[OP.add, 1, A.count, 1]]]]);
  });

  it('sends a snapshot when the epoch is another (a restarted server: the same seq names another history)', () => {
    const { tree, connect } = setup();
    const alice = connect();
    alice.send('join', { tree: 'main', since: 1, epoch: 'an-older-epoch' });
    expect(alice.link.received).toEqual([{ event: 'joined', args: [{ tree: 'main', ref: 1, seq: 2, epoch: tree.epoch, snapshot: throughWire(tree.snapshot()) }] }]);
    alice.link.take();
    alice.send('join', { tree: 'main', since: 1 });
    expect((alice.link.firsts('joined')[0] as JoinedMessage).snapshot).toBeDefined();
  });

  it('sends a snapshot when `since` is ahead of the tree (the server lost scribes)', () => {
    const { tree, connect } = setup();
    const alice = connect();
    alice.join('main', 99);
    expect(alice.link.received).toEqual([{ event: 'joined', args: [{ tree: 'main', ref: 1, seq: 2, epoch: tree.epoch, snapshot: throughWire(tree.snapshot()) }] }]);
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

describe('propose', () => {
  it('rejects a proposal before join with NOT_JOINED', () => {
    const { tree, connect } = setup();
    const alice = connect();
    expect(alice.propose(1, [[OP.set, 1, A.title, 'y']])).toEqual({
      event: 'reject',
      msg: { opId: 1, code: ErrorCode.NOT_JOINED, message: expect.any(String) as string, ref: 'main' },
    });
    expect(tree.seq).toBe(2);
  });

  it('acks with the last seq and broadcasts the scribes with the proposer as origin', () => {
    const { tree, hub, connect } = setup();
    const alice = connect();
    const bob = connect('bob');
    alice.join();
    bob.join();
    alice.link.take();
    bob.link.take();
    const answer = alice.propose(1, [[OP.set, 1, A.title, 'new'], [OP.add, 1, A.count, 2]]);
    expect(answer).toEqual({ event: 'ack', msg: { opId: 1, seq: 4 } });
    const batch = [1, 3, [[OP.set, 1, A.title, 'new'], [OP.add, 1, A.count, 2]], [[2, 'alice']]];
    expect(bob.link.received).toEqual([{ event: 'b', args: batch }]);
    expect(alice.link.all('b')).toEqual([batch]);
    expect(hub.broadcasts).toEqual([{ room: tree.room, event: 'b', args: batch }]);
    expect(tree.get(1)?.get('title')).toBe('new');
  });

  it('maps temp ids: a create, a set on -1, a child under -1, a move of -2; acks with the new ids', () => {
    const { tree, hub, connect } = setup();
    const alice = connect();
    alice.join();
    const ops: Op[] = [
      [OP.create, -1, TI.Item, 0, -1, { title: 'made' }],
      [OP.set, -1, A.title, 'renamed'],
      [OP.insert, -1, A.list, -1, [5]],
      [OP.create, -2, TI.Folder, -1, -1, { name: 'child' }],
      [OP.create, -3, TI.Folder, -2, 0, {}],
      [OP.move, -3, -1, 0],
      [OP.destroy, -2],
    ];
    expect(alice.propose(1, ops)).toEqual({ event: 'ack', msg: { opId: 1, seq: 9, ids: [3, 4, 5] } });
    expect(hub.broadcasts.map((b) => b.args)).toEqual([
      [
        1,
        3,
        [
          [OP.create, 3, TI.Item, 0, 2, { title: 'made', count: 0, done: false, data: null, tags: {}, list: [] }],
          [OP.set, 3, A.title, 'renamed'],
          [OP.insert, 3, A.list, 0, [5]],
          [OP.create, 4, TI.Folder, 3, 0, { name: 'child' }],
          [OP.create, 5, TI.Folder, 4, 0, { name: '' }],
          [OP.move, 5, 3, 0],
          [OP.destroy, 4],
        ],
        [[7, 'alice']],
      ],
    ]);
    const made = tree.get(3);
    expect(made?.get('title')).toBe('renamed');
    expect(made?.get('list')).toEqual([5]);
    expect(made?.children.map((c) => c.id)).toEqual([5]);
    expect(tree.get(4)).toBeUndefined();
  });

  it('acks a proposal without creates without ids', () => {
    const { connect } = setup();
    const alice = connect();
    alice.join();
    const answer = alice.propose(1, [[OP.destroy, 2]]);
    expect(answer).toEqual({ event: 'ack', msg: { opId: 1, seq: 3 } });
    expect('ids' in answer.msg).toBe(false);
  });

  const good: Op[] = [
    [OP.create, -1, TI.Item, 0, -1, {}],
    [OP.set, -1, A.title, 'ok'],
    [OP.add, 1, A.count, 1],
  ];
  const badOps: readonly (readonly [string, Op, ErrorCode])[] = [
    ['a bad value', [OP.set, 1, A.count, 'NaN'], ErrorCode.BAD_VALUE],
    ['a wrong kind', [OP.add, 1, A.title, 1], ErrorCode.WRONG_KIND],
    ['a missing object', [OP.set, 42, 0, 'x'], ErrorCode.UNKNOWN_OBJECT],
    ['an unknown temp id', [OP.set, -9, 0, 'x'], ErrorCode.UNKNOWN_OBJECT],
    ['a bad index', [OP.remove, 1, A.list, 5, 1], ErrorCode.BAD_INDEX],
    ['destroying the root', [OP.destroy, 0], ErrorCode.BAD_PARENT],
    ['an unknown type', [OP.create, -5, 17, 0, -1, {}], ErrorCode.UNKNOWN_TYPE],
  ];
  for (const at of [0, 1, 2, 3]) {
    it.each(badOps)(`rejects the whole proposal for %s at position ${String(at)}, applying nothing`, (_name, bad, code) => {
      const { tree, hub, connect } = setup();
      const alice = connect();
      alice.join();
      alice.link.take();
      const before = frozenSnapshot(tree);
      const ops = [...good.slice(0, at), bad, ...good.slice(at)];
      const answer = alice.propose(1, ops);
      expect(answer.event).toBe('reject');
      expect(answer.msg).toMatchObject({ opId: 1, code });
      expect(frozenSnapshot(tree)).toEqual(before);
      expect(tree.seq).toBe(2);
      expect(hub.broadcasts).toEqual([]);
      expect(alice.link.received.map((r) => r.event)).toEqual(['reject']);
    });
  }

  it('answers a resent opId as before and applies it once', () => {
    const { tree, hub, connect } = setup();
    const alice = connect();
    alice.join();
    const ops: Op[] = [[OP.create, -1, TI.Folder, 0, -1, {}]];
    const first = alice.propose(1, ops);
    expect(first).toEqual({ event: 'ack', msg: { opId: 1, seq: 3, ids: [3] } });
    expect(alice.propose(1, ops)).toEqual(first);
    expect(tree.seq).toBe(3);
    expect(tree.size).toBe(4);
    expect(hub.broadcasts).toHaveLength(1);
    expect(alice.link.all('ack')).toEqual([[first.msg], [first.msg]]);
  });

  it('answers a resent opId as before from a new session of the same client id', () => {
    const { tree, connect } = setup();
    const alice = connect();
    alice.join();
    const first = alice.propose(4, [[OP.add, 1, A.count, 1]]);
    alice.session.close();
    const again = connect('alice');
    again.join();
    expect(again.propose(4, [[OP.add, 1, A.count, 1]])).toEqual(first);
    expect(tree.get(1)?.get('count')).toBe(1);
  });

  it('answers an opId lower than the last with the answer that opId got', () => {
    const { tree, connect } = setup();
    const alice = connect();
    alice.join();
    const five = alice.propose(5, [[OP.add, 1, A.count, 1]]);
    const six = alice.propose(6, [[OP.add, 1, A.title, 1]]);
    expect(six.event).toBe('reject');
    expect(alice.propose(5, [[OP.add, 1, A.count, 100]])).toEqual(five);
    expect(alice.propose(6, [[OP.add, 1, A.count, 100]])).toEqual(six);
    expect(tree.get(1)?.get('count')).toBe(1);
    expect(tree.seq).toBe(3);
  });

  it('answers an opId at or below the last that it holds no answer for with OUTCOME_UNKNOWN, applying nothing', () => {
    const { tree, connect } = setup();
    const alice = connect();
    alice.join();
    alice.propose(5, [[OP.add, 1, A.count, 1]]);
    const answer = alice.propose(3, [[OP.add, 1, A.count, 1]]);
    expect(answer).toEqual({ event: 'reject', msg: { opId: 3, code: ErrorCode.OUTCOME_UNKNOWN, message: expect.any(String) as string } });
    expect(alice.propose(0, [[OP.add, 1, A.count, 1]]).msg).toMatchObject({ opId: 0, code: ErrorCode.OUTCOME_UNKNOWN });
    expect(tree.seq).toBe(3);
  });

  it('keeps opIds per client id', () => {
    const { tree, connect } = setup();
    const alice = connect();
    const bob = connect('bob');
    alice.join();
    bob.join();
    expect(alice.propose(1, [[OP.add, 1, A.count, 1]]).event).toBe('ack');
    expect(bob.propose(1, [[OP.add, 1, A.count, 1]]).event).toBe('ack');
    expect(tree.get(1)?.get('count')).toBe(2);
  });

  it('asks canMutate before applying, and answers false with FORBIDDEN', () => {
    const seen: MutateContext[] = [];
    const hooks: Hooks = {
      canMutate: (ctx) => {
        seen.push(ctx);
        return ctx.session.clientId !== 'mallory';
      },
    };
    const { tree, hub, connect } = setup({ hooks });
    const mallory = connect('mallory');
    mallory.join();
    const ops: Op[] = [[OP.create, -1, TI.Folder, 0, -1, {}], [OP.set, -1, 0, 'x']];
    const before = frozenSnapshot(tree);
    expect(mallory.propose(1, ops).msg).toMatchObject({ opId: 1, code: ErrorCode.FORBIDDEN });
    expect(frozenSnapshot(tree)).toEqual(before);
    expect(hub.broadcasts).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.session).toBe(mallory.session);
    expect(seen[0]?.tree).toBe(tree);
    expect(seen[0]?.ops).toEqual(ops);
    const alice = connect('alice');
    alice.join();
    expect(alice.propose(1, ops).event).toBe('ack');
  });
});

describe('Session.receive() with hostile input', () => {
  it('answers an unknown event with UNKNOWN_MESSAGE', () => {
    const { connect } = setup();
    const alice = connect();
    alice.send('drop_tables', { tree: 'main' });
    expect(onlyError(alice.link)).toMatchObject({ code: ErrorCode.UNKNOWN_MESSAGE, ref: 'drop_tables' });
  });

  const body = (ops: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ tree: 'main', opId: 1, baseSeq: 2, ops, ...extra });
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  const parsed = (text: string): unknown => JSON.parse(text);
  /** `args` are as a JSON decoder hands them over (JSON.parse can make Infinity and own __proto__ keys). */
  type Hostile = readonly [name: string, event: string, args: () => unknown[], answer: 'error' | 'reject', code: ErrorCode];
  const hostile: readonly Hostile[] = [
    ['a string body', 'join', () => ['main'], 'error', ErrorCode.BAD_MESSAGE],
    ['no arguments', 'propose', () => [], 'error', ErrorCode.BAD_MESSAGE],
    ['a null body', 'propose', () => [null], 'error', ErrorCode.BAD_MESSAGE],
    ['an array body', 'propose', () => [[1, 2]], 'error', ErrorCode.BAD_MESSAGE],
    ['a tree name of 100,000 characters', 'join', () => [{ tree: 'x'.repeat(100_000) }], 'error', ErrorCode.TOO_LARGE],
    ['a tree name of 201 characters in a proposal', 'propose', () => [body([[OP.add, 1, A.count, 1]], { tree: 'x'.repeat(201) })], 'reject', ErrorCode.TOO_LARGE],
    ['an empty tree name', 'join', () => [{ tree: '' }], 'error', ErrorCode.BAD_MESSAGE],
    ['a numeric tree name in leave', 'leave', () => [{ tree: 1 }], 'error', ErrorCode.BAD_MESSAGE],
    ['a negative since', 'join', () => [{ tree: 'main', since: -1 }], 'error', ErrorCode.BAD_MESSAGE],
    ['a string since', 'join', () => [{ tree: 'main', since: '1' }], 'error', ErrorCode.BAD_MESSAGE],
    ['a non-string epoch', 'join', () => [{ tree: 'main', since: 1, epoch: 7 }], 'error', ErrorCode.BAD_MESSAGE],
    ['an epoch of 100 characters', 'join', () => [{ tree: 'main', since: 1, epoch: 'e'.repeat(100) }], 'error', ErrorCode.BAD_MESSAGE],
    ['a negative seen', 'propose', () => [body([[OP.add, 1, A.count, 1]], { seen: -1 })], 'reject', ErrorCode.BAD_MESSAGE],
    ['a fractional seen', 'propose', () => [body([[OP.add, 1, A.count, 1]], { seen: 0.5 })], 'reject', ErrorCode.BAD_MESSAGE],
    ['a string opId', 'propose', () => [body([[OP.add, 1, A.count, 1]], { opId: '1' })], 'error', ErrorCode.BAD_MESSAGE],
    ['a negative opId', 'propose', () => [body([[OP.add, 1, A.count, 1]], { opId: -1 })], 'error', ErrorCode.BAD_MESSAGE],
    ['a fractional opId', 'propose', () => [body([[OP.add, 1, A.count, 1]], { opId: 1.5 })], 'error', ErrorCode.BAD_MESSAGE],
    ['an opId of 2^53', 'propose', () => [body([[OP.add, 1, A.count, 1]], { opId: 2 ** 53 })], 'error', ErrorCode.BAD_MESSAGE],
    ['a missing baseSeq', 'propose', () => [{ tree: 'main', opId: 1, ops: [[OP.add, 1, A.count, 1]] }], 'reject', ErrorCode.BAD_MESSAGE],
    ['ops that are not an array', 'propose', () => [body({ 0: [OP.add, 1, A.count, 1] })], 'reject', ErrorCode.BAD_MESSAGE],
    ['empty ops', 'propose', () => [body([])], 'reject', ErrorCode.BAD_MESSAGE],
    ['an op that is not a tuple', 'propose', () => [body([{ code: 0 }])], 'reject', ErrorCode.BAD_MESSAGE],
    ['an unknown op code', 'propose', () => [body([[11, 1]])], 'reject', ErrorCode.BAD_MESSAGE],
    ['an op of the wrong length', 'propose', () => [body([[OP.set, 1, 0]])], 'reject', ErrorCode.BAD_MESSAGE],
    ['a fractional object id', 'propose', () => [body([[OP.set, 1.5, 0, 'x']])], 'reject', ErrorCode.BAD_MESSAGE],
    ['a null where a number goes (NaN through JSON)', 'propose', () => throughWire([body([[OP.add, 1, A.count, NaN]])]), 'reject', ErrorCode.BAD_MESSAGE],
    ['an index of 1e999 (Infinity through JSON.parse)', 'propose', () => [parsed('{"tree":"main","opId":1,"baseSeq":2,"ops":[[4,1,5,1e999,[1]]]}')], 'reject', ErrorCode.BAD_INDEX],
    ['an add of -1e999', 'propose', () => [parsed('{"tree":"main","opId":1,"baseSeq":2,"ops":[[1,1,1,-1e999]]}')], 'reject', ErrorCode.BAD_VALUE],
    ['an index of 1e300', 'propose', () => [body([[OP.insert, 1, A.list, 1e300, [1]]])], 'reject', ErrorCode.BAD_INDEX],
    ['a fractional index', 'propose', () => [body([[OP.remove, 1, A.list, 0.5, 1]])], 'reject', ErrorCode.BAD_INDEX],
    ['a negative index', 'propose', () => [body([[OP.replace, 1, A.list, -3, 1]])], 'reject', ErrorCode.BAD_INDEX],
    ['a negative count', 'propose', () => [body([[OP.remove, 1, A.list, 0, -1]])], 'reject', ErrorCode.BAD_INDEX],
    ['a create at 2^60', 'propose', () => [body([[OP.create, -1, TI.Folder, 0, 2 ** 60, {}]])], 'reject', ErrorCode.BAD_INDEX],
    ['a move to -5', 'propose', () => [body([[OP.move, 1, 2, -5]])], 'reject', ErrorCode.BAD_INDEX],
    ['a move into its own subtree', 'propose', () => [body([[OP.create, -1, TI.Folder, 1, -1, {}], [OP.move, 1, -1, 0]])], 'reject', ErrorCode.BAD_PARENT],
    ['an unknown type index', 'propose', () => [body([[OP.create, -1, 99, 0, -1, {}]])], 'reject', ErrorCode.UNKNOWN_TYPE],
    ['an attribute index of 2^40', 'propose', () => [body([[OP.set, 1, 2 ** 40, 'x']])], 'reject', ErrorCode.UNKNOWN_ATTRIBUTE],
    ['a __proto__ key in a dict value', 'propose', () => [parsed('{"tree":"main","opId":1,"baseSeq":2,"ops":[[0,1,4,{"__proto__":"x"}]]}')], 'reject', ErrorCode.BAD_KEY],
    ['a __proto__ key in create values', 'propose', () => [parsed('{"tree":"main","opId":1,"baseSeq":2,"ops":[[8,-1,2,0,-1,{"__proto__":{"title":"x"}}]]}')], 'reject', ErrorCode.BAD_KEY],
    ['a constructor key deep in a json value', 'propose', () => [parsed('{"tree":"main","opId":1,"baseSeq":2,"ops":[[0,1,3,{"a":[{"constructor":{"prototype":1}}]}]]}')], 'reject', ErrorCode.BAD_KEY],
    ['a __proto__ key on the body', 'propose', () => [parsed('{"__proto__":{"admin":true},"tree":"main","opId":1,"baseSeq":2,"ops":[[1,1,1,1]]}')], 'reject', ErrorCode.BAD_KEY],
    ['1,001 ops', 'propose', () => [body(Array.from({ length: 1_001 }, () => [OP.add, 1, A.count, 1]))], 'reject', ErrorCode.TOO_LARGE],
    ['nesting 10,000 deep', 'propose', () => [body([[OP.set, 1, A.data, parsed(deep)]])], 'reject', ErrorCode.BAD_MESSAGE],
    ['nesting 10,000 deep in a join', 'join', () => [{ tree: 'main', x: parsed(deep) }], 'error', ErrorCode.BAD_MESSAGE],
    ['a message over maxMessageBytes', 'propose', () => [body([[OP.set, 1, A.title, 'x'.repeat(1_100_000)]])], 'reject', ErrorCode.TOO_LARGE],
    ['an event name of 10,000 characters', 'e'.repeat(10_000), () => [{ tree: 'main' }], 'error', ErrorCode.UNKNOWN_MESSAGE],
    ['a proposal to a tree not joined', 'propose', () => [body([[OP.add, 1, A.count, 1]], { tree: 'other' })], 'reject', ErrorCode.NOT_JOINED],
  ];

  it.each(hostile)('%s: a coded answer, no throw, the tree unchanged', (_name, event, args, answer, code) => {
    const { tree, hub, connect } = setup();
    const alice = connect();
    alice.join();
    alice.link.take();
    const before = frozenSnapshot(tree);
    const payload = args();
    expect(() => alice.session.receive(event, payload)).not.toThrow();
    expect(alice.link.received.map((r) => r.event)).toEqual([answer]);
    const msg = alice.link.received[0]?.args[0] as WireError & { opId?: number };
    expect(msg.code).toBe(code);
    expect(typeof msg.message).toBe('string');
    if (answer === 'reject') expect(msg.opId).toBe(1);
    expect(frozenSnapshot(tree)).toEqual(before);
    expect(tree.seq).toBe(2);
    expect(hub.broadcasts).toEqual([]);
    // The session still works.
    expect(alice.propose(50, [[OP.add, 1, A.count, 1]]).event).toBe('ack');
  });
});

describe('a proposal that fails with something other than a SyncError', () => {
  // Reachable from the wire: 199,000 nulls fit in the 1 MB limit, and the insert's splice(...items) overflows the stack.
  const hugeInsert = (): unknown[] => [{ tree: 'main', opId: 1, baseSeq: 2, ops: [[OP.insert, 2, 0, 0, new Array<null>(199_000).fill(null)]] }];
  /** Throws for opId 1's proposal (the only one with a create), allows the rest. */
  const throwingHook: Hooks = {
    canMutate: ({ ops }) => {
      if (ops[0]?.[0] === OP.create) throw new Error('hook bug');
      return true;
    },
  };
  const cases = [
    ['a 199,000-item insert', {}, hugeInsert],
    ['a canMutate hook that throws', { hooks: throwingHook }, () => [{ tree: 'main', opId: 1, baseSeq: 2, ops: [[OP.create, -1, TI.Folder, 0, -1, {}]] }]],
  ] as const;

  it.each(cases)('%s: does not throw, and leaves the tree unchanged unless acked', (_name, options, args) => {
    const logger = { warn: vi.fn(), error: vi.fn() };
    const { tree, connect } = setup({ ...options, logger });
    const alice = connect();
    alice.join();
    alice.link.take();
    const before = frozenSnapshot(tree);
    expect(() => alice.session.receive('propose', args())).not.toThrow();
    expect(alice.link.received.length).toBeGreaterThan(0);
    if (alice.link.all('ack').length === 0) {
      expect(frozenSnapshot(tree)).toEqual(before);
      expect(tree.seq).toBe(2);
    }
    expect(alice.propose(2, [[OP.add, 1, A.count, 1]]).event).toBe('ack');
  });

  it.each(cases)('%s: answers the opId with an ack or a reject, not only a bare error', (_name, options, args) => {
    const { connect } = setup({ ...options });
    const alice = connect();
    alice.join();
    alice.link.take();
    alice.session.receive('propose', args());
    const answers = alice.link.received.filter((r) => r.event === 'ack' || r.event === 'reject').map((r) => r.args[0] as { opId: number });
    expect(answers.map((a) => a.opId), `received ${JSON.stringify(alice.link.received)}`).toEqual([1]);
  });
});

describe('SyncHost', () => {
  it('makes a tree once per name, numbering refs from 1', () => {
    const { host, tree } = setup();
    expect(host.tree('main', Root)).toBe(tree);
    expect(host.tree('main')).toBe(tree);
    const second = host.tree('second', Folder);
    expect(second.ref).toBe(2);
    expect(second.room).not.toBe(tree.room);
    expect(thrown(() => host.tree('missing'))).toMatchObject({ code: ErrorCode.UNKNOWN_TREE, ref: 'missing' });
    expect(thrown(() => host.tree('x'.repeat(201), Root))).toMatchObject({ code: ErrorCode.BAD_VALUE });
    expect(host.findTree('missing')).toBeUndefined();
  });

  it('close() sends what is pending', () => {
    const { host, hub, tree, item } = setup({ flush: { mode: 'tick' } });
    host.flush(tree);
    hub.broadcasts.length = 0;
    item.attrs.count.add(1);
    expect(hub.broadcasts).toEqual([]);
    host.close();
    expect(hub.broadcasts).toEqual([{ room: 't1', event: 'b', args: [1, 3, [[OP.add, 1, A.count, 1]]] }]);
  });
});

describe('a pathological tree from hostile proposals', () => {
  it('keeps a chain 20,000 objects deep joinable and destroyable (no recursion on the stack)', () => {
    const { tree, connect } = setup();
    const evil = connect('evil');
    evil.join();
    let parent = 2;
    for (let round = 0; round < 20; round++) {
      const ops: Op[] = [[OP.create, -1, TI.Folder, parent, -1, {}]];
      for (let i = 2; i <= 1000; i++) ops.push([OP.create, -i, TI.Folder, -(i - 1), -1, {}]);
      const answer = evil.propose(round + 1, ops);
      expect(answer.event).toBe('ack');
      parent = (answer.msg as AckMessage).ids?.at(-1) ?? -1;
    }
    expect(tree.size).toBe(20_003);
    const victim = connect('victim');
    victim.join();
    expect((victim.link.firsts('joined')[0] as JoinedMessage).snapshot).toHaveLength(20_003);
    tree.get(2)?.destroy();
    expect(tree.size).toBe(2);
  });
});

describe('answers kept for resends', () => {
  it('answers a resend after 1,100 unconfirmed proposals with the same ack (applied once)', () => {
    const { tree, item, connect } = setup();
    const c1 = connect('c1');
    c1.join();
    for (let opId = 1; opId <= 1100; opId++) expect(c1.propose(opId, [[OP.add, 1, A.count, 1]]).event).toBe('ack');
    const again = connect('c1');
    again.join();
    const answer = again.propose(1, [[OP.add, 1, A.count, 1]]);
    expect(answer).toMatchObject({ event: 'ack', msg: { opId: 1 } });
    expect(item.get('count')).toBe(1100);
    expect(tree.seq).toBe(2 + 1100);
  });

  it('forgets the answers the client confirmed with seen, and never calls a forgotten one a clean reject', () => {
    const { item, connect } = setup();
    const c1 = connect('c1');
    c1.join();
    for (let opId = 1; opId <= 5; opId++) c1.propose(opId, [[OP.add, 1, A.count, 1]]);
    c1.send('propose', { tree: 'main', opId: 6, baseSeq: 0, seen: 5, ops: [[OP.add, 1, A.count, 1]] });
    expect(answerOf(c1.link)).toMatchObject({ event: 'ack', msg: { opId: 6 } });
    const resend = c1.propose(3, [[OP.add, 1, A.count, 1]]);
    expect(resend).toMatchObject({ event: 'reject', msg: { opId: 3, code: ErrorCode.OUTCOME_UNKNOWN } });
    expect(c1.propose(6, [[OP.add, 1, A.count, 1]])).toMatchObject({ event: 'ack', msg: { opId: 6 } });
    expect(item.get('count')).toBe(6);
  });

});
