/**
 * The client's proposals between `propose` and their outcome: opId assignment, resending after
 * a reconnect, and settling an ack only once the mirror has applied the ack's seq.
 */
import { ErrorCode, SyncError, isErrorCode, type Op } from '../shared/index.js';
import type { Mirror } from './mirror.js';
import type { Ack } from './types.js';

/** One proposal waiting for its outcome. */
export interface Outgoing {
  readonly mirror: Mirror;
  readonly ops: readonly Op[];
  /** Assigned when first sent; kept across resends so the server can deduplicate. */
  opId: number | undefined;
  /** The connection it was last sent on. */
  sentOn: number;
  /** The server's ack, once it came (the proposal settles when the mirror reaches ack.seq). */
  ack: Ack | undefined;
  readonly settle: (error: unknown, ack?: Ack) => void;
}

/** Whether a wire value is a safe integer. */
export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Parses an `ack`; undefined for junk. */
export function parseAck(raw: unknown): Ack | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { opId, seq, ids } = raw as Record<string, unknown>;
  if (!isInt(opId) || !isInt(seq)) return undefined;
  if (ids === undefined || ids === null) return { opId, seq, ids: [] };
  return Array.isArray(ids) && ids.every(isInt) ? { opId, seq, ids: ids } : undefined;
}

/** Turns a wire error (`reject`, `error`) into a SyncError; undefined for junk. */
export function parseWireError(raw: unknown): SyncError | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { code, message, ref } = raw as Record<string, unknown>;
  if (typeof code !== 'string') return undefined;
  const text = typeof message === 'string' ? message : code;
  const options = typeof ref === 'string' || typeof ref === 'number' ? { ref } : {};
  return isErrorCode(code) ? new SyncError(code, text, options) : new SyncError(ErrorCode.INTERNAL, `${code}: ${text}`, options);
}

/** Proposals in flight and queued, in the order they were made (which is opId order). */
export class Outbox {
  readonly #all = new Set<Outgoing>();
  readonly #byOpId = new Map<number, Outgoing>();
  #nextOpId = 1;

  /** How many proposals wait for an outcome. */
  get size(): number {
    return this.#all.size;
  }

  /** Queues a proposal. */
  add(mirror: Mirror, ops: readonly Op[], settle: (error: unknown, ack?: Ack) => void): Outgoing {
    const out: Outgoing = { mirror, ops, opId: undefined, sentOn: -1, ack: undefined, settle };
    this.#all.add(out);
    return out;
  }

  /** The highest opId up to which every answer has arrived (sent as `seen`, so the server can forget them). */
  get seen(): number {
    let lowest = this.#nextOpId;
    for (const o of this.#byOpId.values()) if (o.ack === undefined && o.opId !== undefined && o.opId < lowest) lowest = o.opId;
    return lowest - 1;
  }

  /** A welcome: new opIds must be above the server's last answered one. */
  welcome(lastOpId: number): void {
    this.#nextOpId = Math.max(this.#nextOpId, lastOpId + 1);
  }

  /** Proposals not yet sent on connection `epoch` and not acked, in order, each with its opId. */
  unsent(epoch: number): Outgoing[] {
    const out: Outgoing[] = [];
    for (const o of this.#all) {
      if (o.ack !== undefined || o.sentOn === epoch) continue;
      if (o.opId === undefined) {
        o.opId = this.#nextOpId++;
        this.#byOpId.set(o.opId, o);
      }
      out.push(o);
    }
    return out;
  }

  /** An ack: settles now if the mirror has the ack's seq, else when it gets there. Duplicates are ignored. */
  ack(ack: Ack): void {
    const o = this.#byOpId.get(ack.opId);
    if (o === undefined || o.ack !== undefined) return;
    o.ack = ack;
    if (o.mirror.seq >= ack.seq) this.#finish(o, undefined);
  }

  /** A reject: settles with the error and returns the proposal's mirror (undefined when unknown). */
  reject(opId: number, error: SyncError): Mirror | undefined {
    const o = this.#byOpId.get(opId);
    if (o === undefined || o.ack !== undefined) return undefined;
    this.#finish(o, error);
    return o.mirror;
  }

  /** The mirror installed a state: settles its acked proposals whose seq it reached. */
  applied(mirror: Mirror): void {
    for (const o of this.#all) {
      if (o.mirror === mirror && o.ack !== undefined && mirror.seq >= o.ack.seq) this.#finish(o, undefined);
    }
  }

  /** The mirror's history was replaced (a new epoch): its acked proposals waiting for their scribes never get them. */
  historyLost(mirror: Mirror, error: SyncError): void {
    for (const o of [...this.#all]) if (o.mirror === mirror && o.ack !== undefined) this.#finish(o, error);
  }

  /** Settles, with `error`, every proposal (of `mirror`, when given). */
  drop(error: SyncError, mirror?: Mirror): void {
    for (const o of [...this.#all]) {
      if (mirror === undefined || o.mirror === mirror) this.#finish(o, error);
    }
  }

  #finish(o: Outgoing, error: SyncError | undefined): void {
    this.#all.delete(o);
    if (o.opId !== undefined) this.#byOpId.delete(o.opId);
    if (error !== undefined) o.settle(error);
    else o.settle(undefined, o.ack);
  }
}
