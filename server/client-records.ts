/**
 * Per client id: the last opId answered, the answers the client has not confirmed receiving (so
 * that a resent proposal, whose ack was lost to a disconnect, is answered again, never applied
 * twice), the last seq it is known to have applied per tree, and when it was last active.
 */
import type { StoredAnswer, StoredClient } from './store/store.js';

/** The answer a proposal got. */
export type Answer = StoredAnswer;

/** How many of a record's answers a store keeps (the newest): what a resend can get back after a restart. */
export const STORED_ANSWERS = 1_000;

/** What the server remembers of one client id. */
export class ClientRecord {
  lastOpId = 0;
  /** When the client was last active (ms since the epoch). */
  seenAt: number;
  /** Whether the record is in the store (loaded from it, or saved once): only then is it saved when its session closes. */
  persisted = false;
  /** Per tree name, the last seq the client is known to have applied. */
  readonly #seqs = new Map<string, number>();
  /** Unreleased answers in opId order (opIds only grow) from `#head` on: a queue with binary search. */
  #answers: Answer[] = [];
  #head = 0;

  /** `keep` bounds the unconfirmed answers held, against a client that never confirms any. */
  constructor(
    readonly keep: number,
    seenAt = Date.now(),
  ) {
    this.seenAt = seenAt;
  }

  /** A record as a store gave it back. */
  static fromStored(stored: StoredClient, keep: number): ClientRecord {
    const record = new ClientRecord(keep, stored.seenAt);
    record.lastOpId = stored.lastOpId;
    record.persisted = true;
    for (const [tree, seq] of stored.seqs) record.saw(tree, seq);
    // Stores hand answers back in increasing opId order; skip any that is not, rather than break the search.
    for (const answer of keep > 0 ? stored.answers.slice(-keep) : []) {
      const last = record.#answers[record.#answers.length - 1];
      if (last === undefined || last[1].opId < answer[1].opId) record.#answers.push(answer);
    }
    return record;
  }

  /** What a store keeps: everything, with the newest `maxAnswers` answers. */
  toStored(maxAnswers = STORED_ANSWERS): StoredClient {
    return {
      lastOpId: this.lastOpId,
      seqs: [...this.#seqs],
      answers: this.#answers.slice(Math.max(this.#head, this.#answers.length - maxAnswers)),
      seenAt: this.seenAt,
    };
  }

  /** Remembers the answer to opId (greater than every opId answered before). */
  answer(opId: number, answer: Answer): Answer {
    this.#answers.push(answer);
    if (this.#answers.length - this.#head > this.keep) this.#advance(this.#head + 1);
    return answer;
  }

  /** The client has received every answer up to `seen`: forget them. */
  release(seen: number): void {
    let head = this.#head;
    while (head < this.#answers.length && (this.#answers[head] as Answer)[1].opId <= seen) head++;
    this.#advance(head);
  }

  /** The remembered answer to opId, if still kept. */
  recall(opId: number): Answer | undefined {
    let lo = this.#head;
    let hi = this.#answers.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const answer = this.#answers[mid] as Answer;
      if (answer[1].opId === opId) return answer;
      if (answer[1].opId < opId) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** How many answers are held. */
  get answerCount(): number {
    return this.#answers.length - this.#head;
  }

  /** The client has applied `tree` up to `seq`: raises what is known of it, never lowers it. */
  saw(tree: string, seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 0) return;
    if (seq > (this.#seqs.get(tree) ?? -1)) this.#seqs.set(tree, seq);
  }

  /** Per tree name, the last seq the client is known to have applied (a copy). */
  get seqs(): ReadonlyMap<string, number> {
    return new Map(this.#seqs);
  }

  /** Drops the answers before index `head`, compacting the array once the dropped part dominates. */
  #advance(head: number): void {
    this.#head = head;
    if (this.#head > 64 && this.#head * 2 > this.#answers.length) {
      this.#answers = this.#answers.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** What the host knows of a client id (see {@link SyncHost.clientRecord}). */
export interface ClientRecordInfo {
  /** The highest opId answered for this client id. */
  readonly lastOpId: number;
  /** Per tree name, the last seq the client is known to have applied. */
  readonly seqs: ReadonlyMap<string, number>;
  /** When the client was last active (ms since the epoch). */
  readonly seenAt: number;
}

/** What client records need of the store (server/persistence.ts provides it). */
export interface RecordStore {
  /** The stored record of a client id, holding up to `keep` answers; undefined if there is none. */
  client(clientId: string, keep: number): ClientRecord | undefined;
  /** Stores a record as it stands at the next group commit. */
  saveClient(clientId: string, record: ClientRecord): void;
  /** Deletes the records not seen since `olderThanMs`. */
  pruneClients(olderThanMs: number): unknown;
}

/** The host's options that bound its client records (see HostOptions). */
export interface ClientRecordOptions {
  readonly clientTtlMs?: number;
  readonly clientGraceMs?: number;
  readonly maxIdleClients?: number;
}

/** Unconfirmed answers held in memory per client id (a store keeps the newest STORED_ANSWERS of them). */
const ANSWERS_KEPT = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The client records a host holds in memory: those of client ids with a live session, and idle
 * ones until their grace period ends or `maxIdleClients` pushes the oldest out. With a store, they
 * are loaded from it on demand, saved to it, and pruned from it once not seen for their TTL.
 */
export class ClientRecords {
  readonly #records = new Map<string, ClientRecord>();
  /** Client ids with a record in memory and no live session, with when that began, oldest first. */
  readonly #idle = new Map<string, number>();
  readonly #clientTtl: number;
  /** How long an idle record stays in memory (never longer than the TTL). */
  readonly #grace: number;
  readonly #maxIdle: number;
  readonly #sweepTimer: ReturnType<typeof setInterval>;
  readonly #storePruneEvery: number;
  #storePrunedAt: number;

  /** Prunes `store` at once (records past their TTL), then periodically, with memory. */
  constructor(
    options: ClientRecordOptions,
    private readonly store: RecordStore | undefined,
    /** The client ids with a live session. */
    private readonly live: ReadonlyMap<string, unknown>,
    private readonly onPruneError: (error: unknown) => void,
  ) {
    this.#clientTtl = Math.max(0, options.clientTtlMs ?? 30 * DAY_MS);
    this.#grace = Math.min(this.#clientTtl, Math.max(0, options.clientGraceMs ?? (store === undefined ? this.#clientTtl : 5 * 60 * 1000)));
    this.#maxIdle = Math.max(0, options.maxIdleClients ?? 10_000);
    store?.pruneClients(Date.now() - this.#clientTtl);
    this.#storePrunedAt = Date.now();
    this.#storePruneEvery = clamp(this.#clientTtl / 2, 10, 60 * 60 * 1000);
    this.#sweepTimer = setInterval(() => this.prune(), clamp(Math.min(this.#grace, this.#clientTtl) / 2, 10, 60_000));
    this.#sweepTimer.unref();
  }

  /** The record of a client id: in memory, else loaded from the store, else new. */
  record(clientId: string): ClientRecord {
    let record = this.#records.get(clientId) ?? this.#load(clientId);
    if (record === undefined) {
      record = new ClientRecord(ANSWERS_KEPT);
      this.#records.set(clientId, record);
    }
    // Only sessions ask for records; one superseded but not yet gone must not leave a record no sweep sees.
    if (!this.live.has(clientId) && !this.#idle.has(clientId)) this.#idle.set(clientId, Date.now());
    return record;
  }

  /** The record of a client id in memory, else loaded from the store; undefined if there is none. */
  find(clientId: string): ClientRecord | undefined {
    return this.#records.get(clientId) ?? this.#load(clientId);
  }

  /** The stored record of a client id, now held in memory; undefined if there is none. */
  #load(clientId: string): ClientRecord | undefined {
    const record = this.store?.client(clientId, ANSWERS_KEPT);
    if (record !== undefined) this.#records.set(clientId, record);
    return record;
  }

  /** What is known of a client id, from memory or the store (read without loading it). */
  info(clientId: string): ClientRecordInfo | undefined {
    const record = this.#records.get(clientId) ?? this.store?.client(clientId, 0);
    return record === undefined ? undefined : { lastOpId: record.lastOpId, seqs: record.seqs, seenAt: record.seenAt };
  }

  /** How many records are held in memory. */
  get size(): number {
    return this.#records.size;
  }

  /** Stores a client's record as it stands at the next group commit (no-op without a store). */
  save(clientId: string, record: ClientRecord): void {
    if (this.store === undefined) return;
    record.persisted = true;
    this.store.saveClient(clientId, record);
  }

  /** A session of this client id went live (after `live` has it): its record, if any, is active again. */
  opened(clientId: string, record: ClientRecord | undefined): void {
    this.#idle.delete(clientId);
    if (record === undefined) return;
    // Closing the older session may have pushed the record out of memory: it stays, it is live.
    this.#records.set(clientId, record);
    record.seenAt = Date.now();
    if (record.persisted) this.save(clientId, record);
  }

  /** The live session of this client id closed (`live` no longer has it): its record goes idle, and past `maxIdle` the oldest idle one goes. */
  closed(clientId: string): void {
    const record = this.#records.get(clientId);
    if (record === undefined) return;
    const now = Date.now();
    record.seenAt = now;
    if (record.persisted) this.save(clientId, record);
    this.#idle.delete(clientId);
    this.#idle.set(clientId, now);
    for (const [oldest] of this.#idle) {
      if (this.#idle.size <= this.#maxIdle) break;
      this.#forget(oldest);
    }
  }

  /** Forgets records now: see {@link SyncHost.pruneClients}. */
  prune(now = Date.now()): void {
    for (const [clientId, since] of this.#idle) {
      if (this.#idle.size <= this.#maxIdle && now - since < this.#grace) break;
      this.#forget(clientId);
    }
    if (this.store === undefined || now - this.#storePrunedAt < this.#storePruneEvery) return;
    this.#storePrunedAt = now;
    // A live session keeps its record however long it has been quiet.
    for (const clientId of this.live.keys()) {
      const record = this.#records.get(clientId);
      if (record === undefined || now - record.seenAt < this.#clientTtl / 2) continue;
      record.seenAt = now;
      if (record.persisted) this.save(clientId, record);
    }
    try {
      this.store.pruneClients(now - this.#clientTtl);
    } catch (error) {
      this.onPruneError(error);
    }
  }

  /** Drops an idle record from memory (a pending write of it still happens at the next commit). */
  #forget(clientId: string): void {
    this.#idle.delete(clientId);
    this.#records.delete(clientId);
  }

  /** Stops the periodic sweep. */
  close(): void {
    clearInterval(this.#sweepTimer);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
