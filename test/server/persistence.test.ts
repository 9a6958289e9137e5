import { describe, expect, it } from 'vitest';
import { ErrorCode, OP, PROTOCOL_VERSION, type Op } from '../../shared/index.js';
import { MemoryStore, SyncHost, type Logger, type StoredClient } from '../../server/index.js';
import { FakeHub, throughWire } from '../helpers/fake-link.js';
import { A, Item, Root, TI, TYPES } from './support.js';

/** A memory store whose commits fail while `down` is set, and which records what each commit held. */
class FlakyStore extends MemoryStore {
  down = false;
  commits: { scribes: number; lastOpId: number | undefined }[] = [];
  #scribes = 0;
  #lastOpId: number | undefined;
  override append(tree: string, firstSeq: number, ops: readonly Op[], origin: string, nextId: number): number {
    this.#scribes += ops.length;
    return super.append(tree, firstSeq, ops, origin, nextId);
  }
  override saveClient(clientId: string, record: StoredClient): void {
    super.saveClient(clientId, record);
    this.#lastOpId = record.lastOpId;
  }
  override commit(): void {
    if (this.down) throw new Error('disk full');
    this.commits.push({ scribes: this.#scribes, lastOpId: this.#lastOpId });
    this.#scribes = 0;
    this.#lastOpId = undefined;
    super.commit();
  }
}

function setup(mode: 'immediate' | 'tick') {
  const store = new FlakyStore();
  const errors: unknown[] = [];
  const logger: Logger = { warn: () => undefined, error: (_m, e) => errors.push(e) };
  const hub = new FakeHub();
  const host = new SyncHost({ types: TYPES, store, logger, flush: { mode } }, hub.broadcast);
  const tree = host.tree('main', Root);
  const item = tree.root.create(Item);
  const link = hub.link();
  const session = host.open(link, { v: PROTOCOL_VERSION, clientId: 'c1' });
  const send = (event: string, body: unknown): void => session.receive(event, throughWire([body]));
  return { store, errors, hub, host, tree, item, link, send };
}

describe('persistence when the store cannot commit', () => {
  it('holds acks, broadcasts and joins until a commit succeeds, then sends them in order', async () => {
    const { store, errors, hub, tree, link, send } = setup('tick');
    send('join', { tree: 'main' });
    link.take();
    hub.broadcasts.length = 0;
    store.down = true;
    send('propose', { tree: 'main', opId: 1, baseSeq: tree.seq, ops: [[OP.add, 1, A.count, 1]] });
    send('propose', { tree: 'main', opId: 2, baseSeq: tree.seq, ops: [[OP.add, 1, A.count, 2]] });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(link.received.filter((r) => r.event === 'ack')).toEqual([]);
    expect(hub.broadcasts).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
    store.down = false;
    await expect.poll(() => link.received.filter((r) => r.event === 'ack').length, { timeout: 2_000 }).toBe(2);
    expect(link.received.filter((r) => r.event === 'ack').map((r) => (r.args[0] as { opId: number }).opId)).toEqual([1, 2]);
    await expect.poll(() => hub.broadcasts.length, { timeout: 2_000 }).toBe(1);
    expect(hub.broadcasts[0]?.args.slice(0, 3)).toEqual([1, 2, [[OP.add, 1, A.count, 1], [OP.add, 1, A.count, 2]]]);
  });

  it('answers a join with INTERNAL while what it would show is not durable', () => {
    const { store, host, tree, item, hub } = setup('tick');
    store.down = true;
    item.attrs.count.add(1);
    const link = hub.link();
    const session = host.open(link, { v: PROTOCOL_VERSION, clientId: 'c2' });
    link.take();
    session.receive('join', throughWire([{ tree: 'main' }]));
    expect(link.received).toEqual([{ event: 'error', args: [{ code: ErrorCode.INTERNAL, message: expect.any(String) as string, ref: 'main' }] }]);
    expect(tree.seq).toBe(2);
  });
});

describe('persistence and exactly-once', () => {
  it('never commits a proposal\'s scribes without its client record, even when every commit is broadcast at once', () => {
    const { store, tree, send } = setup('immediate');
    send('join', { tree: 'main' });
    store.commits = [];
    send('propose', { tree: 'main', opId: 1, baseSeq: tree.seq, ops: [[OP.create, -1, TI.Folder, 0, -1, {}]] });
    const first = store.commits.find((c) => c.scribes > 0);
    expect(first).toEqual({ scribes: 1, lastOpId: 1 });
  });
});
