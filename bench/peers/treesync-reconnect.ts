/**
 * W4 reconnect for treesync (bench/peers/model.ts; run by treesync-clients.ts):
 * `w4 <variant> <port> <N> <offlineSeconds>`. The first few clients (MIRRORS) are real
 * SyncClients, the rest speak the protocol by hand (bench/lib/protocol.ts), for the reason W1
 * gives (treesync-clients.ts): a mirror copies its object table per batch, and 50 of them would
 * measure this process rather than the server.
 *
 * Each client's connection is dropped by closing its engine.io transport under socket.io-client
 * (`socket.io.engine.close()`, what a dead network ends in), with socket.io's reconnection off, so
 * that nothing comes back before `offlineSeconds`; then `socket.connect()` opens a new transport
 * and the client resumes as treesync's does after any reconnect: after the `welcome` it joins with
 * `since` (its seq) and the tree's `epoch`, and the server answers `joined` without a snapshot
 * and the scribes it missed, from its log, as one batch. The SyncClient does this by itself (its
 * transport is bench/lib/visibility-transport.ts, which re-counts bytes on each connect); the
 * protocol-level clients do it by hand and check that the catch-up starts right after their seq.
 * Consistent (bench/lib/reconnect.ts): a value stamped after the reconnect has been applied, in
 * order, after the catch-up.
 */
import type { Socket } from 'socket.io-client';
import { SyncClient } from '../../client/index.js';
import type { JoinedMessage } from '../../shared/index.js';
import { onCommand, reply } from '../lib/child.js';
import { joinTree, onBatch, protocolSocket, type ProtocolSocket } from '../lib/protocol.js';
import { Comeback, runReconnect, type Returning } from '../lib/reconnect.js';
import { inBatches } from '../lib/sampling.js';
import { tappedTransport } from '../lib/visibility-transport.js';
import { onWireMessage } from '../lib/wire.js';
import { W4 } from './model.js';
import { TREE } from './treesync-model.js';

/** SyncClients among the W4 clients (the rest are protocol-level). */
const MIRRORS = 5;

/** How a `joined` after a reconnect brought the client back, and how many scribes it missed. */
function resumed(comeback: Comeback, joined: JoinedMessage, seqAtDrop: number): void {
  if (!comeback.returning) return;
  comeback.path = joined.snapshot === undefined ? 'missed scribes (log), since + epoch' : 'snapshot';
  comeback.missed = joined.seq - seqAtDrop;
}

/** Drops a connected socket.io-client socket as a failed network would, and brings it back later. */
function dropper(socket: () => Socket | undefined): Pick<Returning, 'drop' | 'reconnect'> {
  return {
    drop: () => socket()?.io.engine.close(),
    reconnect: () => void socket()?.connect(),
  };
}

async function mirrorClient(url: string, i: number): Promise<Returning> {
  const comeback = new Comeback();
  let socket: Socket | undefined;
  let seqAtDrop = 0;
  const transport = tappedTransport(
    url,
    (event, args) => {
      if (event === 'joined') resumed(comeback, args[0] as JoinedMessage, seqAtDrop);
    },
    (s) => {
      socket = s;
      onWireMessage(s, comeback.count);
    },
  );
  const mirror = await new SyncClient({ transport, clientId: `peers-w4-mirror-${i}`, storage: null }).join(TREE);
  mirror.on('change', (e) => {
    if (e.attr === 'value') for (const applied of e.ops) comeback.applied(applied.op[3]);
  });
  const { drop, reconnect } = dropper(() => socket);
  return {
    comeback,
    drop: () => {
      seqAtDrop = mirror.seq;
      drop();
    },
    reconnect,
  };
}

async function rawClient(url: string, i: number): Promise<Returning> {
  const comeback = new Comeback();
  let seq = 0;
  let epoch = '';
  let seqAtDrop = 0;
  let away = false;
  let broken = false;
  const socket: ProtocolSocket = protocolSocket(url, `peers-w4-raw-${i}`, { onConnect: (s) => onWireMessage(s, comeback.count) });
  onBatch(socket, ({ firstSeq, lastSeq, ops }) => {
    if (broken || lastSeq <= seq) return;
    if (firstSeq > seq + 1) {
      // A gap: this client would rejoin; here it stays inconsistent (and so is not counted as caught up).
      broken = true;
      process.stderr.write(`W4 client ${i}: batch ${firstSeq}..${lastSeq} after seq ${seq}\n`);
      return;
    }
    for (const op of ops.slice(seq + 1 - firstSeq)) comeback.applied(op[3]);
    seq = lastSeq;
  });
  socket.on('joined', (msg) => {
    resumed(comeback, msg, seqAtDrop);
    epoch = msg.epoch;
    if (msg.snapshot !== undefined) seq = msg.seq;
  });
  await joinTree(socket, TREE, () => (away ? { seq, epoch } : undefined));
  const { drop, reconnect } = dropper(() => socket);
  return {
    comeback,
    drop: () => {
      seqAtDrop = seq;
      away = true;
      drop();
    },
    reconnect,
  };
}

export async function w4(url: string, n: number, offlineSeconds: number): Promise<void> {
  const clients: Returning[] = [];
  await inBatches(n, async (i) => {
    clients[i] = await (i < MIRRORS ? mirrorClient(url, i) : rawClient(url, i));
  });
  const mirrors = Math.min(n, MIRRORS);
  onCommand(async (cmd) => {
    if (cmd !== 'start') return;
    const report = await runReconnect(clients, offlineSeconds, W4.rate);
    reply({ ...report, path: `${report.path} (${mirrors} SyncClients, ${n - mirrors} protocol-level clients)` });
  });
  reply({ type: 'ready' });
}
