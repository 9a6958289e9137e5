import { describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../shared/errors.js';
import { OP, type Op } from '../../shared/ops.js';
import type { Hooks, MutateContext } from '../../server/hooks.js';
import { A, TI, frozenSnapshot } from './support.js';
import { setup } from './host-support.js';

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
