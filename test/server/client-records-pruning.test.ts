/** Client records pruned from memory and from the store, damaged records, and snapshots by bytes. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import { SyncHost } from '../../server/host.js';
import { MemoryStore } from '../../server/store/memory-store.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import { FakeHub } from '../helpers/fake-link.js';
import { Item, Root, TYPES } from './support.js';
import {
  CountingStore,
  DAY,
  add,
  answers,
  countClients,
  dir,
  durable,
  hostCloseAll,
  kinds,
  setup,
  useRecordFiles,
} from './client-records-support.js';

useRecordFiles();

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
