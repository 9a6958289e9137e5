/**
 * The ShareDB peer server's backend (used by sharedb-server.ts and the workloads it dispatches to):
 * a `new ShareDB()` backend with its defaults (MemoryDB, MemoryPubSub, json0), listening through a
 * `ws` WebSocketServer on 127.0.0.1 with one `@teamwork/websocket-json-stream` per socket, as
 * ShareDB's own examples do, and the state of M objects built through a server-side
 * `backend.connect()` connection, which is what an application server does.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { fatal } from '../lib/child.js';
import { heapAfterGc } from '../lib/load.js';
import { initialObject, type ModelObject } from './model.js';
import { META, OBJECTS, STATE, done, type ShareConnection, type ShareDoc, type State, type Variant } from './sharedb-model.js';

/** A ShareDB SubmitRequest as middleware sees it (sharedb/lib/submit-request.js). */
export interface SubmitContext {
  readonly collection: string;
  readonly id: string;
  /** The op as submitted: `op` holds the json0 components of an edit (absent for a create). */
  readonly op: { readonly op?: readonly { readonly p: readonly (string | number)[]; readonly oi?: unknown }[] };
}

/** The ShareDB backend (sharedb/lib/backend.js). */
export interface Backend {
  /** Open agents (connections), the server's own included. */
  readonly agentsCount: number;
  readonly db: { readonly ops: Record<string, Record<string, readonly unknown[]>> };
  connect(): ShareConnection;
  listen(stream: unknown): unknown;
  /** Middleware: `fn` calls `next()` to go on or `next(error)` to refuse (the error goes back to the client). */
  use(action: 'submit', fn: (context: SubmitContext, next: (error?: Error) => void) => void): void;
  /** `timing` events: ShareDB's own timings by name (e.g. `submit.retry` when a commit lost a race and the op is transformed again). */
  on(event: 'timing', fn: (name: string, ms: number) => void): void;
  /** A projection: collection `name` reads as `collection` with only the top-level `fields`. */
  addProjection(name: string, collection: string, fields: Record<string, true>): void;
}

const requireCjs = createRequire(import.meta.url);
const ShareDB = requireCjs('sharedb') as (new (options?: object) => Backend) & { readonly logger: ShareDbLogger };
const WebSocketJSONStream = requireCjs('@teamwork/websocket-json-stream') as new (ws: WebSocket) => { on(event: 'error', fn: (error: Error) => void): void };

/** ShareDB's logger (sharedb/lib/logger): `setMethods` replaces its `info`, `warn` or `error`. */
interface ShareDbLogger {
  setMethods(overrides: Partial<Record<'info' | 'warn' | 'error', (...args: unknown[]) => void>>): void;
}
export const shareDbLogger: ShareDbLogger = ShareDB.logger;

/** Sets `value` of object `object` (0 ... M-1) to `value`. */
export type Mutate = (object: number, value: number) => void;
/** Builds the state of M objects on `backend` through `conn` and returns the mutation. */
export type Build = (variant: Variant, m: number, conn: ShareConnection, backend: Backend) => Promise<Mutate>;

export function create<T>(doc: ShareDoc<T>, data: T): Promise<void> {
  return new Promise((resolve, reject) => doc.create(data, done(resolve, reject)));
}

async function listen(backend: Backend): Promise<number> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => {
    const stream = new WebSocketJSONStream(ws);
    // A client that drops (W4) can fail a write in flight (EPIPE): its stream closes and ShareDB's
    // agent with it; unhandled, the stream's 'error' event would end the process.
    stream.on('error', () => undefined);
    backend.listen(stream);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return (http.address() as AddressInfo).port;
}

/**
 * The state of W1-W4:
 * - `doc`: one document `state/all` = `{ objects: ModelObject[] }`; a mutation is the json0 op
 *   `{ p: ['objects', k, 'value'], od, oi }` on it;
 * - `docs`: a document `objects/<k>` per object plus `meta/objects` = `{ count: M }` (so clients
 *   know which ids to subscribe to); a mutation is `{ p: ['value'], od, oi }` on `objects/<k>`.
 */
export const build: Build = async (variant, m, conn) => {
  if (variant === 'doc') {
    const doc = conn.get<State>(STATE.collection, STATE.id);
    await create(doc, { objects: Array.from({ length: m }, (_, i) => initialObject(i)) });
    doc.on('error', fatal);
    // The local data is updated as an op is submitted, so `od` is always the current value.
    return (k, value) => doc.submitOp([{ p: ['objects', k, 'value'], od: doc.data?.objects[k]?.value, oi: value }]);
  }
  const docs = Array.from({ length: m }, (_, k) => conn.get<ModelObject>(OBJECTS, String(k)));
  for (let i = 0; i < m; i += 1_000) {
    await Promise.all(docs.slice(i, i + 1_000).map((doc, j) => create(doc, initialObject(i + j))));
    // ShareDB chains process.nextTick callbacks: a turn of the event loop lets `exit` in.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await create(conn.get<{ count: number }>(META.collection, META.id), { count: m });
  for (const doc of docs) doc.on('error', fatal);
  return (k, value) => {
    const doc = docs[k];
    doc?.submitOp([{ p: ['value'], od: doc.data?.value, oi: value }]);
  };
};

/** Ops in the MemoryDB op log (creates included). */
export function storedOps(backend: Backend): number {
  let n = 0;
  for (const byId of Object.values(backend.db.ops)) for (const log of Object.values(byId)) n += log.length;
  return n;
}

/** A backend serving `port`, its own connection, the state `make` built and the mutation, with the heap the state took. */
export interface SetUp {
  readonly backend: Backend;
  readonly conn: ShareConnection;
  readonly mutate: Mutate;
  readonly port: number;
  readonly heapBuilt: number;
  readonly heapPerObjectBytes: number;
}

export async function setUp(variant: Variant, m: number, make: Build = build): Promise<SetUp> {
  const backend = new ShareDB();
  const port = await listen(backend);
  const conn = backend.connect();
  const before = heapAfterGc();
  const mutate = await make(variant, m, conn, backend);
  const heapBuilt = heapAfterGc();
  return { backend, conn, mutate, port, heapBuilt, heapPerObjectBytes: Math.round((heapBuilt - before) / m) };
}
