/**
 * Per client id: the last opId answered and the recent answers, so that a resent proposal
 * (its ack was lost to a disconnect) is answered again, never applied twice.
 */
import type { AckMessage, RejectMessage } from '../shared/index.js';

/** The answer a proposal got. */
export type Answer = readonly ['ack', AckMessage] | readonly ['reject', RejectMessage];

/** What the server remembers of one client id. */
export class ClientRecord {
  lastOpId = 0;
  readonly #answers = new Map<number, Answer>();

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

  /** The remembered answer to opId, if still kept. */
  recall(opId: number): Answer | undefined {
    return this.#answers.get(opId);
  }
}
