/**
 * The ShareDB peer's client side (used by sharedb-clients.ts and the workloads it dispatches to):
 * a `new Connection(socket)` of sharedb/lib/client over its own `ws` WebSocket, whose payload bytes
 * are counted before ShareDB parses them, and the ways a client takes the state:
 * - `doc`: subscribes to `state/all` (`{ objects: ModelObject[] }`);
 * - `docs`: fetches `meta/objects` (`{ count: M }`), then subscribes to `objects/<k>` between
 *   `startBulk()` and `endBulk()`, so they go as one `bs` (bulk subscribe) message.
 */
import { createRequire } from 'node:module';
import { WebSocket, type RawData } from 'ws';
import type { ModelObject } from './model.js';
import { META, OBJECTS, STATE, done, type ShareConnection, type ShareDoc, type State, type Variant } from './sharedb-model.js';

const requireCjs = createRequire(import.meta.url);
/** ShareDB's client Connection, over a `ws` WebSocket. */
export const { Connection } = requireCjs('sharedb/lib/client') as { Connection: new (socket: WebSocket) => ShareConnection };

function size(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/** A WebSocket to the server; `onMessage` sees every message's payload size before ShareDB parses it. */
export function socket(port: number, onMessage: (bytes: number) => void): WebSocket {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  // Before ShareDB's onmessage: listeners run in the order they were added.
  ws.on('message', (data: RawData) => onMessage(size(data)));
  return ws;
}

/** Resolves once `conn` has done ShareDB's handshake; rejects on its errors meanwhile. */
export function connected(conn: ShareConnection, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    conn.on('connected', resolve);
    // ShareDB passes on the socket's error event: for `ws`, an ErrorEvent carrying the Error.
    conn.on('connection error', (event) => {
      const error = (event as { error?: unknown } | null)?.error ?? event;
      reject(error instanceof Error ? error : new Error(`WebSocket error on port ${port}`));
    });
    conn.on('error', (error) => reject(error instanceof Error ? error : new Error(String(error))));
  });
}

/** A client connection (see `socket` for `onMessage`). */
export function open(port: number, onMessage: (bytes: number) => void): { conn: ShareConnection; connected: Promise<void> } {
  const conn = new Connection(socket(port, onMessage));
  return { conn, connected: connected(conn, port) };
}

export function fetchDoc(doc: ShareDoc<unknown>): Promise<void> {
  return new Promise((resolve, reject) => doc.fetch(done(resolve, reject)));
}

export function subscribe(doc: ShareDoc<unknown>): Promise<void> {
  return new Promise((resolve, reject) => doc.subscribe(done(resolve, reject)));
}

/**
 * The docs variant's Docs, subscribed in one bulk message: those of the objects `keep` selects (all
 * by default), in id order; `before` sees each Doc, and its object, first.
 */
export async function subscribeAll(conn: ShareConnection, before: (doc: ShareDoc<ModelObject>, k: number) => void, keep: (k: number) => boolean = () => true): Promise<ShareDoc<ModelObject>[]> {
  const meta = conn.get<{ count: number }>(META.collection, META.id);
  await fetchDoc(meta);
  const ids = Array.from({ length: meta.data?.count ?? 0 }, (_, k) => k).filter(keep);
  const docs = ids.map((k) => conn.get<ModelObject>(OBJECTS, String(k)));
  docs.forEach((doc, j) => before(doc, ids[j] ?? -1));
  conn.startBulk();
  const subscribed = docs.map(subscribe);
  conn.endBulk();
  await Promise.all(subscribed);
  return docs;
}

/** The state a client holds through its Docs, and its writes. */
export interface Held {
  /** Objects in the state. */
  readonly count: number;
  /** The Docs that hold it (one for `doc`). */
  readonly docs: readonly ShareDoc<unknown>[];
  /** Object k as this client holds it. */
  object(k: number): ModelObject | undefined;
  /** Submits the json0 op setting `value` of object k; `callback` gets the outcome. */
  set(k: number, value: number, callback: (error?: Error | null) => void): void;
}

/**
 * Subscribes `conn` to the whole state; `onValue` sees every json0 component that sets an object's
 * `value` (`local` true for the client's own ops as it submits them).
 */
export async function hold(variant: Variant, conn: ShareConnection, onValue: (k: number, value: unknown, local: boolean) => void = () => undefined): Promise<Held> {
  if (variant === 'doc') {
    const doc = conn.get<State>(STATE.collection, STATE.id);
    doc.on('op', (op, source) => {
      for (const c of op) if (c.p[0] === 'objects' && typeof c.p[1] === 'number' && c.p[2] === 'value') onValue(c.p[1], c.oi, source !== false);
    });
    await subscribe(doc);
    return {
      count: doc.data?.objects.length ?? 0,
      docs: [doc],
      object: (k) => doc.data?.objects[k],
      set: (k, value, callback) => doc.submitOp([{ p: ['objects', k, 'value'], od: doc.data?.objects[k]?.value, oi: value }], callback),
    };
  }
  const docs = await subscribeAll(conn, (doc, k) =>
    doc.on('op', (op, source) => {
      for (const c of op) if (c.p[0] === 'value') onValue(k, c.oi, source !== false);
    }),
  );
  return {
    count: docs.length,
    docs,
    object: (k) => docs[k]?.data,
    set: (k, value, callback) => {
      const doc = docs[k];
      doc?.submitOp([{ p: ['value'], od: doc.data?.value, oi: value }], callback);
    },
  };
}
