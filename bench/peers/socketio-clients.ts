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
import { io, type Socket } from 'socket.io-client';
import { fatal, onCommand, reply } from '../lib/child.js';
import { Sampling, inBatches, samplingCommands, spread, timedRounds } from '../lib/sampling.js';
import { onWireMessage } from '../lib/wire.js';
import { PEERS, now, type JoinReport, type JoinResult, type ModelObject, type Unsupported } from './model.js';

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
  const sampled = spread(n);
  const sampling = new Sampling(n);

  function connect(i: number): Promise<void> {
    const socket = open(url, sampling.count);
    let objects: Held[] = [];
    let last = -1;
    const one = (t: Triple, at: number): void => {
      const o = objects[t[0]];
      if (o !== undefined) o.value = t[2];
      if (!sampling.measuring) return;
      if (last >= 0 && t[0] !== (last + 1) % objects.length) sampling.gaps++;
      last = t[0];
      sampling.receive(i);
      if (sampled.has(i)) sampling.sample(at - t[2]);
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

  await inBatches(n, connect);
  onCommand(samplingCommands(sampling));
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
  const result: JoinResult = { name: 'socket.io-client, one JSON event', ...(await timedRounds((p) => round(url, p), parallel, rounds)) };
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
