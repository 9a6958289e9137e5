/** Test support for the client-record tests: hosts on shared stores, a counting store, temporary files. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect } from 'vitest';
import { OP, type Op } from '../../shared/ops.js';
import { PROTOCOL_VERSION, type AckMessage, type RejectMessage, type WelcomeMessage } from '../../shared/protocol.js';
import { SyncHost, type HostOptions } from '../../server/host.js';
import { MemoryStore } from '../../server/store/memory-store.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import type { Store, StoredClient, StoredTree } from '../../server/store/store.js';
import { FakeHub, throughWire, type FakeLink } from '../helpers/fake-link.js';
import { A, Item, Root, TYPES } from './support.js';

export let dir = '';
const hosts: SyncHost[] = [];
/** Registers the hooks that give each test a fresh temporary `dir` and close the hosts `setup` made. */
export function useRecordFiles(): void {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'treesync-records-'));
  });
  afterEach(() => {
    for (const host of hosts.splice(0)) host.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

export const DAY = 24 * 60 * 60 * 1000;

/** A host (flush mode 'tick') with a tree `main` holding one Item (id 1); `store` may be shared between hosts, as across a restart. */
export function setup(options: Partial<HostOptions> = {}) {
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
export function durable(host: SyncHost): Promise<void> {
  return new Promise((resolve) => host.whenDurable(resolve));
}

/** The acks and rejects a link received, in order. */
export function answers(link: FakeLink): (AckMessage | RejectMessage)[] {
  return link.received.filter((r) => r.event === 'ack' || r.event === 'reject').map((r) => r.args[0] as AckMessage | RejectMessage);
}

export const add = (n = 1): Op[] => [[OP.add, 1, A.count, n]];

/** A memory store that records, per commit, how often each client was saved and what. */
export class CountingStore extends MemoryStore {
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

export const kinds: [string, () => () => Store][] = [
  ['MemoryStore', () => {
    const store = new MemoryStore();
    return () => store;
  }],
  ['SqliteStore', () => () => new SqliteStore(join(dir, 'trees.db'))],
];

/** Closes every live session of a host (their records go idle). */
export function hostCloseAll(host: SyncHost): void {
  for (const session of [...host.sessions]) session.close();
}

/** How many client records a store holds. */
export function countClients(store: Store): number {
  if (store instanceof MemoryStore) return store.clientCount;
  if (!(store instanceof SqliteStore)) return expect.unreachable();
  const path = store.path;
  store.commit();
  const raw = new Database(path, { readonly: true });
  const n = raw.prepare('SELECT COUNT(*) FROM clients').pluck().get() as number;
  raw.close();
  return n;
}
