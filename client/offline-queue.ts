/**
 * Keeps a client's unanswered proposals in browser storage, so mutations made offline survive a
 * reload of the page and are replayed, exactly once, when the connection returns.
 */
import { isSafeKey, parseOp, type Op } from '../shared/index.js';
import { isLocalId } from './overlay.js';
import type { SavedOutbox } from './outbox.js';

/** The part of the Web Storage API the client uses (sessionStorage, localStorage, or your own). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The storage key of a client id's queue. */
export function queueKey(clientId: string): string {
  return `treesync.queue.${clientId}`;
}

/** The tab's sessionStorage, when there is one and it may be used. */
export function sessionStorageOrNone(): StorageLike | undefined {
  try {
    const s = (globalThis as { sessionStorage?: StorageLike }).sessionStorage;
    return s !== undefined && typeof s.getItem === 'function' && typeof s.removeItem === 'function' ? s : undefined;
  } catch {
    // Some browsers throw on access to storage (privacy modes, sandboxed iframes).
    return undefined;
  }
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function entryOf(raw: unknown, at: number): SavedOutbox['entries'][number] {
  if (typeof raw !== 'object' || raw === null) throw new Error(`entry ${at} is not an object`);
  const { tree, local, creates, opId } = raw as Record<string, unknown>;
  if (typeof tree !== 'string' || tree.length === 0) throw new Error(`entry ${at} has no tree`);
  if (!Array.isArray(local) || local.length === 0) throw new Error(`entry ${at} has no ops`);
  if (!Array.isArray(creates) || !creates.every((id) => isInt(id) && isLocalId(id))) throw new Error(`entry ${at} has bad creates`);
  if (opId !== undefined && (!isInt(opId) || opId < 1)) throw new Error(`entry ${at} has a bad opId`);
  const ops: Op[] = local.map((op: unknown, i) => parseOp(op, i));
  return opId === undefined ? { tree, local: ops, creates: creates as number[] } : { tree, local: ops, creates: creates as number[], opId };
}

/** Reads a saved queue; throws an Error saying what is wrong with a corrupt one. */
export function parseSavedQueue(text: string): SavedOutbox {
  const raw = JSON.parse(text) as unknown;
  if (typeof raw !== 'object' || raw === null) throw new Error('not an object');
  const { v, nextOpId, nextLocal, real, entries } = raw as Record<string, unknown>;
  if (v !== 1) throw new Error(`unknown version ${String(v)}`);
  if (!isInt(nextOpId) || nextOpId < 1 || !isInt(nextLocal) || !isLocalId(nextLocal)) throw new Error('bad counters');
  if (!Array.isArray(real) || !real.every((p) => Array.isArray(p) && p.length === 2 && isInt(p[0]) && isLocalId(p[0]) && isInt(p[1]) && p[1] >= 0)) {
    throw new Error('bad real ids');
  }
  if (!Array.isArray(entries)) throw new Error('no entries');
  const parsed = entries.map(entryOf);
  let last = 0;
  for (const e of parsed) {
    if (e.opId === undefined) continue;
    if (e.opId <= last || e.opId >= nextOpId) throw new Error('opIds out of order');
    last = e.opId;
  }
  if (parsed.some((e) => !isSafeKey(e.tree))) throw new Error('a forbidden tree name');
  return { v: 1, nextOpId, nextLocal, real: real as [number, number][], entries: parsed };
}

/** A client's queue in a storage, written at most once per microtask. */
export class OfflineQueue {
  #scheduled = false;
  #stopped = false;

  constructor(
    private readonly storage: StorageLike,
    private readonly key: () => string,
    private readonly snapshot: () => SavedOutbox,
    private readonly warn: (msg: string, ...args: unknown[]) => void,
  ) {}

  /** The saved queue, or undefined when there is none or it is corrupt (which is reported and then removed). */
  load(): SavedOutbox | undefined {
    let text: string | null;
    try {
      text = this.storage.getItem(this.key());
    } catch (error) {
      this.warn('treesync: the offline queue cannot be read', error);
      return undefined;
    }
    if (text === null) return undefined;
    try {
      return parseSavedQueue(text);
    } catch (error) {
      this.warn(`treesync: the saved offline queue is corrupt and was discarded (${error instanceof Error ? error.message : String(error)})`);
      this.#write(undefined);
      return undefined;
    }
  }

  /** Saves the queue soon (once per microtask, however often it changed). */
  changed(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (!this.#stopped) this.#save();
    });
  }

  /** Saves the queue now and stops saving: what the client drops when it closes stays stored for the next page. */
  stop(): void {
    if (this.#stopped) return;
    this.#save();
    this.#stopped = true;
  }

  #save(): void {
    const saved = this.snapshot();
    this.#write(saved.entries.length === 0 ? undefined : JSON.stringify(saved));
  }

  #write(text: string | undefined): void {
    try {
      if (text === undefined) this.storage.removeItem(this.key());
      else this.storage.setItem(this.key(), text);
    } catch (error) {
      // Full or forbidden: the queue still lives in memory, it just will not survive a reload.
      this.warn('treesync: the offline queue cannot be saved', error);
    }
  }
}
