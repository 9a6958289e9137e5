/**
 * The ShareDB 7 peer load clients (bench/peers/model.ts): `sharedb-clients.ts w1 <variant> <port> <N>`,
 * `w2 <variant> <port> <writers> <perSecond> <seconds>` (sharedb-w2.ts), `w3 <variant> <port>
 * <parallel> <rounds>`, `w4 <variant> <port> <N> <offlineSeconds>` (sharedb-w4.ts) or
 * `w5 <variant> <port> <N> <groups>` (sharedb-w5.ts).
 *
 * Each client is a `new Connection(socket)` of sharedb/lib/client over its own `ws` WebSocket, and
 * holds the state as ShareDB's client does (subscribed Docs, json0 ops applied to their data): see
 * sharedb-client.ts.
 *
 * W1: sharedb-fanout.ts, every client holding the whole state.
 *
 * W3: per round, `parallel` clients connect at once; the round's time runs from the first
 * `new WebSocket` to the last client holding all M objects (subscribe callbacks done). A first,
 * untimed round with one client warms the paths up. Before each timed round the server must have
 * dropped the previous round's clients (settle), which for `docs` is slow enough to cut the rounds
 * (ROW_BUDGET_MS) or, at 100,000 documents, to not run the join at all (docsLimit); the note says so.
 */
import { fatal, onCommand, reply } from '../lib/child.js';
import { PEERS, type JoinReport, type JoinResult } from './model.js';
import { fetchDoc, hold, open, subscribe, subscribeAll } from './sharedb-client.js';
import { fanout } from './sharedb-fanout.js';
import { META, STATE, type Commands, type ShareConnection, type State, type Variant } from './sharedb-model.js';
import { w2Clients } from './sharedb-w2.js';
import { w4Clients } from './sharedb-w4.js';
import { w5Clients } from './sharedb-w5.js';

/**
 * The most document subscriptions a W3 `docs` round may open at once. ShareDB keeps a pubsub
 * stream per subscribed document per agent (~0.9 KB of server heap measured at M = 1,000) and the
 * client a Doc per document; 50 clients × 100,000 documents would need ~4.6 GB on the server alone.
 */
const MAX_SUBSCRIPTIONS = 2_000_000;
/** How long a W3 row may take before it stops adding rounds (bench/peers.ts allows a 10,000-object row 30 s). */
const ROW_BUDGET_MS = 20_000;
/** The most documents one W3 `docs` client may subscribe to (see docsLimit). */
const MAX_DOCS = 20_000;

// ---- W1 fan-out ----

/** Every client holds the whole state (sharedb-fanout.ts measures). */
function w1(variant: Variant, port: number, n: number): Promise<void> {
  return fanout(port, n, async (conn, _i, onValue) => {
    const { count } = await hold(variant, conn, onValue);
    return Array.from({ length: count }, (_, k) => k);
  }, commands);
}

// ---- W3 join ----

interface Joined {
  readonly conn: ShareConnection;
  /** From the round's start to this client holding every object. */
  readonly ms: number;
  /** From the round's start to ShareDB's handshake done. */
  readonly connectMs: number;
  readonly bytes: number;
  readonly objects: number;
}

async function join(variant: Variant, port: number, t0: number): Promise<Joined> {
  let bytes = 0;
  const { conn, connected } = open(port, (size) => (bytes += size));
  await connected;
  const connectMs = performance.now() - t0;
  let objects: number;
  if (variant === 'doc') {
    const doc = conn.get<State>(STATE.collection, STATE.id);
    await subscribe(doc);
    objects = doc.data?.objects.length ?? 0;
  } else {
    const docs = await subscribeAll(conn, () => undefined);
    objects = docs.reduce((count, doc) => count + (doc.data === undefined ? 0 : 1), 0);
  }
  return { conn, ms: performance.now() - t0, connectMs, bytes, objects };
}

/**
 * Waits until the server answers a handshake promptly again, and returns how long that took. After
 * a round, the server is busy dropping the round's agents: for the `docs` variant that is quadratic
 * in the documents each held (see docsLimit), and the next round must not time it as its join.
 */
async function settle(port: number): Promise<number> {
  const t0 = performance.now();
  // Time for the close frames to arrive first.
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (;;) {
    const t = performance.now();
    const { conn, connected } = open(port, () => undefined);
    await connected;
    conn.close();
    if (performance.now() - t < 50 || performance.now() - t0 > 120_000) return performance.now() - t0;
  }
}

interface Round {
  readonly ms: number;
  readonly connectMs: number;
  readonly bytes: number;
  readonly objects: number;
}

/** One round: `parallel` clients join at once; they are closed after it, but not waited for. */
async function round(variant: Variant, port: number, parallel: number): Promise<Round> {
  const t0 = performance.now();
  const joined = await Promise.all(Array.from({ length: parallel }, () => join(variant, port, t0)));
  const ms = performance.now() - t0;
  for (const { conn } of joined) conn.close();
  return {
    ms,
    connectMs: Math.max(...joined.map((j) => j.connectMs)),
    bytes: Math.round(joined.reduce((sum, j) => sum + j.bytes, 0) / parallel),
    objects: Math.min(...joined.map((j) => j.objects)),
  };
}

/** The docs variant's M, read from meta/objects through a connection of its own. */
async function countDocs(port: number): Promise<number> {
  const { conn, connected } = open(port, () => undefined);
  await connected;
  const meta = conn.get<{ count: number }>(META.collection, META.id);
  await fetchDoc(meta);
  conn.close();
  return meta.data?.count ?? 0;
}

/** Why a `docs` join of `count` documents by `parallel` clients is not run, if it is not. */
function docsLimit(count: number, parallel: number): string | undefined {
  const n = (x: number): string => x.toLocaleString('en-US');
  if (count > MAX_DOCS)
    return `not run: ShareDB drops a closed client's subscriptions in time quadratic in their number (Agent._subscribeMapToStream's 'end' handler deletes one id from the agent's map, then util.hasKeys for-ins over all that remain): closing a client holding 10,000 documents blocked the server ~1.1 s here, 20,000 ~7 s, so one holding ${n(count)} would block it for minutes`;
  if (count * parallel > MAX_SUBSCRIPTIONS)
    return `not run: ${n(parallel)} clients × ${n(count)} documents = ${n(count * parallel)} subscriptions, each a pubsub stream on the server (~0.9 KB) and a Doc in the client process: over the ${n(MAX_SUBSCRIPTIONS)} a 4 GB heap holds`;
  return undefined;
}

async function w3(variant: Variant, port: number, parallel: number, rounds: number): Promise<void> {
  const name = `sharedb ${variant} (${parallel} parallel)`;
  const started = performance.now();
  // An earlier client process's clients may still be being dropped.
  await settle(port);
  if (variant === 'docs') {
    const count = await countDocs(port);
    const why = docsLimit(count, parallel);
    if (why !== undefined) {
      reply({ type: 'report', results: [{ name, ms: [], objects: count, note: why }] } satisfies JoinReport);
      return;
    }
  }
  // The warm-up, which also measures how long the server takes to drop one client.
  await round(variant, port, 1);
  const dropOneMs = await settle(port);
  const results: Round[] = [];
  const closeMs: number[] = [];
  let cut = '';
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      // The server must have dropped the last round's clients before the next one is timed. When
      // that would take the row past its budget, the rounds so far are the result.
      const dropMs = dropOneMs * parallel;
      const spent = performance.now() - started;
      if (spent + dropMs + (results.at(-1)?.ms ?? 0) > ROW_BUDGET_MS) {
        cut = `; ${r} of ${rounds} rounds: dropping a round's ${parallel} clients would take the server ~${(dropMs / 1000).toFixed(0)} s (${dropOneMs.toFixed(0)} ms for one)`;
        break;
      }
      closeMs.push(await settle(port));
    }
    results.push(await round(variant, port, parallel));
  }
  const list = (xs: readonly number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
  const how = variant === 'doc' ? 'subscribe to one json0 document' : 'fetch meta/objects, then subscribe to a document per object in one bulk message';
  const dropped = `the server took ${dropOneMs.toFixed(0)} ms to drop the warm-up's client${closeMs.length > 0 ? ` and ${list(closeMs)} ms to drop a round's clients` : ''}`;
  const result: JoinResult = {
    name,
    ms: results.map((r) => r.ms),
    bytes: results.at(-1)?.bytes ?? 0,
    objects: results.at(-1)?.objects ?? 0,
    note: `${how}; from new WebSocket, of which connect + ShareDB handshake (slowest) ${list(results.map((r) => r.connectMs))} ms; bytes per client; ${dropped}${cut}`,
  };
  reply({ type: 'report', results: [result] } satisfies JoinReport);
}

// Commands are taken from the start, so that the process exits with its parent even while it connects.
const commands: Commands = { handler: () => undefined };
onCommand((cmd) => commands.handler(cmd));

const [workload = '', variantArg = '', portArg = '', ...rest] = process.argv.slice(2);
const port = Number(portArg);
const [a = 1, b = 3, c = 10] = rest.map(Number);
if (!['w1', 'w2', 'w3', 'w4', 'w5'].includes(workload)) reply({ type: 'unsupported', why: `sharedb-clients implements w1 to w5, not ${workload}` });
else if (!(PEERS.sharedb as readonly string[]).includes(variantArg)) fatal(new Error(`unknown variant ${variantArg}; one of ${PEERS.sharedb.join(', ')}`));
else {
  const variant = variantArg as Variant;
  if (workload === 'w1') w1(variant, port, a).catch(fatal);
  else if (workload === 'w2') w2Clients(variant, port, a, b, c, commands).catch(fatal);
  else if (workload === 'w3') w3(variant, port, a, b).catch(fatal);
  else if (workload === 'w4') w4Clients(variant, port, a, b, commands).catch(fatal);
  else w5Clients(variant, port, a, b, commands).catch(fatal);
}
