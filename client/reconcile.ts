/**
 * What a mirror shows: the state the server confirmed (its snapshots and batches) with this
 * client's pending proposals applied on top, applied again after every confirmed change.
 */
import { ErrorCode, fail, parseOp, type ObjectId, type Op } from '../shared/index.js';
import { applyBatch, expandOrigins, type StateDiff } from './apply-batch.js';
import type { TypeCatalog } from './catalog.js';
import { Touched, diffTouched, isLocalId, mapIds, names } from './overlay.js';
import { snapshotState } from './snapshot.js';
import type { Ack, TreeState } from './types.js';

/** A proposal as the mirror shows it until it is confirmed. */
export interface PendingProposal {
  readonly local: readonly Op[];
  readonly creates: readonly ObjectId[];
  readonly ack: Ack | undefined;
}

/** What a {@link Reconciler} needs of its mirror and the mirror's client. */
export interface ReconcileHost {
  /** The tree's name, for warnings. */
  readonly name: string;
  catalog(): TypeCatalog;
  /** The state the mirror shows. */
  shown(): TreeState | undefined;
  /** Shows a new state, with the events between `previous` and it. */
  install(diff: StateDiff, previous: TreeState | undefined): void;
  closed(): boolean;
  /** The mirror's proposals still waiting, in order. */
  pending(): readonly PendingProposal[];
  /** Whether one of them was sent and has no answer yet. */
  unanswered(): boolean;
  /** The real id the server gave a local one. */
  realId(local: ObjectId): ObjectId | undefined;
  /** This client's id: the origin of its scribes. */
  origin(): string;
  /** Asks for a join again: with `since` for the scribes after it, without for a fresh snapshot. */
  resync(since: number | undefined): void;
  /** The mirror shows what it showed, reconciled. */
  applied(): void;
  warn(msg: string, ...args: unknown[]): void;
}

/** Keeps a mirror's shown state reconciled with what the server confirmed. */
export class Reconciler {
  /** What the server confirmed. */
  #confirmed: TreeState | undefined;
  /** What the shown pending proposals touched (relative to #confirmed). */
  #overlay = new Touched();
  /** Confirmed changes not shown yet (while the shown state may already hold them as pending). */
  #deferred: Touched | null = null;
  /** The last seq of a scribe of this client in #confirmed, and the highest seq acked to it. */
  #ownMax = 0;
  #ackMax = 0;
  #resyncing = true;

  constructor(private readonly host: ReconcileHost) {}

  /** What the server confirmed, once joined. */
  get confirmed(): TreeState | undefined {
    return this.#confirmed;
  }

  /** A join was sent, or the mirror closed: batches are dropped until a `joined` answer. */
  rejoining(): void {
    this.#resyncing = true;
  }

  /** A proposal of this mirror was answered (`seq`: of an ack), or failed. */
  answered(seq: number | undefined): void {
    if (seq !== undefined && seq > this.#ackMax) this.#ackMax = seq;
    this.#reconcile();
  }

  /** Shows a proposal just made (`local`, built against `prev`, the shown state) at once, pending. */
  proposed(prev: TreeState, local: readonly Op[]): void {
    let diff: StateDiff;
    try {
      diff = applyBatch(prev, this.host.catalog(), prev.seq, local, this.#origins(local.length), true);
    } catch (error) {
      // Checked against this very state, so it applies; if not, the server's answer decides.
      this.host.warn(`treesync: a proposal to ${this.host.name} does not apply locally`, error);
      return;
    }
    this.#overlay.add(diff);
    this.host.install(diff, prev);
  }

  /** A pending proposal's ops with the local ids the server has named replaced; undefined when one is not named yet. */
  #named(p: PendingProposal, live: ReadonlySet<ObjectId>): Op[] | undefined {
    const unnamed = (id: ObjectId): boolean => isLocalId(id) && !live.has(id) && !p.creates.includes(id);
    if (p.local.some((op) => names(op, (id) => unnamed(id) && this.host.realId(id) === undefined))) return undefined;
    return p.local.map((op) => mapIds(op, (id) => (unnamed(id) ? (this.host.realId(id) ?? id) : id)));
  }

  #origins(count: number): string[] {
    return new Array<string>(count).fill(this.host.origin());
  }

  /**
   * Shows the confirmed state with the pending proposals on top again, with the events between
   * what was shown and that. Waits while the confirmed state may hold a proposal of this client
   * whose answer has not come (it would show twice: once confirmed, once pending).
   */
  #reconcile(): void {
    const base = this.#confirmed;
    const prev = this.host.shown();
    if (base === undefined || prev === undefined || this.host.closed()) return;
    if (this.#ownMax > this.#ackMax) {
      if (this.host.unanswered()) return;
      // Every proposal sent was answered: this client's scribes in the confirmed state are all explained.
      this.#ownMax = this.#ackMax;
    }
    const catalog = this.host.catalog();
    const touched = (this.#deferred ?? new Touched()).merge(this.#overlay);
    const overlay = new Touched();
    const live = new Set<ObjectId>();
    let next = base;
    for (const p of this.host.pending()) {
      if (p.ack !== undefined && base.seq >= p.ack.seq) continue;
      const ops = this.#named(p, live);
      if (ops === undefined) continue;
      try {
        const diff = applyBatch(next, catalog, next.seq, ops, this.#origins(ops.length), true);
        next = diff.state;
        overlay.add(diff);
        touched.add(diff);
        for (const id of p.creates) live.add(id);
      } catch {
        // It no longer applies (another client changed what it builds on): the server will refuse it.
      }
    }
    this.#overlay = overlay;
    this.#deferred = null;
    if (next === prev) {
      this.host.applied();
      return;
    }
    this.host.install(diffTouched(prev, next, catalog, touched, this.host.origin()), prev);
  }

  /** A `joined` answer; throws a SyncError on a junk snapshot. */
  joined(seq: number, snapshot: unknown): void {
    const prev = this.#confirmed;
    if (snapshot === undefined || snapshot === null) {
      // The server will send the scribes after our `since`; a server behind us means we diverged.
      if (prev === undefined || seq < prev.seq) this.#resync(undefined);
      else this.#resyncing = false;
      return;
    }
    const diff = snapshotState(this.host.catalog(), seq, snapshot, prev);
    this.#resyncing = false;
    this.#confirmed = diff.state;
    // A snapshot says nothing of origins: it may hold any proposal sent and not yet answered.
    // (It may also start a new history, where old seqs mean nothing.)
    this.#ackMax = 0;
    this.#ownMax = this.host.unanswered() ? Number.POSITIVE_INFINITY : 0;
    if (this.host.pending().length === 0 && this.#deferred === null && this.#overlay.ids.size === 0) {
      this.host.install(diff, this.host.shown());
      return;
    }
    if (this.host.shown() === undefined) {
      this.host.install(diff, undefined);
      this.#reconcile();
      return;
    }
    (this.#deferred ??= new Touched()).add(diff);
    this.#reconcile();
  }

  /** A batch `b` (`lastSeq` for a filtered one); junk is logged and heals by a fresh snapshot. */
  batch(firstSeq: number, rawOps: unknown, rawOrigins: unknown, lastSeq: number | undefined): void {
    const prev = this.#confirmed;
    if (prev === undefined || this.#resyncing || this.host.closed()) return;
    if (firstSeq > prev.seq + 1) {
      this.#resync(prev.seq);
      return;
    }
    let diff: StateDiff;
    try {
      if (!Array.isArray(rawOps)) fail(ErrorCode.BAD_MESSAGE, 'batch ops are not an array');
      if (lastSeq !== undefined) {
        // Filtered: its ops do not map one to one onto seqs, so it applies whole or not at all.
        if (lastSeq <= prev.seq) return;
        if (firstSeq !== prev.seq + 1 || lastSeq < firstSeq) fail(ErrorCode.BAD_MESSAGE, `a filtered batch ${firstSeq}..${lastSeq} does not follow seq ${prev.seq}`);
      }
      const skip = lastSeq === undefined ? prev.seq + 1 - firstSeq : 0;
      if (lastSeq === undefined && skip >= rawOps.length) return;
      const origins = expandOrigins(rawOrigins, rawOps.length)?.slice(skip);
      const ops = rawOps.slice(skip).map((op: unknown, i) => parseOp(op, i));
      diff = applyBatch(prev, this.host.catalog(), prev.seq + 1, ops, origins, false, lastSeq);
      const me = this.host.origin();
      origins?.forEach((origin, i) => {
        if (origin === me) this.#ownMax = Math.max(this.#ownMax, prev.seq + 1 + i);
      });
    } catch (error) {
      // The server sent something our state cannot take: start over from a fresh snapshot.
      this.host.warn(`treesync: batch for ${this.host.name} at ${firstSeq} does not apply; resynchronizing`, error);
      this.#resync(undefined);
      return;
    }
    this.#confirmed = diff.state;
    if (this.host.pending().length === 0 && this.#deferred === null && this.#overlay.ids.size === 0) {
      this.host.install(diff, this.host.shown());
      return;
    }
    (this.#deferred ??= new Touched()).add(diff);
    this.#reconcile();
  }

  #resync(since: number | undefined): void {
    this.#resyncing = true;
    this.host.resync(since);
  }
}
