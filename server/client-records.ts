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
