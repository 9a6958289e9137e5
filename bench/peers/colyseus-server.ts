/**
 * The Colyseus 0.18 peer's server (contract: bench/peers/model.ts):
 * - `colyseus-server.ts w1 <variant> <M> <rate>`: one room whose state (@colyseus/schema 5, see
 *   colyseus-schema.ts) holds M model objects in a MapSchema keyed "0" .. "M-1"; on `start`,
 *   `rate` mutations/s, mutation k setting `value` of object k % M to `now()`. Variants:
 *   `patch50`, Colyseus's default 50 ms patch interval (a patch carries every field changed since
 *   the last one, so a value overwritten within 50 ms is never sent); `patchEach`, `patchRate = 0`
 *   (no interval) and `room.broadcastPatch()` after every mutation.
 * - `colyseus-server.ts w3 <variant> <M>`: the same room, idle, for the join clients (transport
 *   heartbeat off, see `listen`); `ready` carries heapPerObjectBytes too.
 *
 * Server: `defineServer` with `WebSocketTransport` from @colyseus/ws-transport (not the
 * `colyseus` meta-package), on 127.0.0.1 and an ephemeral port. The room is created here, before
 * `ready`, with `matchMaker.createRoom`, and never disposed (`autoDispose = false`), so every
 * client's `joinOrCreate` joins this one room. The generator, the CPU window and the tick-gap
 * histogram are bench/lib/load.ts's, as in bench/server.ts.
 */
import type { AddressInfo } from 'node:net';
import { Room, defineRoom, defineServer, matchMaker } from '@colyseus/core';
import { Encoder } from '@colyseus/schema';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { fatal, onCommand, reply } from '../lib/child.js';
import { Load, heapAfterGc, loadCommands } from '../lib/load.js';
import { ROOM, PeerState, createObject, type PeerObject } from './colyseus-schema.js';
import { PEERS, now, type Command, type W1ServerExtra } from './model.js';

type Variant = (typeof PEERS.colyseus)[number];

class PeerRoom extends Room<{ state: PeerState }> {
  /** The room this process created (one per process). */
  static current: PeerRoom | undefined;
  objects: PeerObject[] = [];
  override autoDispose = false;

  override onCreate(options: { objects: number; variant: Variant }): void {
    const state = new PeerState();
    for (let i = 0; i < options.objects; i++) {
      const object = createObject(i);
      state.objects.set(String(i), object);
      this.objects.push(object);
    }
    this.state = state;
    // 0 (or null): no patch interval; the core then only ticks the room clock every 16 ms.
    if (options.variant === 'patchEach') this.patchRate = 0;
    PeerRoom.current = this;
  }
}

/**
 * Starts the Colyseus server; resolves with its port. `heartbeat: false` turns off the transport's
 * pings (default: every 3 s, terminating a client after 2 unanswered): a W3 load process decoding
 * 50 full states one after the other answers its pings late, and gets its clients terminated.
 */
async function listen(heartbeat: boolean): Promise<number> {
  const transport = new WebSocketTransport(heartbeat ? {} : { pingInterval: 0 });
  const server = defineServer({
    rooms: { [ROOM]: defineRoom(PeerRoom) },
    transport,
    greet: false,
    gracefullyShutdown: false,
  });
  await server.listen(0, '127.0.0.1');
  const address = transport.server?.address() as AddressInfo | null | undefined;
  if (address == null) throw new Error('the transport has no listening HTTP server');
  return address.port;
}

/**
 * Replies `ready`; ends the process if the orchestrator went away during the set-up (which blocks
 * the event loop for seconds at M = 100,000, so `disconnect` has not been seen yet).
 */
function ready(message: { port: number; heapPerObjectBytes?: number }): void {
  // With a callback, a failed send is handed to it rather than thrown as an 'error' event.
  process.send?.({ type: 'ready', ...message }, undefined, {}, (error: Error | null) => {
    if (error !== null) process.exit(0);
  });
}

/** Creates the one room of this process, with M objects. */
async function createRoom(variant: Variant, objects: number): Promise<PeerRoom> {
  // Room for the full state (82 bytes an object at M = 10,000, 96 at 100,000), as the overflow
  // warning of @colyseus/schema advises: with the 16 KB default every full encode (a join after a
  // change) overflows, warns and encodes again into a larger buffer.
  Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, Math.ceil((objects * 128) / 1024) * 1024 + 16 * 1024);
  await matchMaker.createRoom(ROOM, { objects, variant });
  const room = PeerRoom.current;
  if (room === undefined) throw new Error('the room was not created');
  // Drop the changes of building the state (no client is there to receive them): otherwise the
  // first patch of `patchEach` would re-send every object to clients that joined with a full state.
  room.broadcastPatch();
  return room;
}

/** Starts the server and creates the room, measuring the heap the room's state takes. */
async function setUp(variant: Variant, objects: number, heartbeat: boolean): Promise<{ port: number; room: PeerRoom; heapPerObjectBytes: number }> {
  const port = await listen(heartbeat);
  const heapBefore = heapAfterGc();
  const room = await createRoom(variant, objects);
  return { port, room, heapPerObjectBytes: (heapAfterGc() - heapBefore) / objects };
}

async function w1(variant: Variant, objects: number, rate: number): Promise<void> {
  // Listening from the start, so that `exit` and the parent's death end the process during set-up.
  let handle: (cmd: Command['cmd']) => void = () => undefined;
  onCommand((cmd) => handle(cmd));
  const { port, room, heapPerObjectBytes } = await setUp(variant, objects, true);
  const items = room.objects;
  const mutate =
    variant === 'patchEach'
      ? (object: number, value: number): void => {
          const item = items[object];
          if (item !== undefined) item.value = value;
          room.broadcastPatch();
        }
      : (object: number, value: number): void => {
          const item = items[object];
          if (item !== undefined) item.value = value;
        };

  handle = loadCommands(new Load(rate, (k) => mutate(k % objects, now())), { heapPerObjectBytes } satisfies W1ServerExtra);
  ready({ port });
}

async function w3(variant: Variant, objects: number): Promise<void> {
  onCommand(() => undefined);
  const { port, heapPerObjectBytes } = await setUp(variant, objects, false);
  ready({ port, heapPerObjectBytes });
}

const [workload = '', variantArg = '', mArg = '', rateArg = '1000'] = process.argv.slice(2);
const variants: readonly string[] = PEERS.colyseus;
const m = Number(mArg);
if (workload !== 'w1' && workload !== 'w3') {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `colyseus-server.ts: no workload ${workload} (w1, w3)` });
} else if (!variants.includes(variantArg)) fatal(new Error(`unknown variant ${variantArg}; one of ${variants.join(', ')}`));
else if (!(Number.isInteger(m) && m > 0)) fatal(new Error(`bad object count ${mArg}`));
else if (workload === 'w1') w1(variantArg as Variant, m, Number(rateArg)).catch(fatal);
else w3(variantArg as Variant, m).catch(fatal);
