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
import { ClientRecord } from './client-records.js';
import { Fanout, type FlushOptions } from './fanout.js';
import type { Hooks } from './hooks.js';
import { TypeRegistry } from './registry.js';
import { Session } from './session.js';
import { silentLogger, type Broadcast, type Logger, type SessionLink } from './transport.js';
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
  readonly #trees = new Map<string, { tree: Tree; fanout: Fanout }>();
  readonly #records = new Map<string, ClientRecord>();
  /** The live session of each client id: one at a time, so opIds from one id never interleave. */
  readonly #live = new Map<string, Session>();
  #welcomeTypes: WelcomeMessage['types'] | undefined;
  readonly #persistence: Persistence | undefined;

  constructor(
    readonly options: HostOptions,
    readonly broadcast: Broadcast,
  ) {
    super();
    this.registry = new TypeRegistry(options.types);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.hooks = options.hooks ?? {};
    this.logger = options.logger ?? silentLogger;
    if (options.store !== undefined) {
      const persistence = new Persistence(
        { store: options.store, keep: options.logWindow ?? 10_000, ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }) },
        this.registry,
        (error) => this.logger.error('treesync: the store did not commit; acks and broadcasts wait until it does', error),
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

  /** Connects a tree (made or restored) to persistence and fan-out. */
  #wire(tree: Tree): void {
    const fanout = new Fanout(
      tree.ref,
      (args) => {
        // Durable before anyone hears of it: a crash must not take back scribes clients have seen.
        if (this.#persistence?.commit() === false) return false;
        this.broadcast(tree.room, ServerEvent.batch, args);
        return true;
      },
      this.options.flush,
    );
    tree.on('commit', (firstSeq, ops, origin) => {
      this.#persistence?.committed(tree, firstSeq, ops, origin);
      fanout.push(firstSeq, ops, origin);
    });
    this.#trees.set(tree.name, { tree, fanout });
  }

  /** Runs `fn` once everything written so far is durable (at once without a store). */
  whenDurable(fn: () => void): void {
    if (this.#persistence === undefined) fn();
    else this.#persistence.whenDurable(fn);
  }

  /** Stores a client id's last answered opId (no-op without a store). */
  saveClient(clientId: string, lastOpId: number): void {
    this.#persistence?.saveClient(clientId, lastOpId);
  }

  /** Scribes after `since` from the store, for a catch-up beyond the memory window. */
  storedSince(tree: Tree, since: number): { ops: Op[]; origins: string[] } | undefined {
    return this.#persistence?.since(tree, since);
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

  /** The record of a client id (made on first use). */
  record(clientId: string): ClientRecord {
    let record = this.#records.get(clientId);
    if (record === undefined) {
      record = new ClientRecord(10_000);
      record.lastOpId = this.#persistence?.lastOpId(clientId) ?? 0;
      this.#records.set(clientId, record);
    }
    return record;
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

  /** Opens a session on a link after a good handshake, and welcomes it. Throws a SyncError on a bad one. */
  open(link: SessionLink, auth: unknown): Session {
    const hello = this.checkHello(auth);
    // A client id is one client: a newer connection takes over (often the old one is half-open
    // after a network change); an older one still alive would number its opIds from the same record.
    const older = this.#live.get(hello.clientId);
    if (older !== undefined) {
      older.link.send(ServerEvent.error, new SyncError(ErrorCode.SUPERSEDED, 'another connection with this client id took over', { ref: hello.clientId }).toWire());
      older.close();
      older.link.close();
    }
    const session = new Session(this, link, hello.clientId, hello.auth);
    this.sessions.add(session);
    this.#live.set(hello.clientId, session);
    this.#welcomeTypes ??= this.registry.wire;
    link.send(ServerEvent.welcome, {
      v: PROTOCOL_VERSION,
      clientId: hello.clientId,
      types: this.#welcomeTypes,
      limits: this.limits,
      // Read, not made: a record per handshake would let reconnecting strangers grow memory.
      lastOpId: this.#records.get(hello.clientId)?.lastOpId ?? this.#persistence?.lastOpId(hello.clientId) ?? 0,
    } satisfies WelcomeMessage);
    this.emit('session', session);
    return session;
  }

  /** Forgets a closed session. */
  closed(session: Session): void {
    if (this.#live.get(session.clientId) === session) this.#live.delete(session.clientId);
    if (this.sessions.delete(session)) this.emit('sessionClosed', session);
  }

  /** Sends every pending batch and stops the timers. */
  close(): void {
    for (const { fanout } of this.#trees.values()) fanout.close();
    this.#persistence?.close();
  }
}
