/**
 * The load-client process: `clients.ts <url> <system> <n>` opens n socket.io-client connections
 * (websocket only, one engine each) and replies `ready` once all are subscribed. treesync clients
 * speak the protocol by hand (auth { v, clientId }, `join` after `welcome`, then `b` batches), so
 * the figures are the server's and the wire's, not a mirror's.
 *
 * Between `mark` and `report` every client counts WebSocket payload bytes and the mutations it
 * receives and checks their continuity; a spread of SAMPLED clients (the first, the last and
 * evenly between, since a broadcast writes to sockets in connection order) records each
 * mutation's latency: receipt time minus the timestamp the server put in the value.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, Op, ServerToClientEvents } from '../shared/index.js';
import { fatal, onCommand, reply } from './lib/child.js';
import { FANOUT_TREE, OBJECTS, SYSTEMS, isTreesync, now, quantile, type ClientsReport, type System } from './lib/model.js';
import { onWireMessage } from './lib/wire.js';

const SAMPLED = 20;

type Pair = readonly [object: number, value: number];
interface FloorEvents {
  m: (payload: Pair | readonly Pair[]) => void;
}

const [url = '', systemArg = '', nArg = '0'] = process.argv.slice(2);
if (!(SYSTEMS as readonly string[]).includes(systemArg)) throw new Error(`unknown system ${systemArg}`);
const system = systemArg as System;
const n = Number(nArg);
const sampled = new Set(Array.from({ length: Math.min(n, SAMPLED) }, (_, j) => Math.round((j * (n - 1)) / Math.max(1, Math.min(n, SAMPLED) - 1))));

let measuring = false;
let bytes = 0;
let frames = 0;
let gaps = 0;
const received = new Float64Array(n);
let latencies: number[] = [];
const sockets: Socket[] = [];

function receive(i: number, value: unknown, at: number): void {
  if (!measuring) return;
  received[i] = (received[i] ?? 0) + 1;
  if (sampled.has(i) && typeof value === 'number') latencies.push(at - value);
}

/** One client; resolves once it is subscribed. */
function connect(i: number): Promise<void> {
  const treesync = isTreesync(system);
  const socket: Socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: treesync ? { v: 1, clientId: `load-${i}` } : {},
  });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.on('connect_error', reject);
    socket.on('connect', () => {
      onWireMessage(socket, (size) => {
        if (!measuring) return;
        bytes += size;
        frames++;
      });
      if (!treesync) resolve();
    });
    if (treesync) {
      const ts = socket as Socket<ServerToClientEvents, ClientToServerEvents>;
      let next = 0;
      ts.on('welcome', () => ts.emit('join', { tree: FANOUT_TREE }));
      ts.on('joined', (msg) => {
        next = msg.seq + 1;
        resolve();
      });
      ts.on('error', (e) => reject(new Error(`${e.code}: ${e.message}`)));
      ts.on('b', (_ref: number, firstSeq: number, ops: readonly Op[]) => {
        const at = now();
        if (firstSeq !== next) gaps++;
        next = firstSeq + ops.length;
        for (const op of ops) receive(i, op[3], at);
      });
    } else {
      let last = -1;
      const one = (pair: Pair, at: number): void => {
        if (last >= 0 && pair[0] !== (last + 1) % OBJECTS && measuring) gaps++;
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

main().catch(fatal);
