/**
 * What the ShareDB peer's two scripts (sharedb-server.ts, sharedb-clients.ts) share: the part of
 * ShareDB's untyped API they use, and the names the model has in ShareDB.
 */
import type { Command, ModelObject, PEERS } from './model.js';

/* The part of ShareDB's untyped API the peer scripts use (sharedb ships no .d.ts). */

/** A json0 op component: here always a replace (`od` old value, `oi` new value) at path `p`. */
export interface Json0Component {
  readonly p: readonly (string | number)[];
  readonly od?: unknown;
  readonly oi?: unknown;
}

/** A ShareDB client Doc (sharedb/lib/client/doc.js). */
export interface ShareDoc<T> {
  readonly collection: string;
  readonly id: string;
  /** The snapshot's data once fetched, subscribed or created. */
  readonly data: T | undefined;
  readonly version: number | null;
  /** When true, ops submitted while one is in flight stay separate ops instead of being composed into one. */
  preventCompose: boolean;
  create(data: T, callback: (error?: Error | null) => void): void;
  fetch(callback: (error?: Error | null) => void): void;
  subscribe(callback: (error?: Error | null) => void): void;
  submitOp(op: readonly Json0Component[], callback?: (error?: Error | null) => void): void;
  destroy(callback?: (error?: Error | null) => void): void;
  /** Remote json0 ops are emitted one component at a time; `source` is false for remote ops (and rollbacks). */
  on(event: 'op', fn: (op: readonly Json0Component[], source: unknown) => void): void;
  on(event: 'error', fn: (error: Error) => void): void;
}

/** A ShareDB client Connection (sharedb/lib/client/connection.js). */
export interface ShareConnection {
  readonly state: string;
  get<T>(collection: string, id: string): ShareDoc<T>;
  /** Takes a new socket (closing the old one); once it is connected, every Doc resubscribes from its version. */
  bindToSocket(socket: unknown): void;
  /** Between startBulk and endBulk, subscribes and fetches are sent as one message per collection. */
  startBulk(): void;
  endBulk(): void;
  close(): void;
  /** Calls back once no op, fetch or subscribe of this connection awaits the server. */
  whenNothingPending(callback: () => void): void;
  on(event: 'connected' | 'closed' | 'disconnected' | 'stopped', fn: () => void): void;
  on(event: 'error' | 'connection error', fn: (error: unknown) => void): void;
}

/** The `doc` variant's document. */
export const STATE = { collection: 'state', id: 'all' } as const;
/** The `docs` variant's collection, ids `0` ... `M-1`, and its directory document. */
export const OBJECTS = 'objects';
export const META = { collection: 'meta', id: 'objects' } as const;

/** The `doc` variant's document data. */
export interface State {
  objects: ModelObject[];
}

export type Variant = (typeof PEERS.sharedb)[number];

/** A ShareDB callback that settles a promise. */
export function done(resolve: () => void, reject: (error: Error) => void): (error?: Error | null) => void {
  return (error) => (error == null ? resolve() : reject(error));
}

/** Where a workload puts its process's command handler (taken from the start, so that `exit` works while it builds). */
export interface Commands {
  handler: (cmd: Command['cmd']) => void | Promise<void>;
}
