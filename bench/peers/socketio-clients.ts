/**
 * The raw socket.io load clients of `npm run bench:peers` (the contract is bench/peers/model.ts;
 * the server's protocol is described in socketio-server.ts).
 *
 * - `w1 <variant> <port> <N>`: N socket.io-client connections (websocket only, one engine each),
 *   each keeping the state it got in the `state` event and applying `m` triples to it. Continuity
 *   is checked on the object index (mutation k touches object k % M); latency is sampled on 20
 *   clients spread over the connection order.
 * - `w3 <variant> <port> <parallel> <rounds>`: per round, `parallel` fresh connections at once,
 *   each emitting `get` on connect, timed from connect until each holds the `objects` event,
 *   parsed. A first, untimed round with one connection warms the path up.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { fatal, onCommand, reply } from '../lib/child.js';
import { onWireMessage } from '../lib/wire.js';
import { PEERS, now, quantile, type ClientsReport, type JoinReport, type JoinResult, type ModelObject, type Unsupported } from './model.js';

const SAMPLED = 20;

type Triple = readonly [object: number, field: number, value: number];
type Held = ModelObject & { id: number };
interface FloorEvents {
  state: (objects: Held[]) => void;
  m: (payload: Triple | readonly Triple[]) => void;
  objects: (objects: Held[]) => void;
}
interface FloorRequests {
  get: () => void;
}
type FloorSocket = Socket<FloorEvents, FloorRequests>;

function open(url: string, onBytes: (size: number) => void): FloorSocket {
  const socket: FloorSocket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  socket.once('connect', () => onWireMessage(socket, onBytes));
  return socket;
}

async function w1(url: string, n: number): Promise<void> {
  const k = Math.min(n, SAMPLED);
  const sampled = new Set(Array.from({ length: k }, (_, j) => Math.round((j * (n - 1)) / Math.max(1, k - 1))));
  let measuring = false;
  let bytes = 0;
  let frames = 0;
  let gaps = 0;
  const received = new Float64Array(n);
  let latencies: number[] = [];
  const count = (size: number): void => {
    if (!measuring) return;
    bytes += size;
    frames++;
  };

  function connect(i: number): Promise<void> {
    const socket = open(url, count);
    let objects: Held[] = [];
    let last = -1;
    const one = (t: Triple, at: number): void => {
      const o = objects[t[0]];
      if (o !== undefined) o.value = t[2];
      if (!measuring) return;
      if (last >= 0 && t[0] !== (last + 1) % objects.length) gaps++;
      last = t[0];
      received[i] = (received[i] ?? 0) + 1;
      if (sampled.has(i)) latencies.push(at - t[2]);
    };
    socket.on('m', (payload) => {
      const at = now();
      if (Array.isArray(payload[0])) for (const t of payload as readonly Triple[]) one(t, at);
      else one(payload as Triple, at);
    });
    return new Promise((resolve, reject) => {
      socket.once('connect_error', reject);
      socket.once('state', (state) => {
        objects = state;
        resolve();
      });
    });
  }

  // A few at a time: a burst of 200 handshakes would only measure the accept queue.
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => connect(i + j)));
  let cpu = process.cpuUsage();
  let at = performance.now();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  onCommand((cmd) => {
    if (cmd === 'mark') {
      measuring = true;
      bytes = frames = gaps = 0;
      received.fill(0);
      latencies = [];
      cpu = process.cpuUsage();
      at = performance.now();
      lag.reset();
      lag.enable();
    } else if (cmd === 'report') {
      measuring = false;
      const used = process.cpuUsage(cpu);
      lag.disable();
      const sorted = Float64Array.from(latencies).sort();
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
      } satisfies ClientsReport);
    }
  });
  reply({ type: 'ready' });
}

/** One round: ms until the last of `parallel` connections holds the objects, objects and payload bytes per client. */
async function round(url: string, parallel: number): Promise<{ ms: number; objects: number; bytes: number }> {
  let bytes = 0;
  const t0 = performance.now();
  const sockets = Array.from({ length: parallel }, () => open(url, (size) => (bytes += size)));
  const got = await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<Held[]>((resolve, reject) => {
          socket.once('connect_error', reject);
          socket.once('connect', () => socket.emit('get'));
          socket.once('objects', resolve);
        }),
    ),
  );
  const ms = performance.now() - t0;
  sockets.forEach((s) => s.disconnect());
  return { ms, objects: got[0]?.length ?? 0, bytes: bytes / parallel };
}

async function w3(url: string, parallel: number, rounds: number): Promise<void> {
  await round(url, 1);
  const ms: number[] = [];
  let last = { objects: 0, bytes: 0 };
  for (let r = 1; r <= rounds; r++) {
    const result = await round(url, parallel);
    ms.push(result.ms);
    last = result;
  }
  const result: JoinResult = { name: 'socket.io-client, one JSON event', ms, objects: last.objects, bytes: Math.round(last.bytes) };
  reply({ type: 'report', results: [result] } satisfies JoinReport);
}

const [workload = '', variant = '', port = '', a = '0', b = '3'] = process.argv.slice(2);
const url = `http://127.0.0.1:${port}`;
if (!(PEERS.socketio as readonly string[]).includes(variant)) fatal(new Error(`unknown variant ${variant}; one of ${PEERS.socketio.join(', ')}`));
else if (workload === 'w1') w1(url, Number(a)).catch(fatal);
else if (workload === 'w3') {
  onCommand(() => undefined);
  w3(url, Number(a), Number(b)).catch(fatal);
} else {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `workload ${workload} is not implemented` } satisfies Unsupported);
}
