/**
 * Client records in the host and its store: the seqs a client applied, answers kept for resends,
 * one write per client per group commit, `known` in the welcome. Pruning and snapshots by bytes
 * are in client-records-pruning.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { OP } from '../../shared/ops.js';
import { MemoryStore } from '../../server/store/memory-store.js';
import { A, Item } from './support.js';
import { CountingStore, add, answers, durable, kinds, setup, useRecordFiles } from './client-records-support.js';

useRecordFiles();

describe('what a client record holds', () => {
  it('keeps per tree the last seq the client applied: a snapshot join, a catch-up join, a proposal; never lowered', async () => {
    const { host, tree, connect } = setup({ store: new MemoryStore() });
    const item = tree.get(1);
    if (item === undefined || !item.is(Item)) return expect.unreachable();
    for (let i = 0; i < 5; i++) item.attrs.count.add(1);
    const alice = connect('alice');
    alice.join();
    expect(host.clientRecord('alice')?.seqs.get('main')).toBe(6);
    alice.propose(1, add(), { baseSeq: 6 });
    expect(host.clientRecord('alice')?.seqs.get('main')).toBe(6);
    // A later join served from the log, from an older seq: the record keeps the higher one.
    alice.join(3);
    expect(host.clientRecord('alice')?.seqs.get('main')).toBe(6);
    alice.propose(2, add(), { baseSeq: 7 });
    expect(host.clientRecord('alice')?.seqs.get('main')).toBe(7);
    // A baseSeq past the tree's seq is the client's word only: it counts as the tree's seq.
    alice.propose(3, add(), { baseSeq: 1_000_000 });
    expect(host.clientRecord('alice')?.seqs.get('main')).toBe(tree.seq - 1);
    const bob = connect('bob');
    bob.join(4);
    expect(host.clientRecord('bob')?.seqs.get('main')).toBe(4);
    await durable(host);
    expect(host.clientRecord('alice')?.lastOpId).toBe(3);
    expect(host.clientRecord('nobody')).toBeUndefined();
  });

  it('reads a record from the store without loading it into memory', async () => {
    const store = new MemoryStore();
    const first = setup({ store });
    const alice = first.connect('alice');
    alice.join();
    alice.propose(4, add());
    await durable(first.host);
    first.host.close();
    const second = setup({ store });
    expect(second.host.clientRecordCount).toBe(0);
    expect(second.host.clientRecord('alice')).toMatchObject({ lastOpId: 4, seqs: new Map([['main', 1]]) });
    expect(second.host.clientRecordCount).toBe(0);
  });
});

describe('client records in the group commit', () => {
  it('writes a client saved by many proposals in one turn once, at the commit, with every answer', async () => {
    const store = new CountingStore();
    const { host, connect } = setup({ store });
    const alice = connect('alice');
    alice.join();
    await durable(host);
    store.commits = [];
    for (let opId = 1; opId <= 50; opId++) alice.propose(opId, add());
    expect(store.saves).toEqual([]);
    await durable(host);
    expect(store.commits).toEqual([{ saves: ['alice'], scribes: 50, answers: Array.from({ length: 50 }, (_, i) => i + 1) }]);
    expect(answers(alice.link)).toHaveLength(50);
  });

  it.each(['immediate', 'tick', 'adaptive'] as const)('commits a proposal\'s answer with its scribes (flush mode %s)', async (mode) => {
    const store = new CountingStore();
    const { host, connect } = setup({ store, flush: { mode } });
    const alice = connect('alice');
    alice.join();
    await durable(host);
    store.commits = [];
    alice.propose(1, [[OP.create, -1, 2, 0, -1, {}]]);
    await durable(host);
    const first = store.commits.find((c) => c.scribes > 0);
    expect(first).toEqual({ saves: ['alice'], scribes: 1, answers: [1] });
  });

  it('stores at most the newest 1,000 unreleased answers, and forgets released ones', async () => {
    const store = new MemoryStore();
    const { host, connect } = setup({ store });
    const alice = connect('alice');
    alice.join();
    for (let opId = 1; opId <= 1_200; opId++) alice.propose(opId, add());
    await durable(host);
    const stored = store.client('alice');
    expect(stored?.answers).toHaveLength(1_000);
    expect(stored?.answers[0]?.[1].opId).toBe(201);
    alice.propose(1_201, add(), { seen: 1_150 });
    await durable(host);
    expect(store.client('alice')?.answers.map((a) => a[1].opId)).toEqual(Array.from({ length: 51 }, (_, i) => 1_151 + i));
  });

  it('stores nothing for a client that never joined', async () => {
    const store = new MemoryStore();
    const { host, connect } = setup({ store });
    const stranger = connect('stranger');
    stranger.propose(1, add());
    await durable(host);
    expect(answers(stranger.link)).toMatchObject([{ opId: 1, code: 'NOT_JOINED' }]);
    stranger.session.close();
    await durable(host);
    expect(store.client('stranger')).toBeUndefined();
    expect(store.clientCount).toBe(0);
  });
});

describe.each(kinds)('answers across a restart on a %s', (_, make) => {
  it('answers a resend whose answer was lost with the real ack or reject, applying nothing again', async () => {
    const reopen = make();
    const first = setup({ store: reopen() });
    const alice = first.connect('alice');
    alice.join();
    alice.propose(1, [[OP.create, -1, 2, 0, -1, {}], [OP.add, -1, A.count, 5]]);
    alice.propose(2, [[OP.add, 1, A.title, 1]]);
    await durable(first.host);
    const lost = answers(alice.link);
    expect(lost).toMatchObject([{ opId: 1, ids: [2] }, { opId: 2, code: 'WRONG_KIND' }]);
    const seq = first.tree.seq;
    first.host.close();

    const second = setup({ store: reopen() });
    const again = second.connect('alice');
    expect(again.welcome).toMatchObject({ lastOpId: 2, known: true });
    again.join();
    again.propose(1, [[OP.create, -1, 2, 0, -1, {}], [OP.add, -1, A.count, 5]]);
    again.propose(2, [[OP.add, 1, A.title, 1]]);
    await durable(second.host);
    expect(answers(again.link)).toEqual(lost);
    expect(second.tree.seq).toBe(seq);
    expect(second.tree.get(2)?.get('count')).toBe(5);
  });
});
