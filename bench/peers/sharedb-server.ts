/**
 * The ShareDB 7 peer server (bench/peers/model.ts): `sharedb-server.ts w1 <variant> <M> <rate>` or
 * `sharedb-server.ts w3 <variant> <M>`.
 *
 * A `new ShareDB()` backend with its defaults (MemoryDB, MemoryPubSub, json0), listening through a
 * `ws` WebSocketServer on 127.0.0.1 with one `@teamwork/websocket-json-stream` per socket, as
 * ShareDB's own examples do. The state is built, and W1 mutations are submitted, through a
 * server-side `backend.connect()` connection, which is what an application server does:
 * - `doc`: one document `state/all` = `{ objects: ModelObject[] }`; mutation k is the json0 op
 *   `{ p: ['objects', k % M, 'value'], od, oi: now() }` on it;
 * - `docs`: a document `objects/<k>` per object plus `meta/objects` = `{ count: M }` (so clients
 *   know which ids to subscribe to); mutation k is `{ p: ['value'], od, oi: now() }` on
 *   `objects/<k % M>`.
 * A Doc keeps one op in flight and composes (json0 `compose`) the ops submitted meanwhile into one
 * pending op, ShareDB's default: under load, several mutations travel as one multi-component op.
 *
 * The W1 generator, its tick-gap histogram and the CPU window are bench/lib/load.ts's, as in bench/server.ts. The report
 * adds `heapPerObjectBytes` (heap used after building the state minus before it, both after a full
 * GC, over M: the MemoryDB snapshot, the create op in its op log and the server-side Doc's copy),
 * the ops ShareDB committed (fewer than the mutations when composed), the server heap per connected
 * client (its agent and subscriptions), and, since MemoryDB keeps every op forever, the heap growth
 * from `start` to `stop` (both after a full GC, the latter once the last ops are committed and
 * sent or 1 s passed: outside the CPU window) per mutation.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { fatal, onCommand, reply, sleep } from '../lib/child.js';
import { Load, heapAfterGc } from '../lib/load.js';
import { initialObject, now, PEERS, type Command, type ModelObject, type ServerReport, type W1ServerExtra } from './model.js';
import { META, OBJECTS, STATE, done, type ShareConnection, type ShareDoc, type State, type Variant } from './sharedb-model.js';

/** The ShareDB backend (sharedb/lib/backend.js). */
interface Backend {
  /** Open agents (connections), the server's own included. */
  readonly agentsCount: number;
  readonly db: { readonly ops: Record<string, Record<string, readonly unknown[]>> };
  connect(): ShareConnection;
  listen(stream: unknown): unknown;
}

const requireCjs = createRequire(import.meta.url);
const ShareDB = requireCjs('sharedb') as new (options?: object) => Backend;
const WebSocketJSONStream = requireCjs('@teamwork/websocket-json-stream') as new (ws: WebSocket) => unknown;

type Mutate = (object: number, value: number) => void;

function create<T>(doc: ShareDoc<T>, data: T): Promise<void> {
  return new Promise((resolve, reject) => doc.create(data, done(resolve, reject)));
}

async function listen(backend: Backend): Promise<number> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => backend.listen(new WebSocketJSONStream(ws)));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return (http.address() as AddressInfo).port;
}

/** Builds the state of M objects through `conn` and returns the mutation. */
async function build(variant: Variant, m: number, conn: ShareConnection): Promise<Mutate> {
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
}

/** Ops in the MemoryDB op log (creates included). */
function storedOps(backend: Backend): number {
  let n = 0;
  for (const byId of Object.values(backend.db.ops)) for (const log of Object.values(byId)) n += log.length;
  return n;
}

/** The state and the port, with the heap the state took. */
async function setUp(variant: Variant, m: number): Promise<{ backend: Backend; conn: ShareConnection; mutate: Mutate; port: number; heapBuilt: number; heapPerObjectBytes: number }> {
  const backend = new ShareDB();
  const port = await listen(backend);
  const conn = backend.connect();
  const before = heapAfterGc();
  const mutate = await build(variant, m, conn);
  const heapBuilt = heapAfterGc();
  return { backend, conn, mutate, port, heapBuilt, heapPerObjectBytes: Math.round((heapBuilt - before) / m) };
}

/** What this server adds to a W1 report (beyond W1ServerExtra). */
interface ShareDbExtra {
  /** ShareDB ops committed in the window: fewer than `mutations` when a Doc composed pending ops. */
  readonly committedOps: number;
  /** Ops in the MemoryDB op log at `stop` (it is never trimmed). */
  readonly storedOps: number;
  /** GC'd heap at `stop` (once the last ops are committed and sent) minus GC'd heap at `start`: the op log's growth over the run. */
  readonly heapGrowthBytes: number;
  readonly heapGrowthPerMutationBytes: number;
  /** Whether the server-side Doc(s) had nothing pending within 1 s of `stop`: if not, the growth includes the backlog. */
  readonly drained: boolean;
  /** Connected clients at `stop`, and the server heap each took (agent, subscriptions; GC'd heap at `start` minus after building). */
  readonly clients: number;
  readonly heapPerClientBytes: number;
}

async function w1(variant: Variant, m: number, rate: number, commands: { handler: (cmd: Command['cmd']) => void | Promise<void> }): Promise<void> {
  const { backend, conn, mutate, port, heapBuilt, heapPerObjectBytes } = await setUp(variant, m);
  const load = new Load(rate, (k) => mutate(k % m, now()));
  let ops = storedOps(backend);
  let heapStart = heapBuilt;
  let madeStart = 0;
  commands.handler = async (cmd) => {
    if (cmd === 'start') {
      // The clients are subscribed by now: what they hold on the server is out of the op log's growth.
      heapStart = heapAfterGc();
      madeStart = load.made;
      load.start();
    } else if (cmd === 'mark') {
      ops = storedOps(backend);
      load.mark();
    } else if (cmd === 'stop') {
      const report = load.stop();
      const committedOps = storedOps(backend) - ops;
      // The op log alone: once the last ops are committed and their sends have drained, but no more
      // than a second late (an overloaded server's backlog would take longer, and the clients'
      // window ends 300 ms after this reply).
      const drained = await Promise.race([new Promise<boolean>((resolve) => conn.whenNothingPending(() => resolve(true))), sleep(1_000).then(() => false)]);
      await sleep(200);
      const stored = storedOps(backend);
      const heapGrowthBytes = heapAfterGc() - heapStart;
      const grownOver = load.made - madeStart;
      reply({
        type: 'report',
        ...report,
        heapPerObjectBytes,
        committedOps,
        storedOps: stored,
        heapGrowthBytes,
        heapGrowthPerMutationBytes: grownOver > 0 ? Math.round(heapGrowthBytes / grownOver) : 0,
        drained,
        clients: backend.agentsCount - 1,
        heapPerClientBytes: backend.agentsCount > 1 ? Math.round((heapStart - heapBuilt) / (backend.agentsCount - 1)) : 0,
      } satisfies ServerReport & W1ServerExtra & ShareDbExtra);
    }
  };
  reply({ type: 'ready', port });
}

async function w3(variant: Variant, m: number): Promise<void> {
  const { port, heapPerObjectBytes } = await setUp(variant, m);
  reply({ type: 'ready', port, heapPerObjectBytes });
}

// Commands are taken from the start, so that the process exits with its parent even while it builds.
const commands = { handler: (_cmd: Command['cmd']): void | Promise<void> => undefined };
onCommand((cmd) => commands.handler(cmd));

const [workload = '', variantArg = '', mArg = '', rateArg = '1000'] = process.argv.slice(2);
const m = Number(mArg);
if (workload !== 'w1' && workload !== 'w3') reply({ type: 'unsupported', why: `sharedb-server implements w1 and w3, not ${workload}` });
else if (!(PEERS.sharedb as readonly string[]).includes(variantArg)) fatal(new Error(`unknown variant ${variantArg}; one of ${PEERS.sharedb.join(', ')}`));
else if (!(m > 0)) fatal(new Error(`bad object count ${mArg}`));
else if (workload === 'w1') w1(variantArg as Variant, m, Number(rateArg), commands).catch(fatal);
else w3(variantArg as Variant, m).catch(fatal);
