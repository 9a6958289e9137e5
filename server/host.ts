/**
 * The transport-agnostic core of the server: trees, sessions, fan-out, client records.
 * server/socket-io.ts binds it to socket.io; tests can bind it to anything.
 */
import { EventEmitter } from 'eventemitter3';
import {
  DEFAULT_LIMITS,
  ErrorCode,
  PROTOCOL_VERSION,
  ServerEvent,
  SyncError,
  fail,
  isWellFormed,
  type AnyTypeDef,
  type AttrMap,
  type Limits,
  type Op,
  type TypeDef,
  type WelcomeMessage,
} from '../shared/index.js';
import { ClientRecords, type ClientRecord, type ClientRecordInfo } from './client-records.js';
import { Fanout, type FlushOptions } from './fanout.js';
import { sendFiltered } from './fanout-filtered.js';
import type { Hooks, Principal } from './hooks.js';
import { TypeRegistry } from './registry.js';
import { Session } from './session.js';
import { sendToEach, silentLogger, type Broadcast, type Logger, type SendTo, type SessionLink } from './transport.js';
import { TreeVisibility } from './visibility.js';
import { Tree } from './tree.js';
import { Persistence } from './persistence.js';
import type { Store } from './store/store.js';

/** Options of a host (and so of a SyncServer). */
export interface HostOptions {
  /** Every type the trees use. Their order fixes their wire index. */
  readonly types: readonly AnyTypeDef[];
  readonly hooks?: Hooks;
  readonly limits?: Partial<Limits>;
  readonly flush?: FlushOptions;
  readonly logger?: Logger;
  /** Makes a tree on demand when a client joins an unknown name: return its root type, or undefined to refuse. */
  readonly createTree?: (name: string) => AnyTypeDef | undefined;
  /** Recent scribes kept per tree for catch-up joins (default 10,000); a store keeps as many behind its snapshots. */
  readonly logWindow?: number;
  /**
   * Where trees persist (a SqliteStore, a MemoryStore). Stored trees are restored at construction;
   * every commit is stored, durable before it is broadcast or acked. Without one, trees live in memory.
   */
  readonly store?: Store;
  /** With a store: scribes between two snapshots of a tree (default 10,000). */
  readonly snapshotEvery?: number;
  /** With a store: bytes of scribes (as JSON) between two snapshots of a tree, whichever of this and snapshotEvery comes first (default 16 MiB). */
  readonly snapshotBytes?: number;
  /**
   * Client records (last opId, unreleased answers, seqs) of client ids not seen for this long are
   * deleted: from the store at startup and periodically, and from memory (default 30 days).
   */
  readonly clientTtlMs?: number;
  /**
   * How long the record of a client id with no live session stays in memory (default: 5 minutes
   * with a store, which it reloads from when the client returns; `clientTtlMs` without one).
   */
  readonly clientGraceMs?: number;
  /**
   * Most records of client ids with no live session kept in memory (default 10,000); beyond it the
   * least recently seen go first. With a store they reload from it; without one they are forgotten,
   * and a returning client is welcomed with `known: false`.
   */
  readonly maxIdleClients?: number;
}

/** Events of a host. */
export interface HostEvents {
  session: [session: Session];
  sessionClosed: [session: Session];
}

const CLIENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Hosts many named trees and the sessions that join them. */
export class SyncHost extends EventEmitter<HostEvents> {
  readonly registry: TypeRegistry;
  readonly limits: Limits;
  readonly hooks: Hooks;
  readonly logger: Logger;
  readonly sessions = new Set<Session>();
  readonly #trees = new Map<string, { tree: Tree; fanout: Fanout; visibility: TreeVisibility | undefined }>();
  readonly #records: ClientRecords;
  /** The live session of each client id: one at a time, so opIds from one id never interleave. */
  readonly #live = new Map<string, Session>();
  #welcomeTypes: WelcomeMessage['types'] | undefined;
  readonly #persistence: Persistence | undefined;

  constructor(
    readonly options: HostOptions,
    readonly broadcast: Broadcast,
    /** Sends to an audience of sessions (visibility); default: each session's link on its own. */
    readonly sendTo: SendTo = sendToEach,
  ) {
    super();
    this.registry = new TypeRegistry(options.types);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.hooks = options.hooks ?? {};
    this.logger = options.logger ?? silentLogger;
    if (options.store !== undefined) {
      const persistence = new Persistence(
        {
          store: options.store,
          keep: options.logWindow ?? 10_000,
          ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }),
          ...(options.snapshotBytes === undefined ? {} : { snapshotBytes: options.snapshotBytes }),
        },
        this.registry,
        (error) => this.logger.error('treesync: the store did not commit; acks and broadcasts wait until it does', error),
        (error) => this.logger.error('treesync: a stored client record is damaged; its answers to resends are lost (resends get OUTCOME_UNKNOWN, never applied twice)', error),
      );
      for (const stored of persistence.load()) {
        const rootType = this.registry.find(stored.rootType);
        if (rootType === undefined) fail(ErrorCode.UNKNOWN_TYPE, `stored tree ${stored.name} has a ${stored.rootType} root, which this server does not register`, stored.name);
        const tree = this.#make(stored.name, rootType, stored.epoch);
        persistence.restore(tree, stored);
        this.#wire(tree);
      }
      this.#persistence = persistence;
    }
    this.#records = new ClientRecords(options, this.#persistence, this.#live, (error) => this.logger.error('treesync: pruning the stored client records failed', error));
  }

  /** The tree with this name, created with `rootType` when it does not exist yet. */
  tree<R extends AttrMap>(name: string, rootType: TypeDef<string, R>): Tree<R>;
  /** The tree with this name; UNKNOWN_TREE when it does not exist. */
  tree(name: string): Tree;
  tree(name: string, rootType?: AnyTypeDef): Tree {
    const known = this.#trees.get(name);
    if (known !== undefined) return known.tree;
    if (rootType === undefined) fail(ErrorCode.UNKNOWN_TREE, `no tree ${JSON.stringify(name)}`, name);
    if (name.length === 0 || name.length > this.limits.maxTreeName || !isWellFormed(name)) fail(ErrorCode.BAD_VALUE, 'bad tree name', name);
    const tree = this.#make(name, rootType, undefined);
    this.#persistence?.created(tree, rootType);
    this.#wire(tree);
    return tree;
  }

  #make(name: string, rootType: AnyTypeDef, epoch: string | undefined): Tree {
    const options = { ...(this.options.logWindow === undefined ? {} : { logWindow: this.options.logWindow }), ...(epoch === undefined ? {} : { epoch }) };
    return new Tree(name, this.#trees.size + 1, this.registry, rootType, options);
  }

  /** Connects a tree (made or restored) to persistence, visibility and fan-out. */
  #wire(tree: Tree): void {
    const rules = this.hooks.visibility;
    const visibility = rules === undefined ? undefined : new TreeVisibility(tree, rules, (error) => this.logger.error('treesync: a visibility rule threw', error));
    tree.observer = visibility;
    const fanout = new Fanout(
      tree.ref,
      (args, txns) => {
        // Durable before anyone hears of it: a crash must not take back scribes clients have seen.
        if (this.#persistence?.commit() === false) return false;
        if (visibility === undefined) this.broadcast(tree.room, ServerEvent.batch, args);
        else sendFiltered(this.sendTo, tree, visibility, args, txns);
        return true;
      },
      this.options.flush,
    );
    tree.on('commit', (firstSeq, ops, origin) => {
      this.#persistence?.committed(tree, firstSeq, ops, origin);
      fanout.push(firstSeq, ops, origin, visibility?.commit(firstSeq, ops, origin));
    });
    this.#trees.set(tree.name, { tree, fanout, visibility });
  }

  /** The visibility tracker of a tree, when the host has visibility rules. */
  visibilityOf(tree: Tree): TreeVisibility | undefined {
    return this.#trees.get(tree.name)?.visibility;
  }

  /**
   * Asks the visibility rules again for a session (its principal changed, or what `canSee` reads
   * did): each of its trees is sent again as a snapshot of what it may now see, and the client's
   * mirror shows objects appear and disappear.
   * @example
   * session.principal = { ...session.principal, team: 'blue' };
   * server.host.refreshVisibility(session);
   */
  refreshVisibility(session: Session): void {
    session.refreshVisibility();
  }

  /** Runs `fn` once everything written so far is durable (at once without a store). */
  whenDurable(fn: () => void): void {
    if (this.#persistence === undefined) fn();
    else this.#persistence.whenDurable(fn);
  }

  /** Stores a client's record as it stands at the next group commit (no-op without a store). */
  saveClient(clientId: string, record: ClientRecord): void {
    this.#records.save(clientId, record);
  }

  /** Scribes after `since` from the store, for a catch-up beyond the memory window. */
  storedSince(tree: Tree, since: number): { ops: Op[]; origins: string[] } | undefined {
    return this.#persistence?.since(tree, since);
  }

  /** Whether a tree of this name exists (made or restored). */
  hasTree(name: string): boolean {
    return this.#trees.has(name);
  }

  /** The tree with this name, if it exists or may be made on demand. */
  findTree(name: string): Tree | undefined {
    const known = this.#trees.get(name);
    if (known !== undefined) return known.tree;
    const rootType = this.options.createTree?.(name);
    return rootType === undefined ? undefined : this.tree(name, rootType);
  }

  /** Every tree's name. */
  get treeNames(): string[] {
    return [...this.#trees.keys()];
  }

  /** Sends a tree's pending scribes now; false when they are not durable yet (nothing was sent). */
  flush(tree: Tree): boolean {
    const fanout = this.#trees.get(tree.name)?.fanout;
    fanout?.flush();
    return fanout === undefined || fanout.pending === 0;
  }

  /** The record of a client id: in memory, else loaded from the store, else new. */
  record(clientId: string): ClientRecord {
    return this.#records.record(clientId);
  }

  /**
   * What the host knows of a client id, from memory or the store (read without loading it), or
   * undefined when it has no record of it: the client never joined, or its record was pruned.
   * @example
   * const info = server.host.clientRecord(session.clientId);
   * if (info !== undefined) console.log(info.lastOpId, info.seqs.get('board'), new Date(info.seenAt));
   */
  clientRecord(clientId: string): ClientRecordInfo | undefined {
    return this.#records.info(clientId);
  }

  /** How many client records are held in memory (live sessions' and idle ones). */
  get clientRecordCount(): number {
    return this.#records.size;
  }

  /**
   * Forgets client records now (it also runs periodically): from memory, those of client ids with
   * no live session past the grace period or beyond `maxIdleClients`; from the store, those not
   * seen for `clientTtlMs` (at most every half TTL, at most hourly). `now` is for tests.
   */
  pruneClients(now = Date.now()): void {
    this.#records.prune(now);
  }

  /** Checks a handshake; throws PROTOCOL_VERSION or BAD_MESSAGE. */
  checkHello(auth: unknown): { clientId: string; auth: Record<string, unknown> } {
    if (typeof auth !== 'object' || auth === null) fail(ErrorCode.BAD_MESSAGE, 'the handshake needs auth { v, clientId }');
    const record = auth as Record<string, unknown>;
    if (record['v'] !== PROTOCOL_VERSION) fail(ErrorCode.PROTOCOL_VERSION, `this server speaks protocol ${PROTOCOL_VERSION}`, 'v');
    const clientId = record['clientId'];
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) fail(ErrorCode.BAD_MESSAGE, 'clientId must be 1-128 characters of [A-Za-z0-9_.:-]', 'clientId');
    return { clientId, auth: record };
  }

  /**
   * Checks a handshake and asks the `authenticate` hook for its principal: resolves to it, or
   * rejects with a SyncError (PROTOCOL_VERSION, BAD_MESSAGE, UNAUTHENTICATED, or the hook's own).
   * Transports call it before {@link open}.
   */
  async admit(auth: unknown): Promise<Principal> {
    const hello = this.checkHello(auth);
    const authenticate = this.hooks.authenticate;
    if (authenticate === undefined) return { id: hello.clientId };
    let principal: Principal | false;
    try {
      principal = await authenticate({ clientId: hello.clientId, auth: hello.auth });
    } catch (error) {
      if (error instanceof SyncError) throw error;
      this.logger.error('treesync: the authenticate hook threw', error);
      throw new SyncError(ErrorCode.UNAUTHENTICATED, 'authentication failed');
    }
    // Checked at run time too: a hook in plain JavaScript may return anything.
    const p = principal as unknown;
    if (typeof p !== 'object' || p === null || typeof (p as { id?: unknown }).id !== 'string') {
      throw new SyncError(ErrorCode.UNAUTHENTICATED, 'the credentials were refused');
    }
    return p as Principal;
  }

  /**
   * Opens a session on a link after a good handshake, and welcomes it. Throws a SyncError on a bad
   * one. `principal`: what {@link admit} resolved to; required when there is an `authenticate` hook.
   */
  open(link: SessionLink, auth: unknown, principal?: Principal): Session {
    const hello = this.checkHello(auth);
    if (principal === undefined && this.hooks.authenticate !== undefined) fail(ErrorCode.UNAUTHENTICATED, 'this server authenticates: admit() the handshake first');
    // Read, not made: a record per handshake would let reconnecting strangers grow memory. A
    // stored one is loaded: its client is back, and likely to resend.
    const record = this.#records.find(hello.clientId);
    // A client id is one client: a newer connection takes over (often the old one is half-open
    // after a network change); an older one still alive would number its opIds from the same record.
    const older = this.#live.get(hello.clientId);
    if (older !== undefined) {
      older.link.send(ServerEvent.error, new SyncError(ErrorCode.SUPERSEDED, 'another connection with this client id took over', { ref: hello.clientId }).toWire());
      older.close();
      older.link.close();
    }
    const session = new Session(this, link, hello.clientId, hello.auth, principal);
    this.sessions.add(session);
    this.#live.set(hello.clientId, session);
    this.#records.opened(hello.clientId, record);
    this.#welcomeTypes ??= this.registry.wire;
    link.send(ServerEvent.welcome, {
      v: PROTOCOL_VERSION,
      clientId: hello.clientId,
      types: this.#welcomeTypes,
      limits: this.limits,
      lastOpId: record?.lastOpId ?? 0,
      known: record !== undefined,
    } satisfies WelcomeMessage);
    this.emit('session', session);
    return session;
  }

  /** Forgets a closed session; its client's record goes idle (and, past `maxIdleClients`, the oldest idle one goes). */
  closed(session: Session): void {
    const clientId = session.clientId;
    if (this.#live.get(clientId) === session) {
      this.#live.delete(clientId);
      this.#records.closed(clientId);
    }
    if (this.sessions.delete(session)) this.emit('sessionClosed', session);
  }

  /** Sends every pending batch and stops the timers. */
  close(): void {
    this.#records.close();
    for (const { fanout } of this.#trees.values()) fanout.close();
    this.#persistence?.close();
  }
}
