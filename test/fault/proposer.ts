/**
 * A client's stream of proposals on its own card, recording each one's outcome: `votes.add(1)`
 * and `items.push(<unique item>)`, alternately, with a bounded number unsettled.
 */
import { SyncError, type ErrorCode } from '../../shared/index.js';
import type { AttrsOf, ObjectView } from '../../client/index.js';
import type { Card } from './types.js';

/** How many proposals beyond the window a client may queue while the server is down. */
const QUEUE_ROOM = 100;

/** One proposal and what became of it. */
export interface Proposal {
  readonly kind: 'vote' | 'item';
  /** The pushed item, unique across every client. */
  readonly item: string;
  /** Made while the server was known to be down (it went out only after the reconnect). */
  readonly offline: boolean;
  /** Still unsettled when a server was killed: it may or may not have been applied. */
  inFlightAtKill: boolean;
  outcome: 'pending' | 'acked' | ErrorCode | 'error';
}

/** Proposes on one card until stopped. */
export class Proposer {
  readonly proposals: Proposal[] = [];
  #n = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Set by the test while it knows the server is down. */
  offline = false;

  constructor(
    readonly name: string,
    readonly card: ObjectView<AttrsOf<typeof Card>>,
    /** At most this many proposals unsettled at once (the rest of a tick is skipped). */
    readonly window = 200,
  ) {}

  /** Proposes one vote and one item every `everyMs`. */
  start(everyMs = 2): void {
    this.#timer = setInterval(() => {
      // While the server is down, room to queue beyond the window: the proposals in flight at the
      // kill stay unsettled until the restart, and a loaded machine can have the window full then.
      if (this.pending >= this.window + (this.offline ? QUEUE_ROOM : 0)) return;
      this.#propose('vote', () => this.card.attrs.votes.add(1));
      this.#propose('item', (item) => this.card.attrs.items.push(item));
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Marks every unsettled proposal as in flight at a kill; returns how many there are. */
  markInFlight(): number {
    let n = 0;
    for (const p of this.proposals) {
      if (p.outcome !== 'pending') continue;
      p.inFlightAtKill = true;
      n++;
    }
    return n;
  }

  get pending(): number {
    return this.count((p) => p.outcome === 'pending');
  }

  count(match: (p: Proposal) => boolean): number {
    let n = 0;
    for (const p of this.proposals) if (match(p)) n++;
    return n;
  }

  #propose(kind: Proposal['kind'], send: (item: string) => Promise<unknown>): void {
    const item = `${this.name}:${this.#n++}`;
    const proposal: Proposal = { kind, item, offline: this.offline, inFlightAtKill: false, outcome: 'pending' };
    this.proposals.push(proposal);
    send(item).then(
      () => (proposal.outcome = 'acked'),
      (error: unknown) => (proposal.outcome = error instanceof SyncError ? error.code : 'error'),
    );
  }
}
