/** Test support for the server layer: fixture types, a tree factory, commit recording, coded-error assertions. */
import type { Parameters } from 'fast-check';
import { propertyParams as sharedParams } from '../shared/support.js';
import type { Op } from '../../shared/ops.js';
import { defineType, t } from '../../shared/schema.js';
import type { WireObject } from '../../shared/protocol.js';
import { TypeRegistry } from '../../server/registry.js';
import { Tree, type TreeOptions } from '../../server/tree.js';

/** The root type of the fixture trees. */
export const Root = defineType('Root', { title: t.string('root'), scores: t.dict(t.number()) });
/** A container type. */
export const Folder = defineType('Folder', { name: t.string('') });
/** A type with one attribute of every kind. */
export const Item = defineType('Item', {
  title: t.string('untitled'),
  count: t.number(0),
  done: t.boolean(false),
  data: t.json(),
  tags: t.dict(t.string()),
  list: t.list(t.number()),
});
/** Containers of JSON values, whose elements can alias. */
export const Bag = defineType('Bag', { docs: t.list(t.json()), map: t.dict(t.json()) });
/** A type no registry knows. */
export const Stranger = defineType('Stranger', { x: t.number() });

/** Every registered type, in wire order. */
export const TYPES = [Root, Folder, Item, Bag] as const;
/** Type indexes on the wire. */
export const TI = { Root: 0, Folder: 1, Item: 2, Bag: 3 } as const;
/** Attribute indexes of Item. */
export const A = { title: 0, count: 1, done: 2, data: 3, tags: 4, list: 5 } as const;
/** Item's default values, as a create scribe carries them. */
export const ITEM_DEFAULTS = { title: 'untitled', count: 0, done: false, data: null, tags: {}, list: [] };

/** A fresh tree named `main` (ref 1) with a Root root. */
export function newTree(options: TreeOptions = {}): Tree<typeof Root.attrs> {
  return new Tree<typeof Root.attrs>('main', 1, new TypeRegistry(TYPES), Root, options);
}

/** One 'commit' event. */
export interface Commit {
  readonly firstSeq: number;
  readonly ops: readonly Op[];
  readonly origin: string;
}

/** Records a tree's commit events (the ops arrays as emitted, not copies). */
export function recordCommits(tree: Tree): Commit[] {
  const commits: Commit[] = [];
  tree.on('commit', (firstSeq, ops, origin) => commits.push({ firstSeq, ops, origin }));
  return commits;
}

/** A deep copy of a snapshot, so later mutations of the tree cannot change it. */
export function frozenSnapshot(tree: Tree): WireObject[] {
  return tree.snapshot();
}

/** A value as it would come out of a JSON wire. */
export function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** An operation tuple built from untyped parts (for malformed ops). */
export function rawOp(...parts: unknown[]): Op {
  return parts as unknown as Op;
}

export { expectSyncError, thrown } from '../shared/support.js';

/**
 * fast-check parameters: `numRuns` runs, and the seed from TREESYNC_SEED when set, so a failure
 * (fast-check prints its seed) replays with `TREESYNC_SEED=123 npx vitest run test/server`.
 */
export function propertyParams<T>(numRuns = 300): Parameters<T> {
  return sharedParams<T>(numRuns);
}
