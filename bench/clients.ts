/**
 * The load-client process: `clients.ts <url> <system> <n>` opens n socket.io-client connections
 * (websocket only, one engine each) and replies `ready` once all are subscribed. treesync clients
 * speak the protocol by hand (bench/lib/protocol.ts: auth { v, clientId, batches: 'binary' }, `join`
 * after `welcome`, then binary `b` batches), so the figures are the server's and the wire's, not a
 * mirror's.
 *
 * Between `mark` and `report` every client counts WebSocket payload bytes and the mutations it
 * receives and checks their continuity; a spread of SAMPLED clients (the first, the last and
 * evenly between, since a broadcast writes to sockets in connection order) records each
 * mutation's latency: receipt time minus the timestamp the server put in the value.
 */
import { io, type Socket } from 'socket.io-client';
import { fatal, onCommand, reply } from './lib/child.js';
import { FANOUT_TREE, OBJECTS, SYSTEMS, isTreesync, now, type System } from './lib/model.js';
import { onBatch, protocolAuth, type ProtocolSocket } from './lib/protocol.js';
import { Sampling, inBatches, samplingCommands, spread } from './lib/sampling.js';
import { onWireMessage } from './lib/wire.js';

type Pair = readonly [object: number, value: number];
interface FloorEvents {
  m: (payload: Pair | readonly Pair[]) => void;
}

const [url = '', systemArg = '', nArg = '0'] = process.argv.slice(2);
if (!(SYSTEMS as readonly string[]).includes(systemArg)) throw new Error(`unknown system ${systemArg}`);
const system = systemArg as System;
const n = Number(nArg);
const sampled = spread(n);
const sampling = new Sampling(n);
const sockets: Socket[] = [];

function receive(i: number, value: unknown, at: number): void {
  if (!sampling.measuring) return;
  sampling.receive(i);
  if (sampled.has(i) && typeof value === 'number') sampling.sample(at - value);
}

/** One client; resolves once it is subscribed. */
function connect(i: number): Promise<void> {
  const treesync = isTreesync(system);
  const socket: Socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: treesync ? protocolAuth(`load-${i}`) : {},
  });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.on('connect_error', reject);
    socket.on('connect', () => {
      onWireMessage(socket, sampling.count);
      if (!treesync) resolve();
    });
    if (treesync) {
      const ts = socket as ProtocolSocket;
      let next = 0;
      ts.on('welcome', () => ts.emit('join', { tree: FANOUT_TREE }));
      ts.on('joined', (msg) => {
        next = msg.seq + 1;
        resolve();
      });
      ts.on('error', (e) => reject(new Error(`${e.code}: ${e.message}`)));
      onBatch(ts, ({ firstSeq, lastSeq, ops }) => {
        const at = now();
        if (firstSeq !== next) sampling.gaps++;
        next = lastSeq + 1;
        for (const op of ops) receive(i, op[3], at);
      });
    } else {
      let last = -1;
      const one = (pair: Pair, at: number): void => {
        if (last >= 0 && pair[0] !== (last + 1) % OBJECTS && sampling.measuring) sampling.gaps++;
        last = pair[0];
        receive(i, pair[1], at);
      };
      (socket as Socket<FloorEvents>).on('m', (payload) => {
        const at = now();
        if (Array.isArray(payload[0])) for (const pair of payload as readonly Pair[]) one(pair, at);
        else one(payload as Pair, at);
      });
    }
  });
}

async function main(): Promise<void> {
  await inBatches(n, connect);
  onCommand(samplingCommands(sampling));
  reply({ type: 'ready' });
}

main().catch(fatal);
