/**
 * The raw socket.io load clients of `npm run bench:peers` (the contract is bench/peers/model.ts;
 * the server's protocol is described in socketio-server.ts). Every client is a socket.io-client
 * connection (websocket only, one engine each) that keeps the state it got in the `state` event
 * and applies `m` triples to it.
 *
 * - `w1 <variant> <port> <N>`: N clients. Continuity is checked on the object index (mutation k
 *   touches object k % M); latency is sampled on 20 clients spread over the connection order.
 * - `w2 <variant> <port> <writers> <perSecond> <seconds>`: each writer writes with
 *   `emit('w', object, value, ack)`; the ack's `{ ok }` is the outcome. Its state changes only by
 *   the server's `m` events (the server is the authority), compared in the end with a fresh
 *   connection's `state`.
 * - `w3 <variant> <port> <parallel> <rounds>`: per round, `parallel` fresh connections at once,
 *   each emitting `get` on connect, timed from connect until each holds the `objects` event,
 *   parsed. A first, untimed round with one connection warms the path up.
 * - `w4 <variant> <port> <N> <offlineSeconds>`: N clients; each drops by closing its engine.io
 *   transport (reconnection off), and reconnects with `socket.connect()` after offlineSeconds: a
 *   new connection, to which the server sends the whole state. The floor cannot tell what it
 *   missed: `missed` is rate × time away.
 * - `w5 <variant> <port> <N> <groups>`: W1 where client i says its group, i % groups, in its
 *   handshake `auth`; the objects of another group in its state, or a triple naming one, are
 *   violations; continuity is checked along its group's objects.
 */
import { io, type Socket } from 'socket.io-client';
import { onCommand, reply, runWorkload } from '../lib/child.js';
import { Comeback, runReconnect, type Returning } from '../lib/reconnect.js';
import { Sampling, inBatches, samplingCommands, spread, timedRounds } from '../lib/sampling.js';
import { onWireMessage } from '../lib/wire.js';
import { runWrites, writeArgs, type Writer } from '../lib/writes.js';
import { PEERS, W4, median, now, type JoinReport, type JoinResult, type ModelObject, type W5ClientsExtra } from './model.js';

type Triple = readonly [object: number, field: number, value: number];
type Held = ModelObject & { id: number };
interface FloorEvents {
  state: (objects: Held[]) => void;
  m: (payload: Triple | readonly Triple[]) => void;
  objects: (objects: Held[]) => void;
}
interface FloorRequests {
  get: () => void;
  w: (object: number, value: number, ack: (answer: { ok: boolean; error?: string }) => void) => void;
}
type FloorSocket = Socket<FloorEvents, FloorRequests>;

/** A connection whose payload bytes go to `onBytes` from each connect on. */
function open(url: string, onBytes: (size: number) => void, auth: Record<string, unknown> = {}): FloorSocket {
  const socket: FloorSocket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  socket.on('connect', () => onWireMessage(socket, onBytes));
  return socket;
}

/** What a client holds: the objects of its last `state`, with the `m` triples applied. */
interface Holder {
  objects: Held[];
}

/**
 * Keeps the state the server sends on the socket and applies its triples, calling `hooks.state`
 * on each `state` and `hooks.triple` after each triple; resolves once the first state arrived.
 */
function hold(socket: FloorSocket, hooks: { state?: (objects: Held[]) => void; triple?: (t: Triple, at: number) => void } = {}): Promise<Holder> {
  const holder: Holder = { objects: [] };
  const byId = new Map<number, Held>();
  const one = (t: Triple, at: number): void => {
    const o = byId.get(t[0]);
    if (o !== undefined) o.value = t[2];
    hooks.triple?.(t, at);
  };
  socket.on('m', (payload) => {
    const at = now();
    if (Array.isArray(payload[0])) for (const t of payload as readonly Triple[]) one(t, at);
    else one(payload as Triple, at);
  });
  return new Promise((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.on('state', (state) => {
      holder.objects = state;
      byId.clear();
      for (const o of state) byId.set(o.id, o);
      hooks.state?.(state);
      resolve(holder);
    });
  });
}

/**
 * W1 and W5: n clients, client i in group i % groups (W1: one group), measured between `mark`
 * and `report`; W5 adds its violations and the median objects held.
 */
async function fanout(url: string, n: number, groups?: number): Promise<void> {
  const sampled = spread(n);
  const sampling = new Sampling(n);
  const held: number[] = [];
  let violations = 0;

  function connect(i: number): Promise<void> {
    const group = groups === undefined ? 0 : i % groups;
    const socket = open(url, sampling.count, groups === undefined ? {} : { group });
    const foreign = (id: number): boolean => groups !== undefined && id % groups !== group;
    /** The next object each object's change is followed by (its group's objects in order, cyclic). */
    const next = new Map<number, number>();
    let last = -1;
    const state = (objects: Held[]): void => {
      held[i] = objects.length;
      violations += objects.filter((o) => foreign(o.id)).length;
      objects.forEach((o, k) => next.set(o.id, objects[(k + 1) % objects.length]?.id ?? -1));
    };
    const triple = (t: Triple, at: number): void => {
      if (foreign(t[0])) violations++;
      if (!sampling.measuring) return;
      if (last >= 0 && t[0] !== next.get(last)) sampling.gaps++;
      last = t[0];
      sampling.receive(i);
      if (sampled.has(i)) sampling.sample(at - t[2]);
    };
    return hold(socket, { state, triple }).then(() => undefined);
  }

  await inBatches(n, connect);
  const extra = (): W5ClientsExtra => ({ violations, heldMedian: median(held) });
  onCommand(samplingCommands(sampling, groups === undefined ? {} : { extra }));
  reply({ type: 'ready' });
}

async function w2(url: string, args: readonly string[]): Promise<void> {
  const { writers: n, perSecond, seconds } = writeArgs(args);
  const holders: { socket: FloorSocket; holder: Holder }[] = [];
  await inBatches(n, async (k) => {
    const socket = open(url, () => undefined);
    holders[k] = { socket, holder: await hold(socket) };
  });
  const m = holders[0]?.holder.objects.length ?? 0;
  const writers = holders.map(
    ({ socket, holder }): Writer => ({
      write: (j, value) => new Promise((resolve) => socket.emit('w', j, value, (answer) => resolve(answer.ok ? 'accepted' : 'refused'))),
      value: (j) => holder.objects[j]?.value,
    }),
  );
  const fresh = async (): Promise<(j: number) => number | undefined> => {
    const socket = open(url, () => undefined);
    const { objects } = await hold(socket);
    socket.disconnect();
    return (j) => objects[j]?.value;
  };
  onCommand(async (cmd) => {
    if (cmd === 'start') reply({ ...(await runWrites(writers, { m, perSecond, seconds, outcome: 'socket.io ack callback', fresh })) });
  });
  reply({ type: 'ready' });
}

async function w4(url: string, n: number, offlineSeconds: number): Promise<void> {
  const clients: Returning[] = [];
  await inBatches(n, async (i) => {
    const comeback = new Comeback();
    const socket = open(url, comeback.count);
    await hold(socket, {
      state: () => {
        if (comeback.returning) comeback.path = 'full state (a new connection)';
      },
      // On a new connection the state comes first: a triple after it is applied on top of it.
      triple: (t) => comeback.applied(t[2]),
    });
    clients[i] = { comeback, drop: () => socket.io.engine.close(), reconnect: () => void socket.connect() };
  });
  onCommand(async (cmd) => {
    if (cmd === 'start') reply({ ...(await runReconnect(clients, offlineSeconds, W4.rate)) });
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
  const result: JoinResult = { name: 'socket.io-client, one JSON event', ...(await timedRounds((p) => round(url, p), parallel, rounds)) };
  reply({ type: 'report', results: [result] } satisfies JoinReport);
}

const [workload = '', variant = '', port = '', a = '0', b = '3', ...more] = process.argv.slice(2);
const url = `http://127.0.0.1:${port}`;
runWorkload('socketio-clients.ts', PEERS.socketio, workload, variant, {
  w1: () => fanout(url, Number(a)),
  w2: () => w2(url, [a, b, ...more]),
  w3: () => {
    onCommand(() => undefined);
    return w3(url, Number(a), Number(b));
  },
  w4: () => w4(url, Number(a), Number(b)),
  w5: () => fanout(url, Number(a), Number(b)),
});
