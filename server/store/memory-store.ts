/**
 * A Store in plain maps: for tests, and the reference behaviour SqliteStore must match. It holds
 * JSON text, never the caller's arrays, so a caller that mutates what it passed or got back
 * changes nothing stored (and values come back as SqliteStore returns them: JSON round-tripped).
 */
import type { Op } from '../../shared/index.js';
import type { Store, StoredClient, StoredTree } from './store.js';
import { applySnapshotMark, checkAppend, clientRow, markOfNewTree, readClientRow, sinceCoverage, type ClientRow, type TreeMark } from './store-checks.js';

interface MemoryTree {
  readonly name: string;
  readonly epoch: string;
  readonly rootType: string;
  readonly mark: TreeMark;
  /** JSON of the snapshot. */
  snapshot: string;
  /** JSON of each scribe held, seqs mark.first, mark.first + 1, ... */
  ops: string[];
  origins: string[];
}

/**
 * A Store that lives as long as the process: commit() has nothing to do, close() forgets nothing
 * (the same instance can be "reopened" by using it again).
 * @example
 * const server = new SyncServer({ types: [Board], store: new MemoryStore() });
 */
export class MemoryStore implements Store {
  readonly #trees = new Map<string, MemoryTree>();
  /** Client records as SqliteStore holds them: their seqs and answers as JSON text. */
  readonly #clients = new Map<string, ClientRow>();

  /** Every stored tree, copied. */
  load(): readonly StoredTree[] {
    return Array.from(this.#trees.values(), (t) => {
      const skip = t.mark.snapSeq + 1 - t.mark.first;
      return {
        name: t.name,
        epoch: t.epoch,
        rootType: t.rootType,
        snapshot: JSON.parse(t.snapshot) as StoredTree['snapshot'],
        ops: t.ops.slice(skip).map((op) => JSON.parse(op) as Op),
        origins: t.origins.slice(skip),
        nextId: t.mark.nextId,
      };
    });
  }

  /** Stores a new tree; INTERNAL if the name is taken. */
  createTree(tree: StoredTree): void {
    const mark = markOfNewTree(tree, this.#trees.has(tree.name));
    this.#trees.set(tree.name, {
      name: tree.name,
      epoch: tree.epoch,
      rootType: tree.rootType,
      mark,
      snapshot: JSON.stringify(tree.snapshot),
      ops: tree.ops.map((op) => JSON.stringify(op)),
      origins: [...tree.origins],
    });
  }

  /** Stores scribes; INTERNAL unless firstSeq follows the last stored seq. Returns their JSON length. */
  append(tree: string, firstSeq: number, ops: readonly Op[], origin: string, nextId: number): number {
    const t = this.#trees.get(tree);
    const mark = checkAppend(tree, t?.mark, firstSeq, nextId);
    if (t === undefined) return 0;
    let bytes = 0;
    for (const op of ops) {
      const json = JSON.stringify(op);
      bytes += json.length + origin.length;
      t.ops.push(json);
      t.origins.push(origin);
    }
    mark.last += ops.length;
    mark.nextId = nextId;
    return bytes;
  }

  /** Replaces the snapshot and drops the scribes up to `snapshot.seq - keep`. */
  snapshot(tree: string, snapshot: StoredTree['snapshot'], nextId: number, keep: number): void {
    const t = this.#trees.get(tree);
    const before = t?.mark.first ?? 0;
    applySnapshotMark(tree, t?.mark, snapshot.seq, nextId, keep);
    if (t === undefined) return;
    t.snapshot = JSON.stringify(snapshot);
    const drop = t.mark.first - before;
    if (drop > 0) {
      t.ops.splice(0, drop);
      t.origins.splice(0, drop);
    }
  }

  /** Copies of the scribes after `since`, or undefined when some are no longer held. */
  since(tree: string, since: number): { ops: Op[]; origins: string[] } | undefined {
    const t = this.#trees.get(tree);
    const coverage = sinceCoverage(t?.mark, since);
    if (coverage === 'none') return { ops: [], origins: [] };
    if (coverage === 'gone' || t === undefined) return undefined;
    const from = since + 1 - t.mark.first;
    return { ops: t.ops.slice(from).map((op) => JSON.parse(op) as Op), origins: t.origins.slice(from) };
  }

  /** A client record, read back from its JSON; a part that does not read is left out and named in `damaged`. */
  client(clientId: string): StoredClient | undefined {
    const row = this.#clients.get(clientId);
    return row === undefined ? undefined : readClientRow('the memory store', clientId, row);
  }

  /** Stores a client record; INTERNAL if lastOpId or seenAt is not an integer. */
  saveClient(clientId: string, record: StoredClient): void {
    this.#clients.set(clientId, clientRow(clientId, record));
  }

  /** Deletes the client records last seen before `olderThanMs`; returns how many. */
  pruneClients(olderThanMs: number): number {
    let pruned = 0;
    for (const [id, row] of this.#clients) {
      if (row[3] < olderThanMs) {
        this.#clients.delete(id);
        pruned++;
      }
    }
    return pruned;
  }

  /** How many client records it holds (for tests and monitoring). */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Nothing to do: every write is already as durable as this store gets. */
  commit(): void {}

  /** Nothing to release; the data stays for a later use of the same instance. */
  close(): void {}
}
