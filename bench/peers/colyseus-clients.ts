/**
 * The Colyseus 0.18 peer's load clients (contract: bench/peers/model.ts), each an @colyseus/sdk
 * `Client` doing `joinOrCreate(ROOM, options, PeerState)` (colyseus-sdk.ts: HTTP matchmake
 * request, then the room's WebSocket, counting its payload bytes) and decoding the state into
 * colyseus-schema.ts's classes:
 * - `colyseus-clients.ts w1 <variant> <port> <N>`: N clients, joined ten at a time; `ready` once
 *   every client decoded the full state. Between `mark` and `report` each client counts WebSocket
 *   payload bytes and messages, and the `value` changes it is told of (`Callbacks.listen(object,
 *   'value', ...)` on every object); a spread of SAMPLED clients, as in bench/clients.ts, records
 *   each change's latency: receipt time (taken once per WebSocket message) minus the value.
 * - `colyseus-clients.ts w3 <variant> <port> <parallel> <rounds>`: per round, `parallel` fresh
 *   clients join at once; the round's time runs from the start of the joins to the moment the
 *   slowest client has decoded the full state of M objects. A first, untimed join of one client
 *   tells M and warms up (the decoder, and the server's full-state encoding); rounds that would
 *   decode more than MAX_DECODED objects at once are not run, and the result says why.
 * - `colyseus-clients.ts w5 <variant> <port> <N> <groups>`: as W1, client i joining with the
 *   options `{ group: i % groups }` (the server's StateView of that group); it also counts the
 *   objects it holds outside its group, and the values it is told of for them (violations), and
 *   replies the median of the objects a client holds. Gaps follow the group's own sequence
 *   (g, g + groups, ...).
 * - `w2` and `w4`: colyseus-w2-clients.ts and colyseus-w4-clients.ts.
 *
 * Delivery: a Colyseus patch carries the latest value of each changed field, so a value
 * overwritten between two patches is never sent. `mutations` counts the values a client was told
 * of; the orchestrator divides by N x the server's mutations. `gaps` counts breaks in the object
 * index sequence, as bench/clients.ts does for socket.io: a patch lists its changes in no
 * particular order, but its values are the send times of the mutations, so sorted by value they
 * give the order the server made them in (k % M, k % M + 1, ...); a value never sent breaks it.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { fatal, onCommand, reply } from '../lib/child.js';
import { Sampling, inBatches, samplingCommands, spread } from '../lib/sampling.js';
import { CountingClient, listenValues, type CountingRoom } from './colyseus-sdk.js';
import { w2 } from './colyseus-w2-clients.js';
import { w4 } from './colyseus-w4-clients.js';
import { median, variantsFor, type Command, type JoinResult, type W5ClientsExtra } from './model.js';

/** W1 (`groups` 0: every client holds every object) and W5 (client i joins group i % groups). */
async function fanOut(port: number, n: number, groups = 0): Promise<void> {
  // Commands before `ready` are none but `exit`; the handler is set once the clients are in.
  let handle: (cmd: Command['cmd']) => void = () => undefined;
  onCommand((cmd) => handle(cmd));
  const url = `http://127.0.0.1:${port}`;
  const sampled = spread(n);
  const sampling = new Sampling(n);
  const rooms: CountingRoom[] = [];
  let objects = -1;
  let violations = 0;

  async function connect(i: number): Promise<void> {
    const group = groups > 0 ? i % groups : 0;
    const room = await new CountingClient(url, sampling.count).joinState(groups > 0 ? { group } : {});
    rooms[i] = room;
    const size = room.state.objects.size;
    if (groups === 0 && objects >= 0 && size !== objects) throw new Error(`client ${i} holds ${size} objects, client 0 ${objects}`);
    objects = size;
    // The object after `last` in the order the server mutates them: the next index (of the
    // group, with W5) up to the last held, then the first again.
    const step = Math.max(1, groups);
    let limit = 0;
    room.state.objects.forEach((_, key) => {
      const index = Number(key);
      limit = Math.max(limit, index + 1);
      if (index % step !== group) violations++;
    });
    const next = (last: number): number => (last + step < limit ? last + step : group);
    const isSampled = sampled.has(i);
    // The (value, object) pairs of the message being decoded, checked in value order after it.
    let batch: [value: number, object: number][] = [];
    let lastObject = -1;
    room.onDecoded = () => {
      if (batch.length === 0) return;
      if (batch.length > 1) batch.sort((a, b) => a[0] - b[0]);
      for (const [, object] of batch) {
        if (sampling.measuring && lastObject >= 0 && object !== next(lastObject)) sampling.gaps++;
        lastObject = object;
      }
      batch = [];
    };
    listenValues(room, (index, value) => {
      if (index % step !== group) violations++;
      batch.push([value, index]);
      if (!sampling.measuring) return;
      sampling.receive(i);
      if (isSampled) sampling.sample(room.at - value);
    });
  }

  await inBatches(n, connect);
  // Garbage collection in the window: N decoded states make a large heap, whose full collections
  // stall every client of this process at once (they show in the latency and the loop delay).
  const gc = { ms: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    if (!sampling.measuring) return;
    for (const entry of list.getEntries()) {
      gc.ms += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  const view = (): W5ClientsExtra => ({ violations, heldMedian: median(rooms.map((room) => room.state.objects.size)) });
  handle = samplingCommands(sampling, {
    onMark: () => (gc.ms = gc.maxMs = 0),
    extra: (window) => ({ ...(groups > 0 ? view() : { objects }), gcShare: gc.ms / (window.seconds * 1000), gcMaxMs: gc.maxMs }),
  });
  reply({ type: 'ready' });
}

async function w3(variant: string, port: number, parallel: number, rounds: number): Promise<void> {
  onCommand(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const name = `colyseus ${variant}, ${parallel} parallel`;
  // First an untimed join of one client: it tells M and warms up the decoder and the server's
  // full-state encoding. Then the rounds of `parallel` clients, unless they would not fit.
  const probe = await joinRound(url, 1);
  if (parallel * probe.objects > MAX_DECODED) {
    const note = `not run: ${parallel} x ${probe.objects} objects decoded at once in one load process (about 2.4 KB of heap and 15 µs of decoding per object) pass ${MAX_DECODED} objects; one client joined in ${probe.ms.toFixed(0)} ms`;
    reply({ type: 'report', results: [{ name, ms: [], objects: probe.objects, note }] });
    return;
  }
  const ms: number[] = [];
  let bytes = probe.bytes;
  let objects = probe.objects;
  // Within the orchestrator's wait (bench/peers.ts: 60 s up to 10,000 objects, 180 s above, from
  // this process's start, which performance.now() counts from): a round that would end past the
  // budget, going by the last one, is not started.
  const budgetMs = probe.objects > 10_000 ? 150_000 : 50_000;
  for (let round = 0; round < rounds; round++) {
    if (round > 0 && performance.now() + (ms[round - 1] ?? 0) > budgetMs) break;
    const r = await joinRound(url, parallel);
    ms.push(r.ms);
    bytes = r.bytes;
    objects = r.objects;
  }
  const cut = ms.length < rounds ? `; ${ms.length} of ${rounds} rounds (time budget)` : '';
  const result: JoinResult = {
    name,
    ms,
    bytes,
    objects,
    note: `joinOrCreate (HTTP matchmake, WebSocket, handshake) until the full state is decoded; bytes: handshake (schema reflection) + full state; the server reuses its full-state encoding while the state is unchanged${cut}`,
  };
  reply({ type: 'report', results: [result] });
}

/** Most objects a W3 round may decode at once (parallel x M): 50 x 100,000 would need ~12 GB of heap. */
const MAX_DECODED = 1_000_000;

/** One W3 round: `parallel` fresh clients join at once; the time until the slowest holds the full state, bytes per client. */
async function joinRound(url: string, parallel: number): Promise<{ ms: number; bytes: number; objects: number }> {
  let roundBytes = 0;
  const onBytes = (size: number): void => void (roundBytes += size);
  const clients = Array.from({ length: parallel }, () => new CountingClient(url, onBytes));
  const t0 = performance.now();
  const rooms = await Promise.all(clients.map((client) => client.joinState()));
  const ms = performance.now() - t0;
  const objects = Math.min(...rooms.map((room) => room.state.objects.size));
  await Promise.all(rooms.map((room) => room.leave()));
  return { ms, bytes: roundBytes / parallel, objects };
}

const WORKLOADS = ['w1', 'w2', 'w3', 'w4', 'w5'];
const [workload = '', variant = '', portArg = '', ...rest] = process.argv.slice(2);
const variants = variantsFor('colyseus', variant);
const port = Number(portArg);
const [a = NaN, b = NaN, c = NaN] = rest.map(Number);
if (!WORKLOADS.includes(workload)) {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `colyseus-clients.ts: no workload ${workload} (${WORKLOADS.join(', ')})` });
} else if (!variants.includes(variant)) fatal(new Error(`unknown variant ${variant}; one of ${variants.join(', ')}, patch<ms>`));
else if (workload === 'w1') fanOut(port, rest.length > 0 ? a : 1).catch(fatal);
else if (workload === 'w2') w2(port, a, b, c).catch(fatal);
else if (workload === 'w3') w3(variant, port, rest.length > 0 ? a : 1, rest.length > 1 ? b : 3).catch(fatal);
else if (workload === 'w4') w4(port, a, b).catch(fatal);
else fanOut(port, a, b).catch(fatal);
