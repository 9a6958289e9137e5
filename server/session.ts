/** One live connection of a client: parses its messages and answers them. */
import {
  ErrorCode,
  ServerEvent,
  SyncError,
  fail,
  parseClientMessage,
  type JoinMessage,
  type Limits,
  type ObjectId,
  type Op,
  type ProposeMessage,
  type RejectMessage,
} from '../shared/index.js';
import type { Answer, ClientRecord } from './client-records.js';
import type { Hooks, Principal, SessionInfo } from './hooks.js';
import { applyProposal, opChecker } from './proposal.js';
import { TokenBucket } from './rate.js';
import type { Viewer } from './viewer.js';
import type { TreeVisibility } from './visibility.js';
import type { Logger, SessionLink } from './transport.js';
import type { Tree } from './tree.js';

/** What a session needs of its host (server/host.ts implements it). */
export interface SessionHost {
  readonly limits: Limits;
  readonly hooks: Hooks;
  readonly logger: Logger;
  /** The record of a client id with a live session: in memory, loaded from the store, or new. */
  record(clientId: string): ClientRecord;
  findTree(name: string): Tree | undefined;
  /** Whether a tree of this name exists. */
  hasTree(name: string): boolean;
  /** Runs `fn` once everything written so far is durable. */
  whenDurable(fn: () => void): void;
  /** Stores a client's record, as it stands at the next group commit (no-op without a store). */
  saveClient(clientId: string, record: ClientRecord): void;
  storedSince(tree: Tree, since: number): { ops: Op[]; origins: string[] } | undefined;
  /** Sends a tree's pending scribes now; false when they could not be made durable (nothing was sent). */
  flush(tree: Tree): boolean;
  /** The tree's visibility tracker, under visibility rules. */
  visibilityOf(tree: Tree): TreeVisibility | undefined;
  closed(session: Session): void;
}

/** Messages held while an async join decision is pending, at most. */
const MAX_HELD = 1_000;

/** A client's live connection. */
export class Session implements SessionInfo {
  /** Trees this session has joined, by name. */
  readonly joined = new Map<string, Tree>();
  /** Under visibility rules: this session's view of each joined tree. */
  readonly #viewers = new Map<string, Viewer>();
  /** What the authenticate hook said of this session; `{ id: clientId }` without one. Replace it with {@link SyncHost.setPrincipal}. */
  principal: Principal;
  readonly #bucket: TokenBucket;
  /** Messages that came while an async join decision was pending: handled in order after it. */
  #held: [unknown, readonly unknown[]][] | undefined;
  #closed = false;

  constructor(
    readonly host: SessionHost,
    readonly link: SessionLink,
    readonly clientId: string,
    readonly auth: Readonly<Record<string, unknown>>,
    principal?: Principal,
  ) {
    this.principal = principal ?? { id: clientId };
    this.#bucket = new TokenBucket(host.limits.messagesPerSecond, host.limits.messageBurst);
  }

  /** The connection's id. */
  get id(): string {
    return this.link.id;
  }

  /** Handles one inbound event. Never throws: bad input is answered with a coded error. */
  receive(rawEvent: unknown, args: readonly unknown[]): void {
    if (this.#closed) return;
    if (this.#held !== undefined) {
      if (this.#held.length >= MAX_HELD) return this.#refuse(String(rawEvent), args, new SyncError(ErrorCode.RATE_LIMITED, 'too many messages while a join is decided'));
      this.#held.push([rawEvent, args]);
      return;
    }
    const event = typeof rawEvent === 'string' ? rawEvent : String(rawEvent);
    if (!this.#bucket.take()) {
      return this.#refuse(event, args, new SyncError(ErrorCode.RATE_LIMITED, `more than ${this.host.limits.messagesPerSecond} messages per second (burst ${this.host.limits.messageBurst})`));
    }
    try {
      const msg = parseClientMessage(event, args, this.host.limits);
      if (msg instanceof SyncError) return this.#refuse(event, args, msg);
      switch (msg.type) {
        case 'join':
          return this.#join(msg);
        case 'leave': {
          const tree = this.joined.get(msg.tree);
          if (tree !== undefined) this.#leave(tree);
          return;
        }
        case 'propose':
          return this.#propose(msg);
      }
    } catch (error) {
      this.host.logger.error('treesync: a message handler failed', error);
      this.link.send(ServerEvent.error, new SyncError(ErrorCode.INTERNAL, 'internal error', { ref: event.slice(0, 80) }).toWire());
    }
  }

  /** Forgets this session (the transport closed, or another took over). Idempotent. */
  close(): void {
    this.#closed = true;
    this.#held = undefined;
    for (const tree of [...this.joined.values()]) this.#leave(tree);
    this.host.closed(this);
  }

  #leave(tree: Tree): void {
    this.link.leave(tree.room);
    this.joined.delete(tree.name);
    const viewer = this.#viewers.get(tree.name);
    if (viewer !== undefined) this.host.visibilityOf(tree)?.remove(viewer);
    this.#viewers.delete(tree.name);
  }

  /** Asks the visibility rules again, and sends each joined tree anew as what this session may now see. */
  refreshVisibility(): void {
    for (const [name, viewer] of this.#viewers) {
      const tree = this.joined.get(name);
      const visibility = tree === undefined ? undefined : this.host.visibilityOf(tree);
      if (tree === undefined || visibility === undefined || !this.host.flush(tree)) continue;
      visibility.reset(viewer);
      const snapshot = visibility.full(viewer) ? tree.flatSnapshot() : visibility.snapshot(viewer);
      this.link.send(ServerEvent.joined, { tree: tree.name, ref: tree.ref, seq: tree.seq, epoch: tree.epoch, snapshot });
      viewer.sentSeq = tree.seq;
    }
  }

  #refuse(event: string, args: readonly unknown[], error: SyncError): void {
    const body: unknown = args[0];
    const opId = event === 'propose' && typeof body === 'object' && body !== null ? (body as { opId?: unknown }).opId : undefined;
    if (typeof opId === 'number' && Number.isSafeInteger(opId) && opId >= 0) {
      this.link.send(ServerEvent.reject, { opId, ...error.toWire() } satisfies RejectMessage);
    } else {
      this.link.send(ServerEvent.error, error.toWire());
    }
  }

  #join(msg: JoinMessage): void {
    const canJoin = this.host.hooks.canJoin;
    if (canJoin === undefined) return this.#admitJoin(msg, true);
    let decision: boolean | Promise<boolean>;
    try {
      decision = canJoin({ session: this, principal: this.principal, tree: msg.tree, exists: this.host.hasTree(msg.tree) });
    } catch (error) {
      return this.#joinRefused(msg, error);
    }
    if (typeof decision === 'boolean') return this.#admitJoin(msg, decision);
    // Async: hold every later message of this session, so a proposal after the join sees it joined.
    this.#held = [];
    decision.then(
      (allowed) => this.#resume(() => this.#admitJoin(msg, allowed)),
      (error: unknown) => this.#resume(() => this.#joinRefused(msg, error)),
    );
  }

  /** Ends a hold: runs `fn`, then the held messages in order (until one holds again). */
  #resume(fn: () => void): void {
    if (this.#closed) return;
    const held = this.#held ?? [];
    this.#held = undefined;
    try {
      fn();
    } catch (error) {
      this.host.logger.error('treesync: a join failed', error);
    }
    while (held.length > 0 && !this.#holding() && !this.#isClosed()) {
      const [event, args] = held.shift() as [unknown, readonly unknown[]];
      this.receive(event, args);
    }
    // A held message was another async join: what is left waits for it, still in order.
    if (held.length > 0) (this.#held as [unknown, readonly unknown[]][] | undefined)?.unshift(...held);
  }

  #isClosed(): boolean {
    return this.#closed;
  }

  #holding(): boolean {
    return this.#held !== undefined;
  }

  #joinRefused(msg: JoinMessage, error: unknown): void {
    if (error instanceof SyncError) return this.link.send(ServerEvent.error, new SyncError(error.code, error.message, { ref: msg.tree }).toWire());
    this.host.logger.error('treesync: the canJoin hook threw', error);
    this.link.send(ServerEvent.error, new SyncError(ErrorCode.INTERNAL, 'internal error', { ref: msg.tree }).toWire());
  }

  #admitJoin(msg: JoinMessage, allowed: boolean): void {
    if (!allowed) {
      return this.link.send(ServerEvent.error, new SyncError(ErrorCode.FORBIDDEN, 'you may not join this tree', { ref: msg.tree }).toWire());
    }
    const tree = this.host.findTree(msg.tree);
    if (tree === undefined) {
      return this.link.send(ServerEvent.error, new SyncError(ErrorCode.UNKNOWN_TREE, `no tree ${JSON.stringify(msg.tree)}`, { ref: msg.tree }).toWire());
    }
    // Send what is pending to the room first, so this session's stream starts right after `seq`;
    // if the store cannot make it durable, no snapshot may show it either.
    if (!this.host.flush(tree)) {
      return this.link.send(ServerEvent.error, new SyncError(ErrorCode.INTERNAL, 'the store is not available; try again', { ref: msg.tree }).toWire());
    }
    // Under visibility rules, a session that does not see everything gets what it sees, always as a snapshot.
    const visibility = this.host.visibilityOf(tree);
    const viewer = visibility === undefined ? undefined : (this.#viewers.get(tree.name) ?? visibility.viewer(this, () => this.principal));
    if (visibility !== undefined && viewer !== undefined) {
      this.#viewers.set(tree.name, viewer);
      visibility.add(viewer);
      viewer.sentSeq = tree.seq;
    }
    const full = viewer === undefined || visibility === undefined || visibility.full(viewer);
    // A seq from another epoch (a restarted server) names another history: send a snapshot.
    const sameHistory = full && msg.since !== undefined && msg.epoch === tree.epoch && msg.since <= tree.seq;
    const missed = sameHistory ? (tree.log.since(msg.since, tree.seq) ?? this.host.storedSince(tree, msg.since)) : undefined;
    const joined = { tree: tree.name, ref: tree.ref, seq: tree.seq, epoch: tree.epoch };
    if (missed === undefined) {
      const snapshot = full ? tree.flatSnapshot() : visibility.snapshot(viewer);
      this.link.send(ServerEvent.joined, { ...joined, snapshot });
    } else {
      this.link.send(ServerEvent.joined, joined);
      const origins = runs(missed.origins);
      const first = (msg.since ?? 0) + 1;
      if (missed.ops.length > 0) {
        if (origins === undefined) this.link.send(ServerEvent.batch, tree.ref, first, missed.ops);
        else this.link.send(ServerEvent.batch, tree.ref, first, missed.ops, origins);
      }
    }
    this.joined.set(tree.name, tree);
    this.link.join(tree.room);
    // The client has applied what it said it had (served from the log), or will have the snapshot.
    const record = this.host.record(this.clientId);
    record.saw(tree.name, missed === undefined ? tree.seq : (msg.since ?? 0));
    record.seenAt = Date.now();
    this.host.saveClient(this.clientId, record);
  }

  #propose(msg: ProposeMessage): void {
    const record = this.host.record(this.clientId);
    record.seenAt = Date.now();
    if (msg.seen !== undefined) record.release(Math.min(msg.seen, msg.opId - 1));
    if (msg.opId <= record.lastOpId) {
      // A resend: answer as before, never apply twice. An answer no longer held is not a reject:
      // the proposal may have been applied.
      const answer = record.recall(msg.opId) ?? [
        'reject',
        { opId: msg.opId, code: ErrorCode.OUTCOME_UNKNOWN, message: `the answer to opId ${msg.opId} is no longer held; rejoin to see its effect` },
      ];
      return this.host.whenDurable(() => this.#send(answer));
    }
    record.lastOpId = msg.opId;
    const tree = this.joined.get(msg.tree);
    // baseSeq is the client's word: never above what the tree has.
    if (tree !== undefined) record.saw(tree.name, Math.min(msg.baseSeq, tree.seq));
    // Only joined sessions are stored: strangers store nothing. The record is written as it stands
    // at the group commit, and it is marked before the proposal applies, so no commit can hold the
    // proposal's scribes without its lastOpId (which would let a resend apply it twice); #decide
    // records an ack before the scribes' commit is announced, so the answer is in that commit too.
    const stored = this.joined.size > 0;
    if (stored) this.host.saveClient(this.clientId, record);
    const answer = this.#decide(msg, record, tree);
    // Again for a reject (no scribes, so no commit yet), which must be durable before it is sent.
    if (stored) this.host.saveClient(this.clientId, record);
    // Answered only once its scribes (and this record, with the answer) are durable.
    this.host.whenDurable(() => this.#send(answer));
  }

  /** Applies a proposal and records its one answer in `record`. */
  #decide(msg: ProposeMessage, record: ClientRecord, tree: Tree | undefined): Answer {
    let acked: Answer | undefined;
    try {
      if (tree === undefined) fail(ErrorCode.NOT_JOINED, `join ${JSON.stringify(msg.tree)} before proposing to it`, msg.tree);
      if (this.host.hooks.canMutate?.({ session: this, principal: this.principal, tree, ops: msg.ops }) === false) fail(ErrorCode.FORBIDDEN, 'you may not make this change');
      const ids: ObjectId[] = [];
      const ack = (seq: number): Answer => (acked = record.answer(msg.opId, ['ack', ids.length > 0 ? { opId: msg.opId, seq, ids } : { opId: msg.opId, seq }]));
      const check = opChecker(this.host.hooks, this.host.limits.maxObjectsPerTree, this, tree);
      // A session that does not see the whole tree proposes in terms of what it sees.
      const visibility = this.host.visibilityOf(tree);
      const viewer = this.#viewers.get(tree.name);
      const translate = visibility === undefined || viewer === undefined || visibility.full(viewer) ? undefined : (op: Op) => visibility.translate(viewer, op);
      tree.transact(() => applyProposal(tree, msg.ops, ids, check, translate), this.clientId, ack);
      return acked ?? ack(tree.seq);
    } catch (error) {
      // Applied, then something listening to the commit threw: the scribes stand, so does the ack.
      if (acked !== undefined) {
        this.host.logger.error('treesync: a commit listener failed after a proposal applied', error);
        return acked;
      }
      if (error instanceof SyncError) return record.answer(msg.opId, ['reject', { opId: msg.opId, ...error.toWire() }]);
      // A throwing hook or a bug: the transaction rolled back; the opId still gets its one answer.
      this.host.logger.error('treesync: a proposal failed unexpectedly', error);
      return record.answer(msg.opId, ['reject', { opId: msg.opId, code: ErrorCode.INTERNAL, message: 'internal error' }]);
    }
  }

  #send(answer: Answer): void {
    if (answer[0] === 'ack') this.link.send(ServerEvent.ack, answer[1]);
    else this.link.send(ServerEvent.reject, answer[1]);
  }
}

/** Run-length origins, omitted when every scribe came from the server. */
function runs(origins: readonly string[]): [number, string][] | undefined {
  const out: [number, string][] = [];
  for (const origin of origins) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === origin) last[0]++;
    else out.push([1, origin]);
  }
  return out.length === 1 && out[0]?.[1] === 'server' ? undefined : out;
}
