/**
 * The rules both stores enforce on their callers, so that MemoryStore and SqliteStore refuse the
 * same mistakes with the same errors: a store never writes a history with a gap in it.
 */
import { ErrorCode, SyncError } from '../../shared/index.js';
import type { StoredTree } from './store.js';

/** Where a store's tree stands: its snapshot, and the range of scribes it holds. */
export interface TreeMark {
  /** The snapshot's seq. */
  snapSeq: number;
  /** The seq of the oldest scribe held (`last + 1` when none is). */
  first: number;
  /** The seq of the newest scribe held, or the snapshot's seq when none is newer. */
  last: number;
  nextId: number;
}

/** An INTERNAL SyncError: every store failure is a bug or a damaged file, never the client's fault. */
export function storeError(message: string, ref?: string, cause?: unknown): SyncError {
  return new SyncError(ErrorCode.INTERNAL, message, { ref, cause });
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function checkSeq(value: number, what: string, tree: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw storeError(`tree ${JSON.stringify(tree)}: ${what} ${String(value)} is not a non-negative integer`, tree);
}

/** Checks a tree given to createTree and returns its mark; throws INTERNAL when it does not hang together. */
export function markOfNewTree(tree: StoredTree, exists: boolean): TreeMark {
  const name = tree.name;
  if (typeof name !== 'string') throw storeError('a tree name must be a string');
  if (exists) throw storeError(`tree ${JSON.stringify(name)} is already stored`, name);
  // SQLite stores text as UTF-8, where a lone surrogate becomes U+FFFD: the tree would come back renamed.
  for (const [what, text] of [['name', name], ['epoch', tree.epoch], ['root type', tree.rootType]] as const) {
    if (LONE_SURROGATE.test(text)) throw storeError(`tree ${JSON.stringify(name)}: its ${what} is not well-formed Unicode (a lone surrogate)`, name);
  }
  checkSeq(tree.snapshot.seq, 'snapshot seq', name);
  checkSeq(tree.nextId, 'nextId', name);
  if (tree.ops.length !== tree.origins.length) {
    throw storeError(`tree ${JSON.stringify(name)}: ${tree.ops.length} ops but ${tree.origins.length} origins`, name);
  }
  const snapSeq = tree.snapshot.seq;
  return { snapSeq, first: snapSeq + 1, last: snapSeq + tree.ops.length, nextId: tree.nextId };
}

/** Checks that an append continues the tree's history without a gap or an overlap. */
export function checkAppend(tree: string, mark: TreeMark | undefined, firstSeq: number, nextId: number): TreeMark {
  if (mark === undefined) throw storeError(`append to tree ${JSON.stringify(tree)}, which is not stored`, tree);
  if (firstSeq !== mark.last + 1) {
    throw storeError(`tree ${JSON.stringify(tree)}: append at seq ${String(firstSeq)}, but the next seq is ${mark.last + 1}`, tree);
  }
  checkSeq(nextId, 'nextId', tree);
  return mark;
}

/**
 * Checks a snapshot and moves the mark: the snapshot may not go back in time nor past the last
 * scribe. Returns the highest seq whose scribe is dropped (0 or less: none).
 */
export function applySnapshotMark(tree: string, mark: TreeMark | undefined, seq: number, nextId: number, keep: number): number {
  if (mark === undefined) throw storeError(`snapshot of tree ${JSON.stringify(tree)}, which is not stored`, tree);
  checkSeq(seq, 'snapshot seq', tree);
  checkSeq(nextId, 'nextId', tree);
  checkSeq(keep, 'keep', tree);
  if (seq < mark.snapSeq || seq > mark.last) {
    throw storeError(`tree ${JSON.stringify(tree)}: snapshot at seq ${seq} outside ${mark.snapSeq}..${mark.last}`, tree);
  }
  const dropThrough = seq - keep;
  mark.snapSeq = seq;
  mark.first = Math.max(mark.first, dropThrough + 1);
  mark.nextId = nextId;
  return dropThrough;
}

/**
 * Whether a store holding scribes `mark.first..mark.last` can answer `since(since)`: 'none' when
 * there is nothing after it, 'all' when it holds every scribe after it, 'gone' otherwise.
 */
export function sinceCoverage(mark: TreeMark | undefined, since: number): 'none' | 'all' | 'gone' {
  if (mark === undefined || !Number.isSafeInteger(since) || since < 0) return 'gone';
  if (since >= mark.last) return 'none';
  return mark.first <= since + 1 ? 'all' : 'gone';
}
