/**
 * A bench server process: `server.ts <system> <rate>` (fan-out) or `server.ts join`.
 *
 * Fan-out: listens on 127.0.0.1, replies `ready` with its port, and on `start` makes `rate`
 * mutations per second, each setting object k % OBJECTS to the current timestamp:
 * - noop: nothing is sent (the cost of the generator alone);
 * - sio-each: raw socket.io, `io.emit('m', [object, value])` per mutation;
 * - sio-50ms: raw socket.io, one `io.emit('m', [[object, value], ...])` every 50 ms;
 * - treesync / treesync-immediate: `item.attrs.value.set(value)` on a SyncServer tree, adaptive
 *   (default) or immediate flush.
 * `mark` starts the measurement window; `stop` stops the mutations and replies with a ServerReport.
 *
 * Join: a SyncServer with tree JOIN_TREE of JOIN_OBJECTS objects, and a raw socket.io server that
 * answers 'get' with the same objects as one JSON event; replies `ready` with both ports.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { SyncServer } from '../server/index.js';
import { fatal, onCommand, reply } from './lib/child.js';
import { Load, loadCommands } from './lib/load.js';
import { BenchRoot, BigItem, FANOUT_TREE, Item, JOIN_OBJECTS, JOIN_TREE, OBJECTS, SYSTEMS, TYPES, now, type System } from './lib/model.js';

type Mutate = (object: number, value: number) => void;

async function rawSocketIo(): Promise<{ io: Server; port: number }> {
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, port: (http.address() as AddressInfo).port };
}

async function treesync(mode: 'adaptive' | 'immediate'): Promise<{ port: number; mutate: Mutate }> {
  const server = new SyncServer({ types: TYPES, flush: { mode } });
  const tree = server.tree(FANOUT_TREE, BenchRoot);
  const items = tree.transact(() => Array.from({ length: OBJECTS }, (_, i) => tree.root.create(Item, { label: `item ${i}` })));
  const port = await server.listen(0);
  return { port, mutate: (object, value) => items[object]?.attrs.value.set(value) };
}

async function socketIo(batchMs: number | undefined): Promise<{ port: number; mutate: Mutate }> {
  const { io, port } = await rawSocketIo();
  if (batchMs === undefined) return { port, mutate: (object, value) => io.emit('m', [object, value]) };
  let batch: [number, number][] = [];
  setInterval(() => {
    if (batch.length === 0) return;
    io.emit('m', batch);
    batch = [];
  }, batchMs);
  return { port, mutate: (object, value) => batch.push([object, value]) };
}

function setUp(system: System): Promise<{ port: number; mutate: Mutate }> {
  switch (system) {
    case 'noop':
      return rawSocketIo().then(({ port }) => ({ port, mutate: () => undefined }));
    case 'sio-each':
      return socketIo(undefined);
    case 'sio-50ms':
      return socketIo(50);
    case 'treesync':
      return treesync('adaptive');
    case 'treesync-immediate':
      return treesync('immediate');
  }
}

async function fanout(system: System, rate: number): Promise<void> {
  const { port, mutate } = await setUp(system);
  onCommand(loadCommands(new Load(rate, (k) => mutate(k % OBJECTS, now()))));
  reply({ type: 'ready', port });
}

async function join(): Promise<void> {
  const server = new SyncServer({ types: TYPES });
  const tree = server.tree(JOIN_TREE, BenchRoot);
  const objects = Array.from({ length: JOIN_OBJECTS }, (_, i) => ({ name: `object ${i}`, value: i, x: i / 4 }));
  tree.transact(() => objects.forEach((values) => tree.root.create(BigItem, values)));
  const port = await server.listen(0);
  // The floor sends what a hand-written server would: the same objects with their ids and parent.
  const plain = objects.map((values, i) => ({ id: i + 1, parent: 0, ...values }));
  const { io, port: sioPort } = await rawSocketIo();
  io.on('connection', (socket) => socket.on('get', () => socket.emit('objects', plain)));
  onCommand(() => undefined);
  reply({ type: 'ready', port, sioPort });
}

const [mode = '', rate = '1000'] = process.argv.slice(2);
if (mode === 'join') join().catch(fatal);
else if ((SYSTEMS as readonly string[]).includes(mode)) fanout(mode as System, Number(rate)).catch(fatal);
else fatal(new Error(`unknown system ${mode}; one of ${SYSTEMS.join(', ')}, join`));
