/**
 * The treesync load clients of `npm run bench:peers` (the contract is bench/peers/model.ts).
 *
 * - `w1 <variant> <port> <N>`: the first few clients (MIRRORS below) are real SyncClients with a
 *   mirror of tree `peers`; the rest speak the protocol by hand (auth, `join` after `welcome`,
 *   then `b` batches, as bench/clients.ts), so that this process measures the server and the wire
 *   rather than itself: a mirror applies each batch to an immutable state, copying its object
 *   table (1,000 entries here) per batch. Latency is sampled on every mirror and on 20 raw
 *   clients spread over the connection order.
 * - `w3 <variant> <port> <parallel> <rounds>`: per round, `parallel` fresh connections at once,
 *   timed from connect until each holds the whole tree. Two results: `SyncClient.join → mirror`
 *   (the headline: what an application gets), and the raw protocol (snapshot parsed, no mirror).
 *   A first, untimed round with one connection warms each path up.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { SyncClient, type ClientTransport, type ConnectError } from '../../client/index.js';
import type { ClientToServerEvents, JoinedMessage, Op, ServerToClientEvents } from '../../shared/index.js';
import { fatal, onCommand, reply } from '../lib/child.js';
import { onWireMessage } from '../lib/wire.js';
import { PEERS, now, quantile, type ClientsReport, type JoinReport, type JoinResult, type Unsupported } from './model.js';

const TREE = 'peers';
/** Raw clients whose latency is sampled. */
const SAMPLED = 20;
/**
 * SyncClient mirrors among the W1 clients, by variant (PEERS_MIRRORS overrides both). A mirror
 * spends about half a millisecond per batch on a 1,000-object tree (immer copies and freezes its
 * object table), so unbatched, a batch per mutation, one mirror would take half of the load
 * process's core at 1,000/s: there only protocol-level clients measure.
 */
const MIRRORS = { batched: 5, unbatched: 0 } as const;
/** Most objects held by the mirrors of one W3 round (all its parallel clients together); beyond, only the raw path is measured. */
const MIRROR_OBJECTS_MAX = 6_000_000;

type TreesyncSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A ClientTransport over socket.io-client like client/socket-io.ts, without reconnection, that
 * hands each connected socket to `onSocket` (to count its WebSocket payload bytes).
 */
function countingTransport(url: string, onSocket: (socket: Socket) => void): ClientTransport {
  let socket: Socket | undefined;
  const messageFns: ((event: string, args: unknown[]) => void)[] = [];
  const connectFns: (() => void)[] = [];
  const disconnectFns: ((reason: string) => void)[] = [];
  const errorFns: ((error: ConnectError) => void)[] = [];
  return {
    open(auth) {
      if (socket !== undefined) return;
      const s = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: (cb) => cb(auth()) });
      s.on('connect', () => {
        onSocket(s);
        connectFns.forEach((fn) => fn());
      });
      s.on('disconnect', (reason) => disconnectFns.forEach((fn) => fn(reason)));
      s.on('connect_error', (error) => errorFns.forEach((fn) => fn({ message: error.message })));
      s.onAny((event: string, ...args: unknown[]) => messageFns.forEach((fn) => fn(event, args)));
      socket = s;
    },
    send(event, payload) {
      if (socket?.connected === true) socket.emit(event, payload);
    },
    close() {
      socket?.disconnect();
      socket?.offAny();
      socket = undefined;
    },
    get connected() {
      return socket?.connected ?? false;
    },
    onMessage: (fn) => void messageFns.push(fn),
    onConnect: (fn) => void connectFns.push(fn),
    onDisconnect: (fn) => void disconnectFns.push(fn),
    onConnectError: (fn) => void errorFns.push(fn),
  };
}

/** A raw protocol socket; resolves once connected (bytes from then on go to `onBytes`). */
function rawSocket(url: string, clientId: string, onBytes: (size: number) => void): TreesyncSocket {
  const socket: TreesyncSocket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { v: 1, clientId } });
  socket.once('connect', () => onWireMessage(socket, onBytes));
  return socket;
}

/** Resolves with the joined message once the raw socket joined TREE (it emits `join` after `welcome`). */
function rawJoin(socket: TreesyncSocket): Promise<JoinedMessage> {
  return new Promise((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('error', (e) => reject(new Error(`${e.code}: ${e.message}`)));
    socket.once('welcome', () => socket.emit('join', { tree: TREE }));
    socket.once('joined', resolve);
  });
}

async function w1(url: string, variant: string, n: number): Promise<void> {
  const wanted = process.env['PEERS_MIRRORS'];
  const mirrors = Math.min(n, Math.max(0, wanted === undefined ? MIRRORS[variant === 'unbatched' ? 'unbatched' : 'batched'] : Number(wanted)));
  const raw = n - mirrors;
  const k = Math.min(raw, SAMPLED);
  const sampled = new Set(Array.from({ length: k }, (_, j) => mirrors + Math.round((j * (raw - 1)) / Math.max(1, k - 1))));
  let measuring = false;
  let bytes = 0;
  let frames = 0;
  let gaps = 0;
  const received = new Float64Array(n);
  let latencies: number[] = [];
  let mirrorLatencies: number[] = [];
  let rawLatencies: number[] = [];
  const count = (size: number): void => {
    if (!measuring) return;
    bytes += size;
    frames++;
  };

  async function mirror(i: number): Promise<void> {
    const sync = new SyncClient({ transport: countingTransport(url, (s) => onWireMessage(s, count)), clientId: `peers-mirror-${i}`, storage: null });
    const m = await sync.join(TREE);
    m.on('batch', (state, previous) => {
      if (measuring && previous !== undefined) received[i] = (received[i] ?? 0) + state.seq - previous.seq;
    });
    m.on('change', (e) => {
      if (!measuring || e.attr !== 'value') return;
      const at = now();
      for (const applied of e.ops) {
        const value = applied.op[3];
        if (typeof value === 'number') {
          latencies.push(at - value);
          mirrorLatencies.push(at - value);
        }
      }
    });
  }

  async function rawClient(i: number): Promise<void> {
    const socket = rawSocket(url, `peers-raw-${i}`, count);
    let next = 0;
    socket.on('b', (_ref: number, firstSeq: number, ops: readonly Op[]) => {
      const at = now();
      if (firstSeq !== next && measuring) gaps++;
      next = firstSeq + ops.length;
      if (!measuring) return;
      received[i] = (received[i] ?? 0) + ops.length;
      if (!sampled.has(i)) return;
      for (const op of ops) {
        if (typeof op[3] !== 'number') continue;
        latencies.push(at - op[3]);
        rawLatencies.push(at - op[3]);
      }
    });
    const joined = await rawJoin(socket);
    next = joined.seq + 1;
  }

  // A few at a time, mirrors first: a burst of 200 handshakes would only measure the accept queue.
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => (i + j < mirrors ? mirror(i + j) : rawClient(i + j))));
  let cpu = process.cpuUsage();
  let at = performance.now();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  onCommand((cmd) => {
    if (cmd === 'mark') {
      measuring = true;
      bytes = frames = gaps = 0;
      received.fill(0);
      latencies = [];
      mirrorLatencies = [];
      rawLatencies = [];
      cpu = process.cpuUsage();
      at = performance.now();
      lag.reset();
      lag.enable();
    } else if (cmd === 'report') {
      measuring = false;
      const used = process.cpuUsage(cpu);
      lag.disable();
      const sorted = Float64Array.from(latencies).sort();
      const mirrorSorted = Float64Array.from(mirrorLatencies).sort();
      const rawSorted = Float64Array.from(rawLatencies).sort();
      reply({
        type: 'report',
        bytes,
        frames,
        mutations: received.reduce((a, b) => a + b, 0),
        minMutations: Math.min(...received),
        maxMutations: Math.max(...received),
        gaps,
        samples: sorted.length,
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        maxMs: quantile(sorted, 1),
        cpuShare: (used.user + used.system) / 1000 / (performance.now() - at),
        eventLoopP99Ms: lag.percentile(99) / 1e6,
        mirrors,
        mirrorP50Ms: quantile(mirrorSorted, 0.5),
        mirrorP99Ms: quantile(mirrorSorted, 0.99),
        rawP50Ms: quantile(rawSorted, 0.5),
        rawP99Ms: quantile(rawSorted, 0.99),
      } satisfies ClientsReport & Record<string, unknown>);
    }
  });
  reply({ type: 'ready' });
}

/** One W3 round: `parallel` connections at once; ms until the last holds the tree, objects and payload bytes per client. */
type Round = (parallel: number, round: number) => Promise<{ ms: number; objects: number; bytes: number }>;

function rawRound(url: string): Round {
  return async (parallel, round) => {
    let bytes = 0;
    const t0 = performance.now();
    const sockets = Array.from({ length: parallel }, (_, i) => rawSocket(url, `join-raw-${round}-${i}`, (size) => (bytes += size)));
    const joined = await Promise.all(sockets.map(rawJoin));
    const ms = performance.now() - t0;
    sockets.forEach((s) => s.disconnect());
    return { ms, objects: joined[0]?.snapshot?.length ?? 0, bytes: bytes / parallel };
  };
}

function mirrorRound(url: string): Round {
  return async (parallel, round) => {
    let bytes = 0;
    const t0 = performance.now();
    const clients = Array.from(
      { length: parallel },
      (_, i) => new SyncClient({ transport: countingTransport(url, (s) => onWireMessage(s, (size) => (bytes += size))), clientId: `join-mirror-${round}-${i}`, storage: null }),
    );
    const mirrors = await Promise.all(clients.map((c) => c.join(TREE)));
    const ms = performance.now() - t0;
    const objects = Object.keys(mirrors[0]?.state.objects ?? {}).length;
    clients.forEach((c) => c.close());
    return { ms, objects, bytes: bytes / parallel };
  };
}

async function measure(name: string, round: Round, parallel: number, rounds: number): Promise<JoinResult> {
  await round(1, 0);
  const ms: number[] = [];
  let last = { objects: 0, bytes: 0 };
  for (let r = 1; r <= rounds; r++) {
    const result = await round(parallel, r);
    ms.push(result.ms);
    last = result;
  }
  return { name, ms, objects: last.objects, bytes: Math.round(last.bytes) };
}

async function w3(url: string, parallel: number, rounds: number): Promise<void> {
  const wire = await measure('treesync wire (raw join, snapshot parsed)', rawRound(url), parallel, rounds);
  const name = 'treesync SyncClient.join → mirror';
  const mirror =
    wire.objects * parallel <= MIRROR_OBJECTS_MAX
      ? await measure(name, mirrorRound(url), parallel, rounds)
      : { name, ms: [], objects: wire.objects, note: `not measured: ${parallel} mirrors of ${wire.objects.toLocaleString('en-US')} objects are more than one load process holds (limit ${MIRROR_OBJECTS_MAX.toLocaleString('en-US')} objects)` };
  reply({ type: 'report', results: [mirror, wire] } satisfies JoinReport);
}

const [workload = '', variant = '', port = '', a = '0', b = '3'] = process.argv.slice(2);
const url = `http://127.0.0.1:${port}`;
if (!(PEERS.treesync as readonly string[]).includes(variant)) fatal(new Error(`unknown variant ${variant}; one of ${PEERS.treesync.join(', ')}`));
else if (workload === 'w1') w1(url, variant, Number(a)).catch(fatal);
else if (workload === 'w3') {
  onCommand(() => undefined);
  w3(url, Number(a), Number(b)).catch(fatal);
} else {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `workload ${workload} is not implemented` } satisfies Unsupported);
}
