import { describe, expect, it } from 'vitest';
import { ErrorCode, type WireError } from '../../shared/errors.js';
import { OP, type Op } from '../../shared/ops.js';
import { unflattenSnapshot, type AckMessage, type JoinedMessage } from '../../shared/protocol.js';
import { throughWire } from '../helpers/fake-link.js';
import { A, Folder, Root, TI, frozenSnapshot, thrown } from './support.js';
import { answerOf, onlyError, setup } from './host-support.js';

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
    expect(unflattenSnapshot((victim.link.firsts('joined')[0] as JoinedMessage).snapshot)).toHaveLength(20_003);
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
