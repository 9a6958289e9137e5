/**
 * Audiences under a visibility rule that reads more than its own object: an Item's scope key names
 * its parent Folder, so renaming a folder gives the items under it keys never seen before. Those
 * keys are first met while a transaction's streams are built, and may split an audience then: each
 * viewer must still get the stream of its own verdicts, not that of its old audience's first viewer.
 * The parent's rename rescopes its items (server/scope-deps.ts), so the new keys are met while the
 * streams are built, and a commit must not leak what it computes then.
 */
import { describe, expect, it } from 'vitest';
import { OP, ServerEvent, type Op } from '../../shared/index.js';
import { sendFiltered } from '../../server/fanout-filtered.js';
import type { Principal, VisibilityRules } from '../../server/hooks.js';
import { sendToEach } from '../../server/transport.js';
import type { Viewer } from '../../server/viewer.js';
import { TreeVisibility, streamOf, type TxnStreams } from '../../server/visibility.js';
import { FakeLink } from '../helpers/fake-link.js';
import { Folder, Item, TI, newTree } from './support.js';

/** A sees every item of a visible folder; B does not see items of a folder named `z`, but for `pub` ones. */
function canSee(principal: Principal, key: string): boolean {
  if (key.startsWith('f:')) return key === 'f:z';
  if (principal.id === 'a') return true;
  return !key.endsWith(':z') || key.startsWith('i:pub:');
}

const rules: VisibilityRules = {
  scopes: {
    Folder: (folder) => `f:${String(folder.get('name' as never))}`,
    // Reads the parent: renaming a folder changes the keys of the items in it, which the rename does not touch.
    Item: (item) => `i:${String(item.get('title' as never))}:${String(item.parent?.get('name' as never))}`,
  },
  canSee,
};

const PRINCIPALS: Record<string, Principal> = { A: { id: 'a' }, B: { id: 'b' } };

function setup(order: readonly ('A' | 'B')[]) {
  const tree = newTree();
  const errors: unknown[] = [];
  const visibility = new TreeVisibility(tree, rules, (error) => void errors.push(error));
  tree.observer = visibility;
  const txns: TxnStreams[] = [];
  tree.on('commit', (firstSeq, ops, origin) => void txns.push(visibility.commit(firstSeq, ops, origin)));
  // A hidden folder q (nobody sees f:q) with two items; A and B agree on every key so far.
  const q = tree.root.create(Folder, { name: 'q' });
  const secret = q.create(Item, { title: 'secret', data: 'SECRET-X' });
  const pub = q.create(Item, { title: 'pub', data: 'public' });
  const viewers = new Map<string, Viewer>();
  const links = new Map<string, FakeLink>();
  // The first viewer added is its audience's first: the one whose stream the audience would get.
  for (const name of order) {
    const link = new FakeLink(name);
    const viewer = visibility.viewer({ link }, () => PRINCIPALS[name] as Principal);
    viewer.sentSeq = tree.seq;
    visibility.add(viewer);
    viewers.set(name, viewer);
    links.set(name, link);
  }
  const A = viewers.get('A') as Viewer;
  const B = viewers.get('B') as Viewer;
  return { tree, visibility, txns, errors, q, secret, pub, A, B, linkA: links.get('A'), linkB: links.get('B') };
}

describe('audiences under a rule that reads the parent', () => {
  it.each([[['A', 'B'] as const], [['B', 'A'] as const]])('splits an audience on a key first met while building the streams (viewers added %j)', (order) => {
    const s = setup(order);
    expect(s.visibility.partition().audiences).toHaveLength(1);
    expect([...s.visibility.keys].sort()).toEqual(['f:q', 'i:pub:q', 'i:secret:q']);
    const seqBefore = s.tree.seq;
    s.txns.length = 0;

    // One transaction: the folder turns visible (f:z), and its items get the keys i:secret:z and
    // i:pub:z, met only when a stream walks the folder's subtree. B may not see i:secret:z.
    s.q.attrs.name.set('z');

    expect(s.errors).toEqual([]);
    expect([...s.visibility.keys].sort()).toEqual(['f:q', 'f:z', 'i:pub:q', 'i:pub:z', 'i:secret:q', 'i:secret:z']);
    expect(s.txns).toHaveLength(1);
    const txn = s.txns[0] as TxnStreams;
    const folderCreate = [OP.create, s.q.id, TI.Folder, 0, 0, { name: 'z' }];
    const itemCreate = (id: number, title: string, data: string, at: number) => [OP.create, id, TI.Item, s.q.id, at, { title, count: 0, done: false, data, tags: {}, list: [] }];
    expect(streamOf(txn, s.A)).toEqual([folderCreate, itemCreate(s.secret.id, 'secret', 'SECRET-X', 0), itemCreate(s.pub.id, 'pub', 'public', 1)]);
    const streamB = streamOf(txn, s.B) as readonly Op[];
    expect(streamB.some((op) => op[1] === s.secret.id), 'B is sent the item it may not see').toBe(false);
    expect(streamB).toEqual([folderCreate, itemCreate(s.pub.id, 'pub', 'public', 0)]);

    // And as sent: B's link never carries the secret item, A's does.
    const args = [s.tree.ref, txn.firstSeq, txn.ops, null, txn.lastSeq];
    expect(txn.firstSeq).toBe(seqBefore + 1);
    sendFiltered(sendToEach, s.tree, s.visibility, args, [txn]);
    // What each link received, as the bytes JSON would put on the wire.
    const bytesA = JSON.stringify(s.linkA?.received ?? []);
    const bytesB = JSON.stringify(s.linkB?.received ?? []);
    expect(s.linkA?.received).toHaveLength(1);
    expect(s.linkB?.received).toHaveLength(1);
    expect(bytesA).toContain(ServerEvent.batch);
    expect(bytesA).toContain('SECRET-X');
    expect(bytesB).toContain('public');
    expect(bytesB).not.toContain('SECRET-X');
    expect(bytesB).not.toContain('secret');
    // The new keys split the audience: the transaction was streamed on the new partition.
    expect(txn.partition.audiences).toHaveLength(2);
    expect(txn.partition.audienceOf.get(s.A)).not.toBe(txn.partition.audienceOf.get(s.B));
  });
});
