/**
 * The catch-up client process: `durability-catchup.ts <url>`, raw socket.io-client speaking the
 * protocol (auth { v, clientId }, `join` after `welcome`), one client id throughout, a fresh
 * connection for every join. Each join is measured from its emit until the client is caught up: a
 * `joined` with its snapshot, or a `joined` without one plus the batches up to its seq; the bytes
 * are the WebSocket payload received in that span (bench/lib/wire.ts).
 *
 * `start`: joins without `since` (a full snapshot), remembers seq and epoch, disconnects; replies
 * `left`. The orchestrator then has the server update the tree. `mark`: reconnects and joins with
 * `since` + `epoch` (the catch-up), disconnects, reconnects and joins without `since` (the full
 * rejoin of the same tree), disconnects; replies `round` with a CatchupRound.
 */
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, unflattenSnapshot, type ClientToServerEvents, type JoinedMessage, type ServerToClientEvents } from '../shared/index.js';
import { onCommand, reply } from './lib/child.js';
import { CATCHUP_TREE, type CatchupRound, type JoinSample } from './lib/durability-model.js';
import { onWireMessage } from './lib/wire.js';

type TsSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const [url = ''] = process.argv.slice(2);
const CLIENT_ID = 'catchup-client';

/** A welcomed connection whose received payload bytes are counted into `bytes.n`. */
async function open(bytes: { n: number }): Promise<TsSocket> {
  const socket: TsSocket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { v: PROTOCOL_VERSION, clientId: CLIENT_ID } });
  await new Promise<void>((resolve, reject) => {
    socket.once('welcome', () => resolve());
    socket.once('connect', () => onWireMessage(socket, (size) => (bytes.n += size)));
    socket.once('connect_error', reject);
    socket.once('error', (e) => reject(new Error(`${e.code}: ${e.message}`)));
  });
  return socket;
}

/** One join on a fresh connection, measured until caught up; the connection is closed after. */
async function join(since?: { seq: number; epoch: string }): Promise<JoinSample & { epoch: string }> {
  const bytes = { n: 0 };
  const socket = await open(bytes);
  try {
    bytes.n = 0;
    const t0 = performance.now();
    const result = await new Promise<{ joined: JoinedMessage; scribes: number }>((resolve, reject) => {
      let joined: JoinedMessage | undefined;
      let reached = since?.seq ?? 0;
      let scribes = 0;
      socket.on('b', (_ref, firstSeq, ops) => {
        if (firstSeq !== reached + 1) reject(new Error(`catch-up batch starts at ${firstSeq}, expected ${reached + 1}`));
        reached = firstSeq + ops.length - 1;
        scribes += ops.length;
        if (joined !== undefined && reached >= joined.seq) resolve({ joined, scribes });
      });
      socket.once('joined', (msg) => {
        joined = msg;
        if (msg.snapshot !== undefined || reached >= msg.seq) resolve({ joined: msg, scribes });
      });
      socket.once('error', (e) => reject(new Error(`${e.code}: ${e.message}`)));
      socket.emit('join', since === undefined ? { tree: CATCHUP_TREE } : { tree: CATCHUP_TREE, since: since.seq, epoch: since.epoch });
    });
    const ms = performance.now() - t0;
    const { joined, scribes } = result;
    const snapshot = joined.snapshot;
    return { bytes: bytes.n, ms, via: snapshot === undefined ? 'scribes' : 'snapshot', items: snapshot === undefined ? scribes : unflattenSnapshot(snapshot).length, seq: joined.seq, epoch: joined.epoch };
  } finally {
    socket.disconnect();
  }
}

function sample({ bytes, ms, via, items, seq }: JoinSample): JoinSample {
  return { bytes, ms, via, items, seq };
}

let last: { seq: number; epoch: string; initial: JoinSample } | undefined;
onCommand(async (cmd) => {
  if (cmd === 'start') {
    const initial = await join();
    last = { seq: initial.seq, epoch: initial.epoch, initial: sample(initial) };
    reply({ type: 'left', seq: initial.seq });
  } else if (cmd === 'mark') {
    if (last === undefined) throw new Error('mark before start');
    const catchup = await join({ seq: last.seq, epoch: last.epoch });
    const full = await join();
    const round: CatchupRound = { initial: last.initial, catchup: sample(catchup), full: sample(full) };
    reply({ type: 'round', round });
  }
});
reply({ type: 'ready' });
