/**
 * The treesync load clients of `npm run bench:peers` (the contract is bench/peers/model.ts).
 *
 * - `w1 <variant> <port> <N>`: the first few clients (MIRRORS below) are real SyncClients with a
 *   mirror of tree `peers`; the rest speak the protocol by hand (bench/lib/protocol.ts: auth with
 *   `batches: 'binary'`, `join` after `welcome`, then binary `b` batches, decoded), so that this process measures the server and the wire
 *   rather than itself: a mirror applies each batch to an immutable state, copying its object
 *   table (1,000 entries here) per batch. Latency is sampled on every mirror and on 20 raw
 *   clients spread over the connection order.
 * - `w3 <variant> <port> <parallel> <rounds>`: per round, `parallel` fresh connections at once,
 *   timed from connect until each holds the whole tree. Two results: `SyncClient.join → mirror`
 *   (the headline: what an application gets), and the raw protocol (snapshot parsed, no mirror).
 *   A first, untimed round with one connection warms each path up.
 * - `w2 …` (treesync-writes.ts), `w4 …` (treesync-reconnect.ts), `w5 …` (treesync-filtered.ts):
 *   W2's clients are the same for every variant (the server answers `unsupported` to `unbatched`).
 */
import { SyncClient } from '../../client/index.js';
import { unflattenSnapshot } from '../../shared/index.js';
import { onCommand, reply, runWorkload } from '../lib/child.js';
import { joinTree, onBatch, protocolSocket, type ProtocolSocket } from '../lib/protocol.js';
import { SAMPLED, Sampling, inBatches, percentiles, samplingCommands, spread, timedRounds, type JoinRound } from '../lib/sampling.js';
import { tappedTransport } from '../lib/visibility-transport.js';
import { onWireMessage } from '../lib/wire.js';
import { cadenceMs, now, variantsFor, type JoinReport, type JoinResult } from './model.js';
import { w5 } from './treesync-filtered.js';
import { TREE } from './treesync-model.js';
import { w4 } from './treesync-reconnect.js';
import { w2 } from './treesync-writes.js';

/**
 * SyncClient mirrors among the W1 clients, by variant (PEERS_MIRRORS overrides them). Each mirror
 * applies every batch (copy-on-write: tens of microseconds on a 1,000-object tree) and emits its
 * events; unbatched, a batch per mutation, mirrors would measure the load process, so there only
 * protocol-level clients measure.
 */
const MIRRORS = { batched: 20, paced: 20, unbatched: 0 } as const;
/** Most objects held by the mirrors of one W3 round (all its parallel clients together); beyond, only the raw path is measured. */
const MIRROR_OBJECTS_MAX = 6_000_000;

/** A protocol-level socket whose payload bytes, from connect on, go to `onBytes`. */
function rawSocket(url: string, clientId: string, onBytes: (size: number) => void): ProtocolSocket {
  return protocolSocket(url, clientId, { onConnect: (socket) => onWireMessage(socket, onBytes) });
}

async function w1(url: string, variant: string, n: number): Promise<void> {
  const wanted = process.env['PEERS_MIRRORS'];
  // bench:cadence's every<ms> variants batch, as `batched` does: as many mirrors.
  const byVariant = cadenceMs('treesync', variant) === undefined ? (MIRRORS as Record<string, number | undefined>)[variant] : MIRRORS.batched;
  const mirrors = Math.min(n, Math.max(0, wanted === undefined ? (byVariant ?? 0) : Number(wanted)));
  const raw = n - mirrors;
  // Latency is sampled on every mirror and on SAMPLED of the raw clients.
  const sampled = spread(raw, SAMPLED, mirrors);
  const sampling = new Sampling(n);
  let mirrorLatencies: number[] = [];
  let rawLatencies: number[] = [];

  async function mirror(i: number): Promise<void> {
    const sync = new SyncClient({ transport: tappedTransport(url, () => undefined, (s) => onWireMessage(s, sampling.count)), clientId: `peers-mirror-${i}`, storage: null });
    const m = await sync.join(TREE);
    m.on('batch', (state, previous) => {
      if (sampling.measuring && previous !== undefined) sampling.receive(i, state.seq - previous.seq);
    });
    m.on('change', (e) => {
      if (!sampling.measuring || e.attr !== 'value') return;
      const at = now();
      for (const applied of e.ops) {
        const value = applied.op[3];
        if (typeof value === 'number') {
          sampling.sample(at - value);
          mirrorLatencies.push(at - value);
        }
      }
    });
  }

  async function rawClient(i: number): Promise<void> {
    const socket = rawSocket(url, `peers-raw-${i}`, sampling.count);
    let next = 0;
    onBatch(socket, ({ firstSeq, lastSeq, ops }) => {
      const at = now();
      if (firstSeq !== next && sampling.measuring) sampling.gaps++;
      next = lastSeq + 1;
      if (!sampling.measuring) return;
      sampling.receive(i, ops.length);
      if (!sampled.has(i)) return;
      for (const op of ops) {
        if (typeof op[3] !== 'number') continue;
        sampling.sample(at - op[3]);
        rawLatencies.push(at - op[3]);
      }
    });
    const joined = await joinTree(socket, TREE);
    next = joined.seq + 1;
  }

  // A few at a time, mirrors first.
  await inBatches(n, (i) => (i < mirrors ? mirror(i) : rawClient(i)));
  onCommand(
    samplingCommands(sampling, {
      onMark: () => {
        mirrorLatencies = [];
        rawLatencies = [];
      },
      extra: () => {
        const mirror = percentiles(mirrorLatencies);
        const raw = percentiles(rawLatencies);
        return { mirrors, mirrorP50Ms: mirror.p50, mirrorP99Ms: mirror.p99, rawP50Ms: raw.p50, rawP99Ms: raw.p99 };
      },
    }),
  );
  reply({ type: 'ready' });
}

function rawRound(url: string): JoinRound {
  return async (parallel, round) => {
    let bytes = 0;
    const t0 = performance.now();
    const sockets = Array.from({ length: parallel }, (_, i) => rawSocket(url, `join-raw-${round}-${i}`, (size) => (bytes += size)));
    const joined = await Promise.all(sockets.map((s) => joinTree(s, TREE)));
    const ms = performance.now() - t0;
    sockets.forEach((s) => s.disconnect());
    // Counted after the clock stopped: the raw path parses the snapshot and keeps it, nothing more.
    return { ms, objects: unflattenSnapshot(joined[0]?.snapshot ?? []).length, bytes: bytes / parallel };
  };
}

function mirrorRound(url: string): JoinRound {
  return async (parallel, round) => {
    let bytes = 0;
    const t0 = performance.now();
    const clients = Array.from(
      { length: parallel },
      (_, i) => new SyncClient({ transport: tappedTransport(url, () => undefined, (s) => onWireMessage(s, (size) => (bytes += size))), clientId: `join-mirror-${round}-${i}`, storage: null }),
    );
    const mirrors = await Promise.all(clients.map((c) => c.join(TREE)));
    const ms = performance.now() - t0;
    const objects = Object.keys(mirrors[0]?.state.objects ?? {}).length;
    clients.forEach((c) => c.close());
    return { ms, objects, bytes: bytes / parallel };
  };
}

async function measure(name: string, round: JoinRound, parallel: number, rounds: number): Promise<JoinResult> {
  return { name, ...(await timedRounds(round, parallel, rounds)) };
}

async function w3(url: string, parallel: number, rounds: number): Promise<void> {
  const wire = await measure('treesync wire (raw join, snapshot parsed)', rawRound(url), parallel, rounds);
  const name = 'treesync SyncClient.join → mirror';
  const mirror =
    wire.objects * parallel <= MIRROR_OBJECTS_MAX
      ? await measure(name, mirrorRound(url), parallel, rounds)
      : { name, ms: [], objects: wire.objects, note: `not measured: ${parallel} mirrors of ${wire.objects.toLocaleString('en-US')} objects are more than one load process holds (limit ${MIRROR_OBJECTS_MAX.toLocaleString('en-US')} objects)` };
  reply({ type: 'report', results: [mirror, wire] } satisfies JoinReport);
}

const [workload = '', variant = '', port = '', a = '0', b = '3', ...more] = process.argv.slice(2);
const url = `http://127.0.0.1:${port}`;
runWorkload('treesync-clients.ts', variantsFor('treesync', variant), workload, variant, {
  w1: () => w1(url, variant, Number(a)),
  w2: () => w2(url, [a, b, ...more]),
  w3: () => {
    onCommand(() => undefined);
    return w3(url, Number(a), Number(b));
  },
  w4: () => w4(url, Number(a), Number(b)),
  w5: () => w5(url, Number(a), Number(b)),
});
