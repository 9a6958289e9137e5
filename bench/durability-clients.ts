/**
 * The durability load-client process: `durability-clients.ts <url> <K> <W>` opens K socket.io-client
 * connections (websocket only, one engine each) speaking the protocol by hand: auth { v, clientId },
 * `join` after `welcome`, then proposals. Client i owns the i-th Card of the joined snapshot and
 * keeps W proposals of `[add, card, votes, 1]` in flight: each ack sends the next. Each proposal
 * carries `seen` (every opId below its lowest unanswered one), so the server forgets answers.
 * Replies `ready` once all have joined; `start` begins proposing; `mark` starts the measurement
 * window; `report` stops proposing and replies with a LoadClientsReport of the window (acks, ack
 * latency from emit to ack, scribes received in batches).
 */
import { io, type Socket } from 'socket.io-client';
import { OP, PROTOCOL_VERSION, unflattenSnapshot, type AckMessage, type ClientToServerEvents, type Op, type RejectMessage, type ServerToClientEvents, type WelcomeMessage } from '../shared/index.js';
import { fatal, onCommand, reply } from './lib/child.js';
import { Card, VOTES_TREE, type LoadClientsReport } from './lib/durability-model.js';
import { quantile } from './lib/model.js';

type TsSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const [url = '', kArg = '20', wArg = '8'] = process.argv.slice(2);
const K = Number(kArg);
const W = Number(wArg);

let running = false;
let measuring = false;
let acks = 0;
let rejects = 0;
let scribes = 0;
let latencies: number[] = [];
let firstReject = '';

interface Proposer {
  readonly socket: TsSocket;
  readonly card: number;
  readonly attr: number;
  /** Emit time of each unanswered opId. */
  readonly sent: Map<number, number>;
  nextOpId: number;
  seq: number;
}

function propose(p: Proposer): void {
  const opId = p.nextOpId++;
  // Every opId below the lowest unanswered one has its answer here: the server may forget them.
  let lowest = opId;
  for (const id of p.sent.keys()) {
    lowest = id;
    break;
  }
  p.sent.set(opId, performance.now());
  const ops: Op[] = [[OP.add, p.card, p.attr, 1]];
  p.socket.emit('propose', { tree: VOTES_TREE, opId, baseSeq: p.seq, seen: lowest - 1, ops });
}

function answered(p: Proposer, opId: number): void {
  const at = p.sent.get(opId);
  p.sent.delete(opId);
  if (measuring && at !== undefined) latencies.push(performance.now() - at);
  if (running) propose(p);
}

/** Client i, once joined. */
function connect(i: number): Promise<Proposer> {
  const socket: TsSocket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { v: PROTOCOL_VERSION, clientId: `durable-${i}` } });
  return new Promise((resolve, reject) => {
    let welcome: WelcomeMessage | undefined;
    socket.on('connect_error', reject);
    socket.on('error', (e) => reject(new Error(`${e.code}: ${e.message}`)));
    socket.on('welcome', (msg) => {
      welcome = msg;
      socket.emit('join', { tree: VOTES_TREE });
    });
    socket.on('joined', (msg) => {
      const typeIndex = welcome?.types.findIndex(([name]) => name === Card.name) ?? -1;
      const attr = welcome?.types[typeIndex]?.[1].findIndex(([name]) => name === 'votes') ?? -1;
      const card = unflattenSnapshot(msg.snapshot ?? []).filter(([, type]) => type === typeIndex)[i]?.[0];
      if (card === undefined || attr < 0) return reject(new Error(`client ${i}: no card of its own in the snapshot`));
      const p: Proposer = { socket, card, attr, sent: new Map(), nextOpId: (welcome?.lastOpId ?? 0) + 1, seq: msg.seq };
      socket.on('ack', (ack: AckMessage) => {
        if (measuring) acks++;
        answered(p, ack.opId);
      });
      socket.on('reject', (r: RejectMessage) => {
        if (measuring) rejects++;
        firstReject ||= `${r.code}: ${r.message}`;
        answered(p, r.opId);
      });
      socket.on('b', (_ref, firstSeq, ops) => {
        p.seq = firstSeq + ops.length - 1;
        if (measuring) scribes += ops.length;
      });
      resolve(p);
    });
  });
}

async function main(): Promise<void> {
  const proposers: Proposer[] = [];
  // A few at a time: a burst of handshakes is not what is measured.
  for (let i = 0; i < K; i += 10) proposers.push(...(await Promise.all(Array.from({ length: Math.min(10, K - i) }, (_, j) => connect(i + j)))));
  let mark = { at: performance.now(), cpu: process.cpuUsage() };
  onCommand((cmd) => {
    if (cmd === 'start') {
      running = true;
      for (const p of proposers) for (let w = 0; w < W; w++) propose(p);
    } else if (cmd === 'mark') {
      acks = 0;
      rejects = 0;
      scribes = 0;
      latencies = [];
      measuring = true;
      mark = { at: performance.now(), cpu: process.cpuUsage() };
    } else if (cmd === 'report') {
      const seconds = (performance.now() - mark.at) / 1000;
      const cpu = process.cpuUsage(mark.cpu);
      measuring = false;
      running = false;
      const sorted = Float64Array.from(latencies).sort();
      if (rejects > 0) process.stderr.write(`durability-clients: ${rejects} rejects, the first: ${firstReject}\n`);
      const report: LoadClientsReport = {
        type: 'report',
        acks,
        rejects,
        seconds,
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        maxMs: sorted[sorted.length - 1] ?? NaN,
        scribes,
        cpuShare: (cpu.user + cpu.system) / 1e6 / seconds,
      };
      reply({ ...report });
    }
  });
  reply({ type: 'ready' });
}

main().catch(fatal);
