/**
 * Where trees persist: their scribes, snapshots and the client records. The host writes through
 * this interface only; memory-store.ts and sqlite-store.ts implement it.
 */
import type { AckMessage, Op, RejectMessage, WireObject } from '../../shared/index.js';

/** A tree as the store holds it: enough to restore it exactly. */
export interface StoredTree {
  readonly name: string;
  /** The tree's epoch: kept across restarts, so clients' seqs stay meaningful. */
  readonly epoch: string;
  /** The root type's name. */
  readonly rootType: string;
  /** The latest snapshot: the tree at `seq`, parents before children (wire objects, type names resolved by the host). */
  readonly snapshot: { readonly seq: number; readonly types: readonly string[]; readonly objects: readonly WireObject[] };
  /** The scribes after the snapshot, in seq order: first seq `snapshot.seq + 1`. */
  readonly ops: readonly Op[];
  readonly origins: readonly string[];
  /** The next object id to hand out (ids are never reused, not even across restarts). */
  readonly nextId: number;
}

/** The answer a proposal got: its ack or its reject, as sent. */
export type StoredAnswer = readonly ['ack', AckMessage] | readonly ['reject', RejectMessage];

/** What a store keeps per client id. */
export interface StoredClient {
  /** The highest opId answered: a proposal at or below it is a resend, never applied again. */
  readonly lastOpId: number;
  /** Per tree name, the last seq this client is known to have applied. */
  readonly seqs: readonly (readonly [tree: string, seq: number])[];
  /** Answers the client has not released with `seen` (the newest of them), in opId order. */
  readonly answers: readonly StoredAnswer[];
  /** When the client was last active, in ms since the epoch; {@link Store.pruneClients} goes by it. */
  readonly seenAt: number;
  /**
   * Set by `client()` when part of the stored record could not be read (its seqs or answers): that
   * part is left out, lastOpId is always sound, and the text says what was wrong, for the host to log.
   */
  readonly damaged?: string;
}

/**
 * A durable home for trees. Writes are buffered and made durable together by `commit()` (group
 * commit); nothing a client was told is lost if the process dies after `commit()` returned.
 */
export interface Store {
  /** Every stored tree, restored for the host at startup. Throws a SyncError (INTERNAL) naming the file on a corrupt store. */
  load(): readonly StoredTree[];
  /** A new tree (its snapshot at seq 0). */
  createTree(tree: StoredTree): void;
  /**
   * Buffers committed scribes of a tree, seqs firstSeq, firstSeq + 1, ... Returns about how many
   * bytes they take (their JSON text), so the host can snapshot by size.
   */
  append(tree: string, firstSeq: number, ops: readonly Op[], origin: string, nextId: number): number;
  /** Replaces the tree's snapshot and drops the scribes it covers, keeping the last `keep` for catch-up. */
  snapshot(tree: string, snapshot: StoredTree['snapshot'], nextId: number, keep: number): void;
  /** The scribes of a tree after `since`, or undefined when the store no longer holds them all. */
  since(tree: string, since: number): { ops: Op[]; origins: string[] } | undefined;
  /** A client record, committed or still buffered; a damaged part is left out and named in `damaged`. */
  client(clientId: string): StoredClient | undefined;
  /** Buffers a client record, replacing the one stored; saving an id again before the commit replaces the buffered one. */
  saveClient(clientId: string, record: StoredClient): void;
  /** Commits what is buffered, then deletes the client records whose seenAt is before `olderThanMs` (ms since the epoch); returns how many. */
  pruneClients(olderThanMs: number): number;
  /** Makes every buffered write durable. */
  commit(): void;
  /** Commits and releases the store. */
  close(): void;
}
