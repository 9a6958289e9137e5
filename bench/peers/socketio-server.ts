/**
 * The raw socket.io server of `npm run bench:peers` (the contract is bench/peers/model.ts): the
 * shared model as a hand-written server would keep it, a plain array of objects, and a compact
 * hand-written protocol. It is the floor the products are measured against.
 *
 * - `w1 <variant> <M> <rate>`: each connection gets the whole state as one `state` event; then
 *   mutation k sets `value` of object k % M to now() and sends `[object, field, value]`, field 1
 *   being `value` in the model's order (name, value, x, tags, log). Variants: `each` emits one `m`
 *   event per mutation to everyone; `coalesced50` emits one `m` event with the triples of the last
 *   50 ms.
 * - `w2 <variant> <M>`: W1's state and `m` events, without a generator: a client writes with
 *   `w(object, value, ack)`; the server checks it (an object it has, a finite number, at least 0),
 *   applies it, sends it to everyone as W1 does, and calls the ack with `{ ok: true }`, or with
 *   `{ ok: false, error }` for a refused write, which changes nothing.
 * - `w3 each <M>`: M objects; a `get` is answered with one `objects` event holding them all, each
 *   with its id. `w3 coalesced50` answers `unsupported`: batching does not touch the join path.
 * - `w4 <variant> <M> <rate>`: W1's server. The floor keeps no history: a client that comes back
 *   is a new connection and gets the whole state again.
 * - `w5 <variant> <M> <rate> <groups>`: W1 with a socket.io room per group: a connection says its
 *   group in its handshake (`auth: { group }`), joins room `g<group>` and gets the objects of its
 *   group as its `state`; a change of object j goes to room `g<j % groups>` only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { fatal, onCommand, reply } from '../lib/child.js';
import { Load, heapAfterGc, loadCommands } from '../lib/load.js';
import { writeCommands } from '../lib/writes.js';
import { PEERS, initialObject, now, type Command, type ModelObject, type Unsupported, type W1ServerExtra } from './model.js';

/** The index of `value` in the model's field order. */
const VALUE_FIELD = 1;

type Held = ModelObject & { id: number };
type Triple = [object: number, field: number, value: number];

/** A socket.io server with the state of m objects, listening. */
async function serve(m: number): Promise<{ io: Server; port: number; objects: Held[]; heapPerObjectBytes: number }> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, maxHttpBufferSize: 1e6 });
  const before = heapAfterGc();
  const objects = Array.from({ length: m }, (_, i) => ({ id: i, ...initialObject(i) }));
  const heapPerObjectBytes = (heapAfterGc() - before) / m;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, port: (http.address() as AddressInfo).port, objects, heapPerObjectBytes };
}

/**
 * How the variant sends a changed value to a room ('' for everyone): `each` emits one `m` event
 * per change, `coalesced50` one `m` event per room with the triples of the last 50 ms (the timer
 * keeps running after `stop`, so that the last partial batch still goes out).
 */
function sender(io: Server, variant: string): (room: string, object: number, value: number) => void {
  const to = (room: string): Pick<Server, 'emit'> => (room === '' ? io : io.to(room));
  if (variant === 'each') return (room, object, value) => void to(room).emit('m', [object, VALUE_FIELD, value]);
  const batches = new Map<string, Triple[]>();
  setInterval(() => {
    for (const [room, batch] of batches) if (batch.length > 0) to(room).emit('m', batch);
    batches.clear();
  }, 50);
  return (room, object, value) => {
    const batch = batches.get(room);
    if (batch === undefined) batches.set(room, [[object, VALUE_FIELD, value]]);
    else batch.push([object, VALUE_FIELD, value]);
  };
}

/**
 * Serves m objects: `connected(socket, objects)` on each connection, and changes sent the
 * variant's way to `room(j)` for object j; with a rate, W1's generator (`start`, `mark`, `stop`).
 * Replies ready. Returns the change: `(object, value)`.
 */
async function host(variant: string, m: number, options: { rate?: number; room?: (object: number) => string; connected: (socket: Socket, objects: Held[]) => void; commands?: (cmd: Command['cmd']) => void }): Promise<(object: number, value: number) => void> {
  const { io, port, objects, heapPerObjectBytes } = await serve(m);
  io.on('connection', (socket) => options.connected(socket, objects));
  const send = sender(io, variant);
  const room = options.room ?? (() => '');
  const setValue = (object: number, value: number): void => {
    const o = objects[object];
    if (o === undefined) return;
    o.value = value;
    send(room(object), object, value);
  };
  const { rate } = options;
  onCommand(rate === undefined ? (options.commands ?? (() => undefined)) : loadCommands(new Load(rate, (k) => setValue(k % m, now())), { heapPerObjectBytes } satisfies W1ServerExtra));
  reply({ type: 'ready', port });
  return setValue;
}

/** Sends the whole state to a new connection. */
const everything = (socket: Socket, objects: Held[]): void => void socket.emit('state', objects);

async function w2(variant: string, m: number): Promise<void> {
  let handled = 0;
  const apply = await host(variant, m, {
    connected: (socket, objects) => {
      everything(socket, objects);
      socket.on('w', (object: unknown, value: unknown, ack: unknown) => {
        handled++;
        if (typeof ack !== 'function') return;
        const answer = ack as (a: { ok: boolean; error?: string }) => void;
        if (typeof object !== 'number' || !Number.isInteger(object) || object < 0 || object >= m) return answer({ ok: false, error: 'no such object' });
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return answer({ ok: false, error: 'value: at least 0' });
        apply(object, value);
        answer({ ok: true });
      });
    },
    commands: writeCommands(() => handled),
  });
}

async function w3(variant: string, m: number): Promise<void> {
  onCommand(() => undefined);
  if (variant !== 'each') {
    reply({ type: 'unsupported', why: 'batching does not touch the join path: see socketio/each' } satisfies Unsupported);
    return;
  }
  const { io, port, objects, heapPerObjectBytes } = await serve(m);
  io.on('connection', (socket) => socket.on('get', () => socket.emit('objects', objects)));
  reply({ type: 'ready', port, heapPerObjectBytes });
}

async function w5(variant: string, m: number, rate: number, groups: number): Promise<void> {
  const groupOf = (socket: Socket): number => Number((socket.handshake.auth as { group?: unknown }).group);
  await host(variant, m, {
    rate,
    room: (object) => `g${object % groups}`,
    connected: (socket, objects) => {
      const group = groupOf(socket);
      void socket.join(`g${group}`);
      socket.emit('state', objects.filter((o) => o.id % groups === group));
    },
  });
}

const [workload = '', variant = '', mArg = '0', rateArg = '1000', groupsArg = '10'] = process.argv.slice(2);
const [m, rate] = [Number(mArg), Number(rateArg)];
if (!(PEERS.socketio as readonly string[]).includes(variant)) fatal(new Error(`unknown variant ${variant}; one of ${PEERS.socketio.join(', ')}`));
else if (workload === 'w1' || workload === 'w4') host(variant, m, { rate, connected: everything }).catch(fatal);
else if (workload === 'w2') w2(variant, m).catch(fatal);
else if (workload === 'w3') w3(variant, m).catch(fatal);
else if (workload === 'w5') w5(variant, m, rate, Number(groupsArg)).catch(fatal);
else {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `workload ${workload} is not implemented` } satisfies Unsupported);
}
