/**
 * The Colyseus 0.18 peer's load clients (contract: bench/peers/model.ts), each an @colyseus/sdk
 * `Client` doing `joinOrCreate(ROOM, {}, PeerState)` (HTTP matchmake request, then the room's
 * WebSocket) and decoding the state into colyseus-schema.ts's classes:
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
 *
 * Bytes: a Client subclass makes its rooms a Room subclass whose `onMessageCallback` (the SDK's
 * WebSocket `onmessage`; binaryType 'arraybuffer', so `event.data.byteLength` is the payload as
 * it came off the wire, without frame headers) counts each message before decoding it. The HTTP
 * matchmake request and response of a join are not counted (their time is).
 *
 * Delivery: a Colyseus patch carries the latest value of each changed field, so a value
 * overwritten between two patches is never sent. `mutations` counts the values a client was told
 * of; the orchestrator divides by N x the server's mutations. `gaps` counts breaks in the object
 * index sequence, as bench/clients.ts does for socket.io: a patch lists its changes in no
 * particular order, but its values are the send times of the mutations, so sorted by value they
 * give the order the server made them in (k % M, k % M + 1, ...); a value never sent breaks it.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Callbacks, Client, Room } from '@colyseus/sdk';
import { fatal, onCommand, reply } from '../lib/child.js';
import { Sampling, inBatches, samplingCommands, spread } from '../lib/sampling.js';
import { ROOM, PeerState } from './colyseus-schema.js';
import { PEERS, now, type Command, type JoinResult } from './model.js';

/** A room that reports each WebSocket message's payload size and receipt time before decoding it. */
class CountingRoom extends Room<unknown, PeerState> {
  onFrame: ((bytes: number, at: number) => void) | undefined;
  /** The receipt time of the message being decoded (`now()`). */
  at = 0;
  /** Resolves once the first full state (ROOM_STATE) is decoded. */
  readonly stateReady: Promise<void>;

  constructor(name: string) {
    super(name, PeerState);
    this.stateReady = new Promise((resolve, reject) => {
      this.onStateChange.once(() => resolve());
      this.onDrop.once((code, reason) => reject(new Error(`the server dropped a client before its full state (${code} ${reason ?? ''})`)));
    });
  }

  /** Called after each WebSocket message is decoded (and its callbacks ran). */
  onDecoded: (() => void) | undefined;

  protected override onMessageCallback(event: MessageEvent): void {
    this.at = now();
    this.onFrame?.((event.data as ArrayBuffer).byteLength, this.at);
    super.onMessageCallback(event);
    this.onDecoded?.();
  }
}

class CountingClient extends Client {
  #bytes: (bytes: number, at: number) => void;

  constructor(url: string, onBytes: (bytes: number, at: number) => void) {
    super(url);
    this.#bytes = onBytes;
  }

  protected override createRoom<T>(roomName: string): Room<unknown, T> {
    const room = new CountingRoom(roomName);
    room.onFrame = this.#bytes;
    return room as unknown as Room<unknown, T>;
  }

  /** Joins the bench room; resolves once the full state is decoded. */
  async joinState(): Promise<CountingRoom> {
    const room = await this.joinOrCreate(ROOM, {}, PeerState);
    if (!(room instanceof CountingRoom)) throw new Error('joinOrCreate did not return the counting room');
    await room.stateReady;
    return room;
  }
}

async function w1(port: number, n: number): Promise<void> {
  // Commands before `ready` are none but `exit`; the handler is set once the clients are in.
  let handle: (cmd: Command['cmd']) => void = () => undefined;
  onCommand((cmd) => handle(cmd));
  const url = `http://127.0.0.1:${port}`;
  const sampled = spread(n);
  const sampling = new Sampling(n);
  const rooms: CountingRoom[] = [];
  let objects = -1;

  async function connect(i: number): Promise<void> {
    const room = await new CountingClient(url, sampling.count).joinState();
    rooms[i] = room;
    const size = room.state.objects.size;
    if (objects >= 0 && size !== objects) throw new Error(`client ${i} holds ${size} objects, client 0 ${objects}`);
    objects = size;
    const isSampled = sampled.has(i);
    // The (value, object) pairs of the message being decoded, checked in value order after it.
    let batch: [value: number, object: number][] = [];
    let lastObject = -1;
    room.onDecoded = () => {
      if (batch.length === 0) return;
      if (batch.length > 1) batch.sort((a, b) => a[0] - b[0]);
      for (const [, object] of batch) {
        if (sampling.measuring && lastObject >= 0 && object !== (lastObject + 1) % size) sampling.gaps++;
        lastObject = object;
      }
      batch = [];
    };
    const callbacks = Callbacks.get(room);
    room.state.objects.forEach((object, key) => {
      const index = Number(key);
      callbacks.listen(
        object,
        'value',
        (value) => {
          batch.push([value, index]);
          if (!sampling.measuring) return;
          sampling.receive(i);
          if (isSampled) sampling.sample(room.at - value);
        },
        false,
      );
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
  handle = samplingCommands(sampling, {
    onMark: () => (gc.ms = gc.maxMs = 0),
    extra: (window) => ({ objects, gcShare: gc.ms / (window.seconds * 1000), gcMaxMs: gc.maxMs }),
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

const [workload = '', variant = '', portArg = '', ...rest] = process.argv.slice(2);
const variants: readonly string[] = PEERS.colyseus;
if (workload !== 'w1' && workload !== 'w3') {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `colyseus-clients.ts: no workload ${workload} (w1, w3)` });
} else if (!variants.includes(variant)) fatal(new Error(`unknown variant ${variant}; one of ${variants.join(', ')}`));
else if (workload === 'w1') w1(Number(portArg), Number(rest[0] ?? '1')).catch(fatal);
else w3(variant, Number(portArg), Number(rest[0] ?? '1'), Number(rest[1] ?? '3')).catch(fatal);
