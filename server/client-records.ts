/**
 * Per client id: the last opId answered and the answers the client has not confirmed receiving,
 * so that a resent proposal (its ack was lost to a disconnect) is answered again, never applied twice.
 */
import type { AckMessage, RejectMessage } from '../shared/index.js';

/** The answer a proposal got. */
export type Answer = readonly ['ack', AckMessage] | readonly ['reject', RejectMessage];

/** What the server remembers of one client id. */
export class ClientRecord {
  lastOpId = 0;
  /** In opId order: opIds only grow. */
  readonly #answers = new Map<number, Answer>();

  /** `keep` bounds the unconfirmed answers, against a client that never confirms any. */
  constructor(readonly keep: number) {}

  /** Remembers the answer to opId. */
  answer(opId: number, answer: Answer): Answer {
    this.#answers.set(opId, answer);
    if (this.#answers.size > this.keep) {
      const oldest = this.#answers.keys().next();
      if (oldest.done !== true) this.#answers.delete(oldest.value);
    }
    return answer;
  }

  /** The client has received every answer up to `seen`: forget them. */
  release(seen: number): void {
    for (const opId of this.#answers.keys()) {
      if (opId > seen) return;
      this.#answers.delete(opId);
    }
  }

  /** The remembered answer to opId, if still kept. */
  recall(opId: number): Answer | undefined {
    return this.#answers.get(opId);
  }
}
