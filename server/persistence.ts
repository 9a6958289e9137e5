/**
 * The host's use of a Store: restores trees at startup, appends every commit, snapshots by
 * scribe count and bytes, keeps client records, and makes writes durable before anyone is told of
 * them (broadcasts commit first; acks wait for one group commit per event-loop turn).
 */
import { ErrorCode, SyncError, type AnyTypeDef, type Op } from '../shared/index.js';
import { ClientRecord } from './client-records.js';
import type { TypeRegistry } from './registry.js';
import type { Store, StoredTree } from './store/store.js';
import type { Tree } from './tree.js';
import { StoredLayout, storedTypes } from './stored-layout.js';

/** How a host persists. */
export interface PersistenceOptions {
  readonly store: Store;
  /** Scribes between two snapshots of a tree (default 10,000). */
  readonly snapshotEvery?: number;
  /** Bytes of scribes (their JSON) between two snapshots of a tree, whichever of this and snapshotEvery comes first (default 16 MiB). */
  readonly snapshotBytes?: number;
  /** Scribes kept behind a snapshot for catch-up (default: the log window, 10,000). */
  readonly keep?: number;
}

const RETRY_MS = 100;

/** Writes trees through a store; one per host. */
export class Persistence {
  readonly #store: Store;
  readonly #every: number;
  readonly #bytes: number;
  readonly #keep: number;
  /** Per tree, the scribes and bytes appended since its last snapshot. */
  readonly #sinceSnapshot = new Map<string, { count: number; bytes: number }>();
  /** Client records to write at the next commit, as they stand then: one write per client however often it was saved. */
  readonly #clients = new Map<string, ClientRecord>();
  #dirty = false;
  #waiting: (() => void)[] = [];
  #scheduled = false;

  constructor(
    options: PersistenceOptions,
    readonly registry: TypeRegistry,
    /** Told of every failed commit (the host logs it); the commit is retried. */
    readonly onError: (error: unknown) => void,
    /** Told of a stored client record that was damaged, and read without the damaged part. */
    readonly onDamage: (error: SyncError) => void = () => undefined,
  ) {
    this.#store = options.store;
    this.#every = Math.max(1, options.snapshotEvery ?? 10_000);
    this.#bytes = Math.max(1, options.snapshotBytes ?? 16 * 1024 * 1024);
    this.#keep = Math.max(0, options.keep ?? 10_000);
  }

  /** The stored trees, to be restored with {@link restore}. */
  load(): readonly StoredTree[] {
    return this.#store.load();
  }

  /** Rebuilds a stored tree exactly, then snapshots it so stored type indexes match this registry. */
  restore(tree: Tree, stored: StoredTree): void {
    let layout: StoredLayout;
    try {
      layout = new StoredLayout(stored.snapshot.types, this.registry, stored.name);
      const objects = stored.snapshot.objects.map(([id, t, parent, values]) => [id, layout.typeIndex(t), parent, layout.values(t, values)] as const);
      tree.restore(objects, stored.snapshot.seq, stored.nextId);
      stored.ops.forEach((op: Op, i) => tree.replay(layout.op(op, (id) => tree.find(id)?.type), stored.origins[i] ?? 'server'));
    } catch (error) {
      throw new SyncError(ErrorCode.INTERNAL, `the store's tree ${stored.name} does not replay: ${error instanceof Error ? error.message : String(error)}`, { ref: stored.name, cause: error });
    }
    // Stored scribes name types and attributes by index: if the layout changed, those kept for
    // catch-up would name the wrong ones, so keep none (catch-up then falls back to a snapshot).
    this.#snapshot(tree, layout.identical ? this.#keep : 0);
    this.#store.commit();
  }

  /** A new tree: stored at once. */
  created(tree: Tree, rootType: AnyTypeDef): void {
    this.#store.createTree({ name: tree.name, epoch: tree.epoch, rootType: rootType.name, snapshot: this.#wire(tree), ops: [], origins: [], nextId: tree.nextId });
    this.#touch();
  }

  /** A committed transaction of a tree. */
  committed(tree: Tree, firstSeq: number, ops: readonly Op[], origin: string): void {
    const bytes = this.#store.append(tree.name, firstSeq, ops, origin, tree.nextId);
    let since = this.#sinceSnapshot.get(tree.name);
    if (since === undefined) this.#sinceSnapshot.set(tree.name, (since = { count: 0, bytes: 0 }));
    since.count += ops.length;
    since.bytes += bytes;
    if (since.count >= this.#every || since.bytes >= this.#bytes) this.#snapshot(tree, this.#keep);
    this.#touch();
  }

  /** A client record, written as it stands at the next commit (so saving it again before then costs nothing). */
  saveClient(clientId: string, record: ClientRecord): void {
    this.#clients.set(clientId, record);
    this.#touch();
  }

  /**
   * The stored record of a client id, as a new ClientRecord holding at most `keep` answers (the one
   * waiting to be written, if any, as it is). A damaged part of it is left out and reported.
   */
  client(clientId: string, keep: number): ClientRecord | undefined {
    const waiting = this.#clients.get(clientId);
    if (waiting !== undefined) return waiting;
    const stored = this.#store.client(clientId);
    if (stored === undefined) return undefined;
    if (stored.damaged !== undefined) this.onDamage(new SyncError(ErrorCode.INTERNAL, `${stored.damaged}; read without it`, { ref: clientId }));
    return ClientRecord.fromStored(stored, keep);
  }

  /**
   * Commits, then deletes the stored client records last seen before `olderThanMs`; returns how many,
   * or undefined when the commit failed (nothing is pruned then). Throws what the store throws.
   */
  pruneClients(olderThanMs: number): number | undefined {
    if (!this.commit()) return undefined;
    return this.#store.pruneClients(olderThanMs);
  }

  /** Scribes of a tree after `since` that the store still holds (beyond the memory window). */
  since(tree: Tree, since: number): { ops: Op[]; origins: string[] } | undefined {
    return this.#store.since(tree.name, since);
  }

  /**
   * Makes every buffered write durable now (before a broadcast tells clients about it). Returns
   * whether everything written so far is durable; a failed commit keeps the store's buffer, is
   * reported to `onError`, and is tried again by the next call. Never throws.
   */
  commit(): boolean {
    if (!this.#dirty) return true;
    try {
      this.#stageClients();
      this.#store.commit();
    } catch (error) {
      this.onError(error);
      return false;
    }
    this.#dirty = false;
    return true;
  }

  /**
   * Runs `fn` once what was written so far is durable: one group commit per event-loop turn, in
   * order; while commits fail, `fn` waits (acks are never sent for what is not durable).
   */
  whenDurable(fn: () => void): void {
    if (!this.#dirty && this.#waiting.length === 0) return fn();
    this.#waiting.push(fn);
    this.#schedule(0);
  }

  #schedule(delay: number): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const run = (): void => {
      this.#scheduled = false;
      if (!this.commit()) return this.#schedule(RETRY_MS);
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const fn of waiting) fn();
    };
    if (delay === 0) setImmediate(run);
    else setTimeout(run, delay);
  }

  /** Commits and closes the store; answers that never became durable are dropped, not sent. */
  close(): void {
    if (this.commit()) for (const fn of this.#waiting.splice(0)) fn();
    this.#waiting = [];
    this.#store.close();
  }

  #touch(): void {
    this.#dirty = true;
  }

  /** Hands the client records saved since the last commit to the store, as they stand now. */
  #stageClients(): void {
    for (const [clientId, record] of this.#clients) {
      this.#store.saveClient(clientId, record.toStored());
      this.#clients.delete(clientId);
    }
  }

  #snapshot(tree: Tree, keep: number): void {
    this.#store.snapshot(tree.name, this.#wire(tree), tree.nextId, keep);
    this.#sinceSnapshot.set(tree.name, { count: 0, bytes: 0 });
    this.#touch();
  }

  #wire(tree: Tree): StoredTree['snapshot'] {
    // The live wire snapshot, not a copy: every store serializes what it is given at once.
    return { seq: tree.seq, types: storedTypes(this.registry), objects: tree.wireSnapshot() };
  }
}
