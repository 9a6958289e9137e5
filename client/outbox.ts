/**
 * The client's proposals between `propose` and their outcome: opId assignment, resending after
 * a reconnect (and after a reload, from storage), real ids for the objects they create, and
 * settling an ack only once the mirror has applied the ack's seq.
 */
import { ErrorCode, SyncError, type ObjectId, type Op } from '../shared/index.js';
import type { Mirror } from './mirror.js';
import { LOCAL_ID_BASE, isLocalId, mapIds, names } from './overlay.js';
import type { Ack } from './types.js';

/** One proposal waiting for its outcome. */
export interface Outgoing {
  readonly mirror: Mirror;
  /** Its ops in the mirror's id space: its creates carry local ids (see overlay.ts), later proposals may name them. */
  readonly local: readonly Op[];
  /** The local ids of its creates, in order. */
  readonly creates: readonly ObjectId[];
  /** Assigned when first sent; kept across resends (and reloads) so the server can deduplicate. */
  opId: number | undefined;
  /** The connection it was last sent on; 0 for one sent by an earlier page (restored from storage), -1 never. */
  sentOn: number;
  /** The server's ack, once it came (the proposal settles when the mirror reaches ack.seq). */
  ack: Ack | undefined;
  /** Restored from storage: nobody awaits its promise, outcomes are only reported as events. */
  readonly restored: boolean;
  readonly settle: (error: unknown, ack?: Ack) => void;
}

/** A proposal ready to go: its opId and its ops as the server must read them. */
export interface Sendable {
  readonly out: Outgoing;
  readonly opId: number;
  readonly ops: readonly Op[];
}

/** What an outbox saves to browser storage, and restores from it. */
export interface SavedOutbox {
  readonly v: 1;
  readonly nextOpId: number;
  readonly nextLocal: number;
  /** Local ids the server has named: [local, real]. */
  readonly real: readonly (readonly [ObjectId, ObjectId])[];
  readonly entries: readonly { readonly tree: string; readonly local: readonly Op[]; readonly creates: readonly ObjectId[]; readonly opId?: number }[];
}

/**
 * Proposals in flight and queued, in the order they were made (which is opId order). Knows the
 * real ids of objects pending proposals created, so a later proposal naming one is sent with the
 * real id once the server named it (and waits until then: proposals leave in order).
 */
export class Outbox {
  readonly #all = new Set<Outgoing>();
  /** The same proposals per mirror, in the same order: what one mirror asks for costs what it has. */
  readonly #byMirror = new Map<Mirror, Set<Outgoing>>();
  readonly #byOpId = new Map<number, Outgoing>();
  /** Local id to the proposal that creates it, while that proposal waits for its ack. */
  readonly #creators = new Map<ObjectId, Outgoing>();
  /** Local ids the server has named. */
  readonly #real = new Map<ObjectId, ObjectId>();
  #nextOpId = 1;
  #nextLocal = LOCAL_ID_BASE - 1;
  #waiting = false;

  constructor(
    /** A proposal failed (the server refused it, or it cannot be sent): reported as events by the client. */
    private readonly onFail: (out: Outgoing, error: SyncError) => void,
    /** The queue changed (to save it). */
    private readonly onChange: () => void,
  ) {}

  /** Whether the last {@link unsent} stopped before a proposal waiting for another's ack. */
  get waiting(): boolean {
    return this.#waiting;
  }

  /** How many proposals wait for an outcome. */
  get size(): number {
    return this.#all.size;
  }

  /** A fresh local id for an object a proposal creates. */
  localId(): ObjectId {
    return this.#nextLocal--;
  }

  /** The real id of a local one, once the server named it. */
  realId(local: ObjectId): ObjectId | undefined {
    return this.#real.get(local);
  }

  /** Queues a proposal. */
  add(mirror: Mirror, local: readonly Op[], creates: readonly ObjectId[], settle: (error: unknown, ack?: Ack) => void, restored = false, opId?: number): Outgoing {
    const out: Outgoing = { mirror, local, creates, opId, sentOn: opId === undefined ? -1 : 0, ack: undefined, restored, settle };
    this.#all.add(out);
    const mine = this.#byMirror.get(mirror);
    if (mine === undefined) this.#byMirror.set(mirror, new Set([out]));
    else mine.add(out);
    if (opId !== undefined) {
      this.#byOpId.set(opId, out);
      this.#nextOpId = Math.max(this.#nextOpId, opId + 1);
    }
    for (const id of creates) this.#creators.set(id, out);
    this.onChange();
    return out;
  }

  /** The proposals of `mirror` still waiting, in order. */
  of(mirror: Mirror): Outgoing[] {
    const mine = this.#byMirror.get(mirror);
    return mine === undefined ? [] : [...mine];
  }

  /** Whether a proposal of `mirror` was sent and has no answer yet (the server may have applied it already). */
  unanswered(mirror: Mirror): boolean {
    for (const o of this.#byMirror.get(mirror) ?? []) if (o.sentOn !== -1 && o.ack === undefined) return true;
    return false;
  }

  /** The highest opId up to which every answer has arrived (sent as `seen`, so the server can forget them). */
  get seen(): number {
    let lowest = this.#nextOpId;
    for (const o of this.#byOpId.values()) if (o.ack === undefined && o.opId !== undefined && o.opId < lowest) lowest = o.opId;
    return lowest - 1;
  }

  /**
   * A welcome: new opIds must be above the server's last answered one. `known` false: the server
   * has no record of this client id (it forgot it, or lost its store), so a proposal sent before
   * may or may not have been applied, and resending it could apply it twice: it fails with OUTCOME_UNKNOWN.
   */
  welcome(lastOpId: number, known: boolean): void {
    this.#nextOpId = Math.max(this.#nextOpId, lastOpId + 1);
    if (known) return;
    for (const o of [...this.#all]) {
      if (o.opId !== undefined && o.ack === undefined) {
        this.#fail(o, new SyncError(ErrorCode.OUTCOME_UNKNOWN, `the server no longer knows this client; proposal ${o.opId} may or may not have been applied`, { ref: o.mirror.name }));
      }
    }
  }

  /**
   * Proposals not yet sent on connection `epoch` and not acked, in order, each with its opId and
   * its ops in the server's terms. Stops before one that names an object whose creating proposal
   * has no ack yet; one whose creating proposal failed fails too (UNKNOWN_OBJECT).
   */
  unsent(epoch: number, max = Number.POSITIVE_INFINITY): Sendable[] {
    const out: Sendable[] = [];
    let assigned = false;
    this.#waiting = false;
    for (const o of [...this.#all]) {
      if (out.length >= max) break;
      if (o.ack !== undefined || o.sentOn === epoch) continue;
      const ops = this.#wire(o);
      if (ops === 'wait') {
        this.#waiting = true;
        break;
      }
      if (ops instanceof SyncError) {
        this.#fail(o, ops);
        continue;
      }
      if (o.opId === undefined) {
        o.opId = this.#nextOpId++;
        this.#byOpId.set(o.opId, o);
        assigned = true;
      }
      out.push({ out: o, opId: o.opId, ops });
    }
    if (assigned) this.onChange();
    return out;
  }

  /** The ops of `o` with its own creates as temp ids -1, -2, ... and other local ids as the real ids the server gave. */
  #wire(o: Outgoing): readonly Op[] | 'wait' | SyncError {
    if (!o.local.some((op) => names(op, isLocalId))) return o.local;
    let problem: 'wait' | SyncError | undefined;
    const ops = o.local.map((op) =>
      mapIds(op, (id) => {
        if (!isLocalId(id)) return id;
        const own = o.creates.indexOf(id);
        if (own >= 0) return -(own + 1);
        const real = this.#real.get(id);
        if (real !== undefined) return real;
        if (this.#creators.has(id)) problem ??= 'wait';
        else problem = new SyncError(ErrorCode.UNKNOWN_OBJECT, 'this change names an object created by a change that failed', { ref: o.mirror.name });
        return id;
      }),
    );
    return problem ?? ops;
  }

  /** An ack: returns the proposal's mirror (undefined when unknown or a duplicate). The proposal settles once its mirror reaches ack.seq ({@link applied}). */
  ack(ack: Ack): Mirror | undefined {
    const o = this.#byOpId.get(ack.opId);
    if (o === undefined || o.ack !== undefined) return undefined;
    o.ack = ack;
    o.creates.forEach((local, k) => {
      const real = ack.ids[k];
      if (real !== undefined) this.#real.set(local, real);
      this.#creators.delete(local);
    });
    this.onChange();
    return o.mirror;
  }

  /** A reject: settles with the error and returns the proposal's mirror (undefined when unknown). */
  reject(opId: number, error: SyncError): Mirror | undefined {
    const o = this.#byOpId.get(opId);
    if (o === undefined || o.ack !== undefined) return undefined;
    this.#fail(o, error);
    return o.mirror;
  }

  /** The mirror installed a state: settles its acked proposals whose seq it reached. */
  applied(mirror: Mirror): void {
    for (const o of this.#byMirror.get(mirror) ?? []) {
      if (o.ack !== undefined && mirror.seq >= o.ack.seq) this.#finish(o, undefined);
    }
  }

  /** The mirror's history was replaced (a new epoch): its acked proposals waiting for their scribes never get them. */
  historyLost(mirror: Mirror, error: SyncError): void {
    for (const o of [...(this.#byMirror.get(mirror) ?? [])]) if (o.ack !== undefined) this.#fail(o, error);
  }

  /** Settles, with `error`, every proposal (of `mirror`, when given), without reporting them as failed. */
  drop(error: SyncError, mirror?: Mirror): void {
    const which = mirror === undefined ? this.#all : (this.#byMirror.get(mirror) ?? []);
    for (const o of [...which]) this.#finish(o, error);
  }

  /** What to save: the proposals without an ack (an acked one is the server's now) and the names they need. */
  save(): SavedOutbox {
    const entries: SavedOutbox['entries'][number][] = [];
    for (const o of this.#all) {
      if (o.ack !== undefined) continue;
      entries.push(o.opId === undefined ? { tree: o.mirror.name, local: o.local, creates: o.creates } : { tree: o.mirror.name, local: o.local, creates: o.creates, opId: o.opId });
    }
    return { v: 1, nextOpId: this.#nextOpId, nextLocal: this.#nextLocal, real: entries.length === 0 ? [] : [...this.#real], entries };
  }

  /**
   * Takes over a saved outbox: its counters and names, then its entries, as restored proposals of
   * the mirrors `mirrorOf` gives for their trees (an entry without one is left out).
   */
  restore(saved: SavedOutbox, mirrorOf: (tree: string) => Mirror | undefined): void {
    this.#nextOpId = Math.max(this.#nextOpId, saved.nextOpId);
    this.#nextLocal = Math.min(this.#nextLocal, saved.nextLocal);
    for (const [local, real] of saved.real) this.#real.set(local, real);
    for (const entry of saved.entries) {
      const mirror = mirrorOf(entry.tree);
      if (mirror !== undefined) this.add(mirror, entry.local, entry.creates, () => undefined, true, entry.opId);
    }
  }

  #fail(o: Outgoing, error: SyncError): void {
    this.#finish(o, error);
    this.onFail(o, error);
  }

  #finish(o: Outgoing, error: SyncError | undefined): void {
    this.#all.delete(o);
    const mine = this.#byMirror.get(o.mirror);
    if (mine !== undefined && mine.delete(o) && mine.size === 0) this.#byMirror.delete(o.mirror);
    if (o.opId !== undefined) this.#byOpId.delete(o.opId);
    for (const id of o.creates) if (this.#creators.get(id) === o) this.#creators.delete(id);
    if (this.#all.size === 0) this.#real.clear();
    this.onChange();
    if (error !== undefined) o.settle(error);
    else o.settle(undefined, o.ack);
  }
}
