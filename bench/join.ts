/**
 * The join client process: `join.ts <treesync url> <socket.io url> <rounds>`. Each round uses a
 * fresh connection, waits until it is ready, then times one join; it replies with a JoinReport:
 * - socket.io floor: emit 'get' until the 'objects' event arrived, parsed by socket.io-client;
 * - treesync wire: raw socket.io-client, emit 'join' until 'joined' arrived with its snapshot
 *   parsed (the server and the wire, no mirror);
 * - treesync SyncClient: `await client.join(tree)` until the mirror's first state exists.
 * A first, untimed round warms each path up.
 */
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, unflattenSnapshot, type ClientToServerEvents, type JoinedMessage, type ServerToClientEvents } from '../shared/index.js';
import { fatal, onCommand, reply } from './lib/child.js';
import type * as ClientApi from '../client/index.js';
import { JOIN_TREE, TYPES, type JoinReport, type JoinResult } from './lib/model.js';
import { onWireMessage } from './lib/wire.js';

const [url = '', sioUrl = '', roundsArg = '5'] = process.argv.slice(2);
const rounds = Number(roundsArg);

/** A socket, once `ready` arrived ('connect', or the treesync 'welcome'), whose WebSocket payload bytes are counted into `bytes.n`. */
async function open(at: string, auth: Record<string, unknown>, bytes: { n: number }, ready: 'connect' | 'welcome'): Promise<Socket> {
  const socket = io(at, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  await new Promise<void>((resolve, reject) => {
    // Listeners first: 'welcome' follows 'connect' within a tick or two.
    socket.once(ready, () => resolve());
    socket.once('connect', () => onWireMessage(socket, (size) => (bytes.n += size)));
    socket.once('connect_error', reject);
  });
  return socket;
}

async function floorRound(bytes: { n: number }): Promise<{ ms: number; objects: number }> {
  const socket = await open(sioUrl, {}, bytes, 'connect');
  bytes.n = 0;
  const t0 = performance.now();
  const objects = await new Promise<unknown[]>((resolve) => {
    socket.once('objects', resolve);
    socket.emit('get');
  });
  const ms = performance.now() - t0;
  socket.disconnect();
  return { ms, objects: objects.length };
}

async function wireRound(i: number, bytes: { n: number }): Promise<{ ms: number; objects: number }> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = await open(url, { v: PROTOCOL_VERSION, clientId: `join-wire-${i}` }, bytes, 'welcome');
  bytes.n = 0;
  const t0 = performance.now();
  const joined = await new Promise<JoinedMessage>((resolve) => {
    socket.once('joined', resolve);
    socket.emit('join', { tree: JOIN_TREE });
  });
  const ms = performance.now() - t0;
  socket.disconnect();
  return { ms, objects: unflattenSnapshot(joined.snapshot ?? []).length };
}

async function clientRound(i: number): Promise<{ ms: number; objects: number } | string> {
  // Imported late, so that the other figures survive a client that does not load.
  let client: typeof ClientApi;
  try {
    client = await import('../client/index.js');
  } catch (error) {
    return `client/index.ts not usable: ${error instanceof Error ? error.message : String(error)}`;
  }
  const sync = new client.SyncClient({ url, types: TYPES, clientId: `join-client-${i}` });
  await new Promise((resolve) => sync.once('welcome', resolve));
  // Not from inside the welcome listener: the client sends joins for its mirrors right after it.
  await new Promise((resolve) => setImmediate(resolve));
  const t0 = performance.now();
  const mirror = await sync.join(JOIN_TREE);
  const ms = performance.now() - t0;
  const objects = Object.keys(mirror.state.objects).length;
  sync.close();
  return { ms, objects };
}

async function measure(name: string, round: (i: number) => Promise<{ ms: number; objects: number } | string>, bytes?: { n: number }): Promise<JoinResult> {
  const ms: number[] = [];
  let objects = 0;
  for (let i = 0; i <= rounds; i++) {
    const r = await round(i);
    if (typeof r === 'string') return { name, ms: [], objects: 0, note: r };
    if (i > 0) ms.push(r.ms);
    objects = r.objects;
  }
  return bytes === undefined ? { name, ms, objects } : { name, ms, bytes: bytes.n, objects };
}

async function main(): Promise<void> {
  const floorBytes = { n: 0 };
  const wireBytes = { n: 0 };
  const results = [
    await measure('socket.io, one JSON event (floor)', () => floorRound(floorBytes), floorBytes),
    await measure('treesync wire (raw join, snapshot parsed)', (i) => wireRound(i, wireBytes), wireBytes),
    await measure('treesync SyncClient.join → mirror', clientRound),
  ];
  onCommand(() => undefined);
  reply({ type: 'report', results } satisfies JoinReport);
}

main().catch(fatal);
