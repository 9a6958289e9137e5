/** Test support for the Tree tests: the fixture tree and its commit assertion. */
import { expect } from 'vitest';
import type { Op } from '../../shared/ops.js';
import { Folder, Item, newTree, recordCommits } from './support.js';

/**
 * root(0) ─ folder(1) ─ item(2) ─ child(3)
 *         └ other(4)
 * seq is 4; commits are recorded from here on.
 */
export function fixture() {
  const tree = newTree();
  const folder = tree.root.create(Folder, { name: 'a' });
  const item = folder.create(Item, { title: 'x', count: 5, tags: { k: 'v' }, list: [1, 2, 3] });
  const child = item.create(Folder, { name: 'c' });
  const other = tree.root.create(Folder, { name: 'b' });
  const commits = recordCommits(tree);
  return { tree, folder, item, child, other, commits };
}

export type Fixture = ReturnType<typeof fixture>;

/** Asserts that exactly one op committed, as one event with the next seq. */
export function expectOneScribe(f: Fixture, op: Op, origin = 'server'): void {
  expect(f.tree.seq).toBe(5);
  expect(f.commits).toEqual([{ firstSeq: 5, ops: [op], origin }]);
}
