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
 * - `w3 each <M>`: M objects; a `get` is answered with one `objects` event holding them all, each
 *   with its id. `w3 coalesced50` answers `unsupported`: batching does not touch the join path.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { fatal, onCommand, reply } from '../lib/child.js';
import { Load, heapAfterGc, loadCommands } from '../lib/load.js';
import { PEERS, initialObject, now, type ModelObject, type Unsupported, type W1ServerExtra } from './model.js';

/** The index of `value` in the model's field order. */
const VALUE_FIELD = 1;

/** A socket.io server with the state of m objects, listening. */
async function serve(m: number): Promise<{ io: Server; port: number; objects: (ModelObject & { id: number })[]; heapPerObjectBytes: number }> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, maxHttpBufferSize: 1e6 });
  const before = heapAfterGc();
  const objects = Array.from({ length: m }, (_, i) => ({ id: i, ...initialObject(i) }));
  const heapPerObjectBytes = (heapAfterGc() - before) / m;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, port: (http.address() as AddressInfo).port, objects, heapPerObjectBytes };
}

async function w1(variant: string, m: number, rate: number): Promise<void> {
  const { io, port, objects, heapPerObjectBytes } = await serve(m);
  io.on('connection', (socket) => socket.emit('state', objects));
  let send: (object: number, value: number) => void;
  let batch: [number, number, number][] = [];
  if (variant === 'each') send = (object, value) => io.emit('m', [object, VALUE_FIELD, value]);
  else {
    send = (object, value) => batch.push([object, VALUE_FIELD, value]);
    // Keeps running after `stop`, so that the last partial batch still goes out.
    setInterval(() => {
      if (batch.length === 0) return;
      io.emit('m', batch);
      batch = [];
    }, 50);
  }
  const setValue = (object: number, value: number): void => {
    const o = objects[object];
    if (o === undefined) return;
    o.value = value;
    send(object, value);
  };

  onCommand(loadCommands(new Load(rate, (k) => setValue(k % m, now())), { heapPerObjectBytes } satisfies W1ServerExtra));
  reply({ type: 'ready', port });
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

const [workload = '', variant = '', mArg = '0', rateArg = '1000'] = process.argv.slice(2);
if (!(PEERS.socketio as readonly string[]).includes(variant)) fatal(new Error(`unknown variant ${variant}; one of ${PEERS.socketio.join(', ')}`));
else if (workload === 'w1') w1(variant, Number(mArg), Number(rateArg)).catch(fatal);
else if (workload === 'w3') w3(variant, Number(mArg)).catch(fatal);
else {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `workload ${workload} is not implemented` } satisfies Unsupported);
}
