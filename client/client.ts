/**
 * The client: one connection to a treesync server, the mirrors of the trees it joined, and the
 * protocol between them (welcome, join and rejoin, batches, proposals, acks and rejects).
 */
import { EventEmitter } from 'eventemitter3';
import {
  ClientEvent,
  DEFAULT_LIMITS,
  ErrorCode,
  PROTOCOL_VERSION,
  decodeBatch,
  isBinary,
  ServerEvent,
  SyncError,
  isErrorCode,
  type AnyTypeDef,
  type AttrMap,
  type TypeDef,
  type Limits,
  type ObjectId,
  type Op,
  type WelcomeMessage,
} from '../shared/index.js';
import { TypeCatalog } from './catalog.js';
import { resolveClientId } from './client-id.js';
import { JoinedTrees } from './joined-trees.js';
import { Mirror, type MirrorHost } from './mirror.js';
import { OfflineQueue, queueKey, sessionStorageOrNone, type StorageLike } from './offline-queue.js';
import { Outbox, type Outgoing } from './outbox.js';
import { SendBudget } from './send-budget.js';
import { isInt, parseAck, parseWelcome, parseWireError } from './server-messages.js';
import { socketIoTransport } from './socket-io.js';
import type { ClientTransport, ConnectError } from './transport.js';
import type { Ack, Logger } from './types.js';

/** Options of {@link SyncClient}. */
export interface SyncClientOptions {
  /** The server's URL, for the socket.io transport; or pass `transport`. */
  readonly url?: string;
  /** The transport to use instead of socket.io at `url`. */
  readonly transport?: ClientTransport;
  /** Local type definitions: for typing, and for defaults in local checks. */
  readonly types?: readonly AnyTypeDef[];
  /** The stable client id; default: remembered per browser tab (sessionStorage), else fresh. One live connection per id. */
  readonly clientId?: string;
  /** Extra handshake auth (tokens) for the server's hooks. */
  readonly auth?: Readonly<Record<string, unknown>>;
  /** How batches travel: 'binary' (default; about a quarter of the bytes, see docs/protocol.md) or 'json' (readable in devtools). */
  readonly batches?: 'binary' | 'json';
  /**
   * Where proposals waiting for the server are kept, so that mutations made offline survive a
   * reload and are replayed exactly once: default the tab's sessionStorage (like the client id),
   * when there is one; null keeps them in memory only. With a fixed `clientId`, localStorage
   * keeps them across browser restarts too.
   */
  readonly storage?: StorageLike | null;
  readonly logger?: Logger;
}

/** Events of a {@link SyncClient}. */
export interface SyncClientEvents {
  connect: [];
  disconnect: [reason: string];
  error: [error: SyncError];
  welcome: [welcome: WelcomeMessage];
  /**
   * A proposal failed: the server refused it (it became invalid while it waited offline, or a rule
   * forbids it), or its outcome is unknown. Also emitted for proposals restored from storage,
   * which have no promise. `opId` is undefined for one that was never sent.
   */
  reject: [error: SyncError, tree: string, opId: number | undefined];
}

/**
 * A connection to a treesync server. Reconnects by itself; on every reconnect it rejoins its
 * trees from their last seq and resends the proposals still in flight.
 * @example
 * const client = new SyncClient({ url: 'http://localhost:3000', types: [Gauge] });
 * const mirror = await client.join('dashboard');
 */
export class SyncClient extends EventEmitter<SyncClientEvents> {
  readonly #transport: ClientTransport;
  readonly #logger: Logger | undefined;
  readonly #types: readonly AnyTypeDef[];
  readonly #trees = new JoinedTrees((mirror, error) => this.#outbox.drop(error, mirror));
  readonly #outbox: Outbox;
  readonly #queue: OfflineQueue | undefined;
  readonly #host: MirrorHost;
  readonly #budget: SendBudget;
  #clientId: string;
  #auth: Readonly<Record<string, unknown>>;
  readonly #batches: 'binary' | 'json';
  #catalog: TypeCatalog | undefined;
  #limits: Limits = DEFAULT_LIMITS;
  #epoch = 0;
  #ready = false;
  #closed = false;

  constructor(options: SyncClientOptions) {
    super();
    const transport = options.transport ?? (options.url === undefined ? undefined : socketIoTransport(options.url));
    if (transport === undefined) throw new SyncError(ErrorCode.BAD_VALUE, 'SyncClient needs a url or a transport');
    this.#transport = transport;
    this.#budget = new SendBudget(transport, () => this.#limits);
    this.#logger = options.logger;
    this.#types = options.types ?? [];
    this.#clientId = resolveClientId(options.clientId);
    this.#auth = options.auth ?? {};
    this.#batches = options.batches ?? 'binary';
    const storage = options.storage === undefined ? sessionStorageOrNone() : (options.storage ?? undefined);
    this.#queue =
      storage === undefined
        ? undefined
        : new OfflineQueue(storage, () => queueKey(this.#clientId), () => this.#outbox.save(), (msg, ...args) => this.#logger?.warn(msg, ...args));
    this.#outbox = new Outbox((out, error) => this.#failed(out, error), () => this.#queue?.changed());
    this.#host = {
      catalog: () => this.#catalog,
      maxOps: () => this.#limits.maxOpsPerProposal,
      bind: (mirror, inbox) => this.#trees.bind(mirror, inbox),
      submit: (mirror, local, creates, settle) => this.#submit(mirror, local, creates, settle),
      pending: (mirror) => this.#outbox.of(mirror),
      unanswered: (mirror) => this.#outbox.unanswered(mirror),
      localId: () => this.#outbox.localId(),
      realId: (local) => this.#outbox.realId(local),
      origin: () => this.#clientId,
      resync: (mirror, since) => {
        if (this.#ready && this.#trees.get(mirror.name) === mirror) this.#sendJoin(mirror, since);
      },
      applied: (mirror) => this.#outbox.applied(mirror),
      warn: (msg, ...args) => this.#logger?.warn(msg, ...args),
      listenerError: (error) => {
        if (this.#logger !== undefined) this.#logger.warn('treesync: an event listener threw', error);
        else
          queueMicrotask(() => {
            throw error;
          });
      },
    };
    transport.onConnect(() => this.emit('connect'));
    transport.onDisconnect((reason) => this.#onDisconnect(reason));
    transport.onConnectError((error) => this.#onConnectError(error));
    transport.onMessage((event, args) => this.#onMessage(event, args));
    this.#restore();
    transport.open(() => this.#hello());
  }

  /** This client's stable id: the origin of its scribes. */
  get clientId(): string {
    return this.#clientId;
  }

  /** Whether the connection is up. */
  get connected(): boolean {
    return this.#transport.connected;
  }

  /** The handshake `auth`: the application's fields, then the protocol's. */
  #hello(): Record<string, unknown> {
    return { ...this.#auth, v: PROTOCOL_VERSION, clientId: this.#clientId, batches: this.#batches };
  }

  /** Replaces the extra handshake auth; used from the next (re)connect on. */
  setAuth(auth: Readonly<Record<string, unknown>>): void {
    this.#auth = auth;
  }

  /** Reopens the connection, after the server refused the handshake or disconnected this client. */
  connect(): void {
    if (!this.#closed) this.#transport.open(() => this.#hello());
  }

  /**
   * Joins a tree: resolves to its mirror once the first snapshot is applied; joining twice gives the
   * same mirror. With `rootType`, the mirror's root is typed, and a root of another type rejects with UNKNOWN_TYPE.
   */
  join<R extends AttrMap>(tree: string, rootType: TypeDef<string, R>): Promise<Mirror<R>>;
  join(tree: string): Promise<Mirror>;
  join(tree: string, rootType?: AnyTypeDef): Promise<Mirror> {
    const joined = this.#join(tree);
    if (rootType === undefined) return joined;
    return joined.then((mirror) => {
      const actual = mirror.root.type;
      if (actual !== rootType.name) {
        this.leave(tree);
        throw new SyncError(ErrorCode.UNKNOWN_TYPE, `the root of ${tree} is a ${actual}, not a ${rootType.name}`, { ref: tree });
      }
      return mirror;
    });
  }

  #join(tree: string): Promise<Mirror> {
    if (this.#closed) return Promise.reject(new SyncError(ErrorCode.CLOSED, 'the client is closed'));
    if (typeof tree !== 'string' || tree.length === 0 || tree.length > this.#limits.maxTreeName) {
      return Promise.reject(new SyncError(ErrorCode.BAD_VALUE, 'a tree name is a non-empty string', { ref: tree }));
    }
    const pending = this.#trees.pending(tree);
    if (pending !== undefined) return pending;
    const known = this.#trees.get(tree);
    if (known !== undefined) return Promise.resolve(known);
    const mirror = new Mirror(tree, this.#host);
    const promise = this.#trees.start(mirror);
    if (this.#ready) this.#sendJoin(mirror, undefined);
    return promise;
  }

  /** Leaves a tree: its mirror stops updating and its unsettled proposals reject with CLOSED. */
  leave(tree: string): void {
    const mirror = this.#trees.get(tree);
    if (mirror === undefined) return;
    if (this.#ready) this.#budget.send(ClientEvent.leave, { tree }, 0);
    this.#trees.forget(mirror, new SyncError(ErrorCode.CLOSED, `left ${tree}`, { ref: tree }));
  }

  /**
   * Closes the connection for good; unsettled proposals and joins reject with CLOSED. Proposals
   * kept in `storage` stay there, for the next client with this id to replay.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = false;
    this.#budget.stop();
    this.#queue?.stop();
    this.#transport.close();
    for (const mirror of [...this.#trees.values()]) this.#trees.forget(mirror, new SyncError(ErrorCode.CLOSED, 'the client is closed'));
    this.#outbox.drop(new SyncError(ErrorCode.CLOSED, 'the client is closed'));
  }

  #submit(mirror: Mirror, local: readonly Op[], creates: readonly ObjectId[], settle: (error: unknown, ack?: Ack) => void): boolean {
    if (this.#closed || this.#trees.get(mirror.name) !== mirror) {
      settle(new SyncError(ErrorCode.CLOSED, `not joined to ${mirror.name}`));
      return false;
    }
    this.#outbox.add(mirror, local, creates, settle);
    this.#flush();
    return true;
  }

  /** Takes over the proposals a previous page with this client id left in storage: joins their trees and replays them. */
  #restore(): void {
    const saved = this.#queue?.load();
    if (saved === undefined) return;
    this.#outbox.restore(saved, (tree) => {
      if (this.#trees.get(tree) === undefined) this.#join(tree).catch(() => undefined);
      return this.#trees.get(tree);
    });
  }

  /** A proposal failed: reported on its mirror and on the client, and its mirror stops showing it. */
  #failed(out: Outgoing, error: SyncError): void {
    const inbox = this.#trees.inbox(out.mirror);
    if (inbox === undefined) return;
    out.mirror.emit('reject', error, out.opId ?? 0);
    this.emit('reject', error, out.mirror.name, out.opId);
    inbox.answered();
  }

  /** Once welcomed: sends every proposal not yet sent on this connection, in order, within the server's rate limit (the rest follow as the budget refills). */
  #flush(): void {
    if (!this.#ready || this.#budget.paced) return;
    const budget = this.#budget.available();
    const unsent = this.#outbox.unsent(this.#epoch, budget);
    if (unsent.length === budget && this.#outbox.size > 0) this.#budget.pace(() => this.#flush());
    // Once for the lot: every proposal about to go out already has its opId, so none is below this.
    const seen = this.#outbox.seen;
    for (const { out, opId, ops } of unsent) {
      out.sentOn = this.#epoch;
      const baseSeq = this.#trees.inbox(out.mirror)?.confirmedSeq() ?? 0;
      this.#budget.send(ClientEvent.propose, { tree: out.mirror.name, opId, baseSeq, seen, ops });
    }
  }

  #sendJoin(mirror: Mirror, since: number | undefined): void {
    this.#trees.inbox(mirror)?.rejoining();
    const epoch = this.#trees.epoch(mirror);
    // Without the epoch its seq came from, a since could be read against another history.
    if (since === undefined || epoch === undefined) this.#budget.send(ClientEvent.join, { tree: mirror.name });
    else this.#budget.send(ClientEvent.join, { tree: mirror.name, since, epoch });
  }

  #onDisconnect(reason: string): void {
    this.#ready = false;
    this.emit('disconnect', reason);
  }

  #onConnectError(error: ConnectError): void {
    this.emit('error', new SyncError(isErrorCode(error.code) ? error.code : ErrorCode.CONNECTION_LOST, error.message));
  }

  #onMessage(event: string, args: readonly unknown[]): void {
    try {
      switch (event) {
        case ServerEvent.welcome:
          return this.#onWelcome(args[0]);
        case ServerEvent.joined:
          return this.#trees.joined(args[0], (mirror, tree) => {
            // A restarted server: acked proposals whose scribes had not arrived were lost with the old history.
            this.#outbox.historyLost(mirror, new SyncError(ErrorCode.OUTCOME_UNKNOWN, `${tree} restarted with a new history before this change reached the mirror`, { ref: tree }));
          });
        case ServerEvent.batch: {
          // A binary batch decodes to the JSON form's arguments; a broken one throws, and the gap it leaves heals by a rejoin.
          const [ref, firstSeq, ops, origins, lastSeq] = args.length === 1 && isBinary(args[0]) ? decodeBatch(args[0]) : args;
          const mirror = isInt(ref) ? this.#trees.byRef(ref) : undefined;
          if (mirror !== undefined && isInt(firstSeq)) this.#trees.inbox(mirror)?.batch(firstSeq, ops, origins, isInt(lastSeq) ? lastSeq : undefined);
          return;
        }
        case ServerEvent.ack: {
          const ack = parseAck(args[0]);
          if (ack === undefined) throw new SyncError(ErrorCode.BAD_MESSAGE, 'junk ack');
          const mirror = this.#outbox.ack(ack);
          if (mirror !== undefined) this.#trees.inbox(mirror)?.answered(ack.seq);
          // A proposal naming an object this one created may now go.
          if (this.#outbox.waiting) this.#flush();
          return;
        }
        case ServerEvent.reject: {
          const error = parseWireError(args[0]);
          const opId = (args[0] as { opId?: unknown } | undefined)?.opId;
          if (error === undefined || !isInt(opId)) throw new SyncError(ErrorCode.BAD_MESSAGE, 'junk reject');
          this.#outbox.reject(opId, error);
          if (this.#outbox.waiting) this.#flush();
          return;
        }
        case ServerEvent.error:
          return this.#onError(args[0]);
        default:
          this.#logger?.warn(`treesync: unknown event ${JSON.stringify(event).slice(0, 80)} ignored`);
      }
    } catch (error) {
      this.#logger?.warn(`treesync: ${event} message ignored`, error);
    }
  }

  #onWelcome(raw: unknown): void {
    const w = parseWelcome(raw);
    if (w.v !== PROTOCOL_VERSION) {
      const error = new SyncError(ErrorCode.PROTOCOL_VERSION, `the server speaks protocol ${String(w.v)}, this client ${PROTOCOL_VERSION}`);
      this.close();
      this.emit('error', error);
      return;
    }
    const catalog = new TypeCatalog(w.types, this.#types);
    if (w.clientId !== undefined && w.clientId !== this.#clientId) {
      this.#logger?.warn(`treesync: the server calls this client ${w.clientId}, not ${this.#clientId}; adopting it`);
      this.#clientId = w.clientId;
    }
    this.#catalog = catalog;
    this.#limits = w.limits;
    this.#budget.refill();
    this.#outbox.welcome(w.lastOpId, w.known);
    this.#epoch++;
    this.#ready = true;
    // Order matters: joins first, then the resent in-flight proposals (same opIds), then the new ones.
    for (const mirror of this.#trees.values()) {
      const inbox = this.#trees.inbox(mirror);
      this.#sendJoin(mirror, inbox?.hasState() === true ? inbox.confirmedSeq() : undefined);
    }
    this.#flush();
    // Last: a listener that calls join() must not see its tree joined a second time by the loop above.
    this.emit('welcome', { v: PROTOCOL_VERSION, clientId: this.#clientId, types: w.types as WelcomeMessage['types'], limits: w.limits, lastOpId: w.lastOpId });
  }

  #onError(raw: unknown): void {
    const error = parseWireError(raw) ?? new SyncError(ErrorCode.BAD_MESSAGE, 'junk error message');
    // A failed first join rejects its promise; anything else (a failed rejoin included) is the client's 'error'.
    if (typeof error.ref !== 'string' || !this.#trees.failJoin(error.ref, error)) this.emit('error', error);
  }
}
