/**
 * Client records in the host and its store: the seqs a client applied, answers kept for resends,
 * one write per client per group commit, pruning from memory and from the store, `known` in the
 * welcome, and snapshots by bytes.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OP, type Op } from '../../shared/ops.js';
import { PROTOCOL_VERSION, type AckMessage, type RejectMessage, type WelcomeMessage } from '../../shared/protocol.js';
import { SyncHost, type HostOptions } from '../../server/host.js';
import { MemoryStore } from '../../server/store/memory-store.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import type { Store, StoredClient, StoredTree } from '../../server/store/store.js';
import { FakeHub, throughWire, type FakeLink } from '../helpers/fake-link.js';
import { A, Item, Root, TYPES } from './support.js';

let dir = '';
const hosts: SyncHost[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'treesync-records-'));
});
afterEach(() => {
  for (const host of hosts.splice(0)) host.close();
  rmSync(dir, { recursive: true, force: true });
});

const DAY = 24 * 60 * 60 * 1000;

/** A host (flush mode 'tick') with a tree `main` holding one Item (id 1); `store` may be shared between hosts, as across a restart. */
function setup(options: Partial<HostOptions> = {}) {
  const hub = new FakeHub();
  const host = new SyncHost({ types: TYPES, flush: { mode: 'tick' }, ...options }, hub.broadcast);
  hosts.push(host);
  const tree = host.tree('main', Root);
  if (tree.get(1) === undefined) tree.root.create(Item);
  const connect = (clientId: string) => {
    const link = hub.link();
    const session = host.open(link, { v: PROTOCOL_VERSION, clientId });
    const welcome = link.firsts('welcome')[0] as WelcomeMessage;
    const send = (event: string, body: unknown): void => session.receive(event, throughWire([body]));
    const join = (since?: number): void => send('join', since === undefined ? { tree: 'main' } : { tree: 'main', since, epoch: tree.epoch });
    const propose = (opId: number, ops: readonly Op[], extra: Record<string, unknown> = {}): void => send('propose', { tree: 'main', opId, baseSeq: tree.seq, ops, ...extra });
    return { link, session, welcome, send, join, propose };
  };
  return { hub, host, tree, connect };
}

/** Resolves after the host's group commit (the acks go out then). */
function durable(host: SyncHost): Promise<void> {
  return new Promise((resolve) => host.whenDurable(resolve));
}

/** The acks and rejects a link received, in order. */
function answers(link: FakeLink): (AckMessage | RejectMessage)[] {
  return link.received.filter((r) => r.event === 'ack' || r.event === 'reject').map((r) => r.args[0] as AckMessage | RejectMessage);
}

const add = (n = 1): Op[] => [[OP.add, 1, A.count, n]];

/** A memory store that records, per commit, how often each client was saved and what. */
class CountingStore extends MemoryStore {
  saves: string[] = [];
  commits: { saves: string[]; scribes: number; answers: number[] }[] = [];
  snapshots = 0;
  #scribes = 0;
  #answers: number[] = [];
  override append(tree: string, firstSeq: number, ops: readonly Op[], origin: string, nextId: number): number {
    this.#scribes += ops.length;
    return super.append(tree, firstSeq, ops, origin, nextId);
  }
  override saveClient(clientId: string, record: StoredClient): void {
    this.saves.push(clientId);
    this.#answers = record.answers.map((a) => a[1].opId);
    super.saveClient(clientId, record);
  }
  override snapshot(tree: string, snapshot: StoredTree['snapshot'], nextId: number, keep: number): void {
    this.snapshots++;
    super.snapshot(tree, snapshot, nextId, keep);
  }
  override commit(): void {
    this.commits.push({ saves: this.saves, scribes: this.#scribes, answers: this.#answers });
    this.saves = [];
    this.#scribes = 0;
    super.commit();
  }
}

const kinds: [string, () => () => Store][] = [
  ['MemoryStore', () => {
    const store = new MemoryStore();
    return () => store;
  }],
  ['SqliteStore', () => () => new SqliteStore(join(dir, 'trees.db'))],
];

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

describe('pruning client records', () => {
  it('drops idle records from memory after the grace period, never a live one, and reloads them from the store', async () => {
    const store = new MemoryStore();
    const { host, connect } = setup({ store, clientGraceMs: 1_000 });
    const alice = connect('alice');
    const bob = connect('bob');
    alice.join();
    bob.join();
    bob.propose(3, add());
    await durable(host);
    bob.session.close();
    expect(host.clientRecordCount).toBe(2);
    host.pruneClients(Date.now() + 500);
    expect(host.clientRecordCount).toBe(2);
    host.pruneClients(Date.now() + 1_500);
    expect(host.clientRecordCount).toBe(1);
    expect(host.clientRecord('alice')).toBeDefined();
    const back = connect('bob');
    expect(back.welcome).toMatchObject({ lastOpId: 3, known: true });
    expect(host.clientRecordCount).toBe(2);
    back.propose(3, add());
    await durable(host);
    expect(answers(back.link)).toEqual([{ opId: 3, seq: 2 }]);
  });

  it('without a store, forgets a pruned record: the client is welcomed with known false and lastOpId 0', async () => {
    const { host, connect } = setup({ clientTtlMs: DAY });
    const alice = connect('alice');
    expect(alice.welcome).toMatchObject({ lastOpId: 0, known: false });
    alice.join();
    alice.propose(7, add());
    await durable(host);
    alice.session.close();
    expect(connect('alice').welcome).toMatchObject({ lastOpId: 7, known: true });
    const live = connect('carol');
    live.join();
    host.pruneClients(Date.now() + 2 * DAY);
    // alice's second session is live again: it keeps its record.
    expect(host.clientRecord('alice')?.lastOpId).toBe(7);
    expect(host.clientRecord('carol')).toBeDefined();
    hostCloseAll(host);
    host.pruneClients(Date.now() + 4 * DAY);
    expect(host.clientRecordCount).toBe(0);
    expect(connect('alice').welcome).toMatchObject({ lastOpId: 0, known: false });
  });

  it.each(kinds)('keeps memory and the %s bounded under many distinct client ids connecting and disconnecting', async (_, make) => {
    const open = make();
    const store = open();
    const { host, connect } = setup({ store, maxIdleClients: 100, clientTtlMs: DAY });
    const t0 = Date.now();
    for (let i = 0; i < 3_000; i++) {
      const c = connect(`client-${i}`);
      c.join();
      c.propose(1, add());
      c.session.close();
      expect(host.clientRecordCount).toBeLessThanOrEqual(101);
      if (i % 500 === 499) await durable(host);
    }
    await durable(host);
    expect(host.clientRecordCount).toBe(100);
    // The newest idle ones stay; the oldest reload from the store.
    expect(connect('client-0').welcome).toMatchObject({ lastOpId: 1, known: true });
    // A day later, every stored record goes (but the live one), however many there were.
    host.pruneClients(t0 + 2 * DAY);
    expect(countClients(store)).toBe(1);
    expect(host.clientRecordCount).toBe(1);
    expect(connect('client-2999').welcome).toMatchObject({ lastOpId: 0, known: false });
    host.close();
    const reopened = open();
    expect(countClients(reopened)).toBe(1);
    reopened.close();
  });

  it('prunes the store at startup: a record past its TTL is gone, and its client is welcomed with known false', async () => {
    const store = new MemoryStore();
    const first = setup({ store });
    const alice = first.connect('alice');
    alice.join();
    alice.propose(2, add());
    await durable(first.host);
    first.host.close();
    store.saveClient('old', { lastOpId: 5, seqs: [], answers: [], seenAt: Date.now() - 2 * DAY });
    const second = setup({ store, clientTtlMs: DAY });
    expect(store.client('old')).toBeUndefined();
    expect(second.connect('old').welcome).toMatchObject({ lastOpId: 0, known: false });
    expect(second.connect('alice').welcome).toMatchObject({ lastOpId: 2, known: true });
  });

  it('prunes by itself on an unref\'d timer, which close() stops', () => {
    vi.useFakeTimers();
    try {
      const hub = new FakeHub();
      const host = new SyncHost({ types: TYPES, flush: { mode: 'immediate' }, clientGraceMs: 100 }, hub.broadcast);
      const link = hub.link();
      const session = host.open(link, { v: PROTOCOL_VERSION, clientId: 'alice' });
      host.tree('main', Root);
      session.receive('join', [{ tree: 'main' }]);
      session.close();
      expect(host.clientRecordCount).toBe(1);
      vi.advanceTimersByTime(200);
      expect(host.clientRecordCount).toBe(0);
      expect(vi.getTimerCount()).toBe(1);
      host.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a damaged stored client record', () => {
  it('is read without its answers, logged with a coded error, and never lets a resend apply twice', async () => {
    const path = join(dir, 'trees.db');
    const first = setup({ store: new SqliteStore(path) });
    const alice = first.connect('alice');
    alice.join();
    alice.propose(1, add(10));
    await durable(first.host);
    first.host.close();
    const raw = new Database(path);
    raw.prepare("UPDATE clients SET answers = '[[\"ack\", {', seqs = 'null' WHERE id = 'alice'").run();
    raw.close();

    const errors: unknown[] = [];
    const second = setup({ store: new SqliteStore(path), logger: { warn: () => undefined, error: (_m, e) => errors.push(e) } });
    const again = second.connect('alice');
    expect(again.welcome).toMatchObject({ lastOpId: 1, known: true });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'INTERNAL', ref: 'alice' });
    expect((errors[0] as Error).message).toMatch(/trees\.db.*alice.*answers are not JSON/);
    again.join();
    again.propose(1, add(10));
    again.propose(2, add(1));
    await durable(second.host);
    expect(answers(again.link)).toMatchObject([{ opId: 1, code: 'OUTCOME_UNKNOWN' }, { opId: 2, seq: 3 }]);
    expect(second.tree.get(1)?.get('count')).toBe(11);
    // The next write repairs the record.
    second.host.close();
    const repaired = new SqliteStore(path);
    expect(repaired.client('alice')).toMatchObject({ lastOpId: 2, seqs: [['main', 2]], answers: [['ack', { opId: 2, seq: 3 }]] });
    expect(repaired.client('alice')?.damaged).toBeUndefined();
    repaired.close();
  });
});

describe('snapshots by bytes', () => {
  it('snapshots a tree once snapshotBytes of scribes were appended, before snapshotEvery', () => {
    const store = new CountingStore();
    const { tree } = setup({ store, snapshotBytes: 50_000, snapshotEvery: 1_000_000 });
    const item = tree.get(1);
    if (item === undefined || !item.is(Item)) return expect.unreachable();
    const before = store.snapshots;
    for (let i = 0; i < 100; i++) item.attrs.title.set(`${i}:${'x'.repeat(10_000)}`);
    // About 10 kB a scribe: a snapshot every 5 scribes.
    expect(store.snapshots - before).toBe(20);
    for (let i = 0; i < 100; i++) item.attrs.count.set(i);
    expect(store.snapshots - before).toBe(20);
  });

  it('keeps a SQLite file bounded across many large scribes', () => {
    const path = join(dir, 'big.db');
    const { host, tree } = setup({ store: new SqliteStore(path), snapshotBytes: 256 * 1024, logWindow: 10 });
    const item = tree.get(1);
    if (item === undefined || !item.is(Item)) return expect.unreachable();
    const peek = new Database(path, { readonly: true });
    const rows = peek.prepare<[], { n: number; bytes: number | null }>('SELECT COUNT(*) AS n, SUM(LENGTH(op)) AS bytes FROM scribes');
    const seen: { n: number; bytes: number }[] = [];
    for (let i = 0; i < 3_000; i++) {
      item.attrs.title.set(`${i}:${'v'.repeat(16 * 1024)}`);
      if (i % 100 === 99) {
        expect(host.flush(tree)).toBe(true);
        const r = rows.get();
        seen.push({ n: r?.n ?? 0, bytes: r?.bytes ?? 0 });
      }
    }
    peek.close();
    // Kept: the log window behind the last snapshot, plus at most snapshotBytes since it.
    const bound = { n: 10 + Math.ceil((256 * 1024) / (16 * 1024)) + 1, bytes: (10 + 17 + 1) * (16 * 1024 + 100) };
    for (const s of seen) {
      expect(s.n).toBeLessThanOrEqual(bound.n);
      expect(s.bytes).toBeLessThanOrEqual(bound.bytes);
    }
    host.close();
    // 3,000 scribes of 16 kB went through (48 MB); the file holds a bounded part of them.
    expect(statSync(path).size).toBeLessThan(4 * 1024 * 1024);
  });
});

/** Closes every live session of a host (their records go idle). */
function hostCloseAll(host: SyncHost): void {
  for (const session of [...host.sessions]) session.close();
}

/** How many client records a store holds. */
function countClients(store: Store): number {
  if (store instanceof MemoryStore) return store.clientCount;
  if (!(store instanceof SqliteStore)) return expect.unreachable();
  const path = store.path;
  store.commit();
  const raw = new Database(path, { readonly: true });
  const n = raw.prepare('SELECT COUNT(*) FROM clients').pluck().get() as number;
  raw.close();
  return n;
}
