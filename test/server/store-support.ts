/** Test support for the Store tests: the stores under test, temporary files, records and scribes to store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { ErrorCode, OP, SyncError, type Json, type Op } from '../../shared/index.js';
import type { Store, StoredClient, StoredTree } from '../../server/store/store.js';
import { MemoryStore } from '../../server/store/memory-store.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';

export let dir = '';
export let file = '';
const opened: Store[] = [];

/** Registers the hooks that give each test a fresh temporary `dir` (and `file` in it) and close the stores it tracked. */
export function useStoreFiles(): void {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'treesync-store-'));
    file = join(dir, 'trees.db');
  });
  afterEach(() => {
    for (const store of opened.splice(0)) {
      try {
        store.close();
      } catch {
        // Closed already, or a test left it broken on purpose.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
}

interface Subject {
  readonly name: string;
  /** Whether uncommitted writes are lost when the process dies (a memory store loses everything then). */
  readonly durable: boolean;
  /** Opens the store at a path: again after close(), it is the same store a restarted process would find. */
  readonly open: (path: string) => Store;
}

/** A memory store outlives close() in this process only: "reopening" it is using it again. */
const memories = new Map<string, MemoryStore>();
export const subjects: Subject[] = [
  {
    name: 'MemoryStore',
    durable: false,
    open: (path) => {
      let store = memories.get(path);
      if (store === undefined) memories.set(path, (store = new MemoryStore()));
      return store;
    },
  },
  { name: 'SqliteStore', durable: true, open: (path) => new SqliteStore(path) },
];

export function track<S extends Store>(store: S): S {
  opened.push(store);
  return store;
}

/** A client record with this lastOpId (and nothing else of note). */
export function rec(lastOpId: number, over: Partial<StoredClient> = {}): StoredClient {
  return { lastOpId, seqs: [], answers: [], seenAt: 1_000, ...over };
}

export function setOp(id: number, value: Json): Op {
  return [OP.set, id, 0, value];
}

export function ops(from: number, count: number): Op[] {
  return Array.from({ length: count }, (_, i) => setOp(1, from + i));
}

export function storedTree(name: string, over: Partial<StoredTree> = {}): StoredTree {
  return {
    name,
    epoch: `epoch-${name}`,
    rootType: 'Board',
    snapshot: { seq: 0, types: ['Board', 'Card'], objects: [[0, 0, -1, ['title', { a: 1 }, [1, 2]]]] },
    ops: [],
    origins: [],
    nextId: 1,
    ...over,
  };
}

/** Expects `fn` to throw an INTERNAL SyncError whose message contains every one of `words`. */
export function expectInternal(fn: () => unknown, ...words: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SyncError);
  expect((caught as SyncError).code).toBe(ErrorCode.INTERNAL);
  for (const word of words) expect((caught as SyncError).message).toContain(word);
}
