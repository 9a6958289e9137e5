/**
 * The Colyseus 0.18 peer's server side, shared by every workload of colyseus-server.ts: the room
 * base class, the server, the room's creation and the W1 mutation generator.
 *
 * Server: `defineServer` with `WebSocketTransport` from @colyseus/ws-transport (not the
 * `colyseus` meta-package), on 127.0.0.1 and an ephemeral port. The room is created here, before
 * `ready`, with `matchMaker.createRoom`, and never disposed (`autoDispose = false`), so every
 * client's `joinOrCreate` joins this one room. A workload that needs more of the room (message
 * handlers, reconnection, views) subclasses PeerRoom and serves that class under the room name.
 */
import type { AddressInfo } from 'node:net';
import { Room, defineRoom, defineServer, matchMaker } from '@colyseus/core';
import { Encoder } from '@colyseus/schema';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { WebSocket } from 'ws';
import { onCommand } from '../lib/child.js';
import { Load, heapAfterGc, loadCommands } from '../lib/load.js';
import { ROOM, PeerState, createObject, type PeerObject } from './colyseus-schema.js';
import { cadenceMs, now, type Command, type PEERS, type W1ServerExtra } from './model.js';

/** A Colyseus variant: PEERS's, or bench:cadence's `patch<ms>` (see cadenceMs). */
export type Variant = (typeof PEERS.colyseus)[number] | `patch${number}`;

// @colyseus/core 0.18 wants Node >= 22: its reconnection path reads the global `WebSocket.OPEN`,
// which Node 20 lacks (a ReferenceError fails every reconnection). The `ws` class stands in.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

/** The options the room is created with (`groups`: W5's view groups). */
export interface PeerRoomOptions {
  readonly objects: number;
  readonly variant: Variant;
  readonly groups?: number;
}

export class PeerRoom extends Room<{ state: PeerState }> {
  /** The room this process created (one per process). */
  static current: PeerRoom | undefined;
  objects: PeerObject[] = [];
  override autoDispose = false;

  override onCreate(options: PeerRoomOptions): void {
    const state = this.emptyState();
    for (let i = 0; i < options.objects; i++) {
      const object = createObject(i);
      state.objects.set(String(i), object);
      this.objects.push(object);
    }
    this.state = state;
    // 0 (or null): no patch interval; the core then only ticks the room clock every 16 ms.
    if (options.variant === 'patchEach') this.patchRate = 0;
    // `patch16`: 60 patches a second, as a game at 60 Hz would set it (about treesync's default
    // cadence at 200 clients); bench:cadence's `patch<ms>`: a patch every `ms` milliseconds. patch50 is Colyseus's default.
    else this.patchRate = cadenceMs('colyseus', options.variant) ?? this.patchRate;
    PeerRoom.current = this;
  }

  /** The state the objects go in (W5's room answers one whose objects are filtered by views). */
  protected emptyState(): PeerState {
    return new PeerState();
  }
}

/**
 * Starts the Colyseus server serving `room` under the bench's room name; resolves with its port.
 * `heartbeat: false` turns off the transport's pings (default: every 3 s, terminating a client
 * after 2 unanswered): a W3 load process decoding 50 full states one after the other answers its
 * pings late, and gets its clients terminated.
 */
async function listen(room: typeof PeerRoom, heartbeat: boolean): Promise<number> {
  const transport = new WebSocketTransport(heartbeat ? {} : { pingInterval: 0 });
  const server = defineServer({
    rooms: { [ROOM]: defineRoom(room) },
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
export function ready(message: { port: number; heapPerObjectBytes?: number }): void {
  // With a callback, a failed send is handed to it rather than thrown as an 'error' event.
  process.send?.({ type: 'ready', ...message }, undefined, {}, (error: Error | null) => {
    if (error !== null) process.exit(0);
  });
}

/** Creates the one room of this process, with M objects. */
async function createRoom(options: PeerRoomOptions): Promise<PeerRoom> {
  // Room for the full state (82 bytes an object at M = 10,000, 96 at 100,000), as the overflow
  // warning of @colyseus/schema advises: with the 16 KB default every full encode (a join after a
  // change) overflows, warns and encodes again into a larger buffer.
  Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, Math.ceil((options.objects * 128) / 1024) * 1024 + 16 * 1024);
  await matchMaker.createRoom(ROOM, options);
  const room = PeerRoom.current;
  if (room === undefined) throw new Error('the room was not created');
  // Drop the changes of building the state (no client is there to receive them): otherwise the
  // first patch of `patchEach` would re-send every object to clients that joined with a full state.
  room.broadcastPatch();
  return room;
}

/** How a workload's server is set up: its room class, and whether the transport pings. */
export interface SetUp {
  readonly room?: typeof PeerRoom;
  readonly heartbeat?: boolean;
}

/** Starts the server and creates the room, measuring the heap the room's state takes. */
export async function setUp(options: PeerRoomOptions, how: SetUp = {}): Promise<{ port: number; room: PeerRoom; heapPerObjectBytes: number }> {
  const port = await listen(how.room ?? PeerRoom, how.heartbeat ?? true);
  const heapBefore = heapAfterGc();
  const room = await createRoom(options);
  return { port, room, heapPerObjectBytes: (heapAfterGc() - heapBefore) / options.objects };
}

/**
 * Sets `value` of one object: with `patchEach`, followed by `room.broadcastPatch()` (the patch of
 * this one change, to every client); with `patch50` and `patch16`, left for the next patch.
 */
export function mutator(room: PeerRoom, variant: Variant): (object: number, value: number) => void {
  const items = room.objects;
  return (object, value) => {
    const item = items[object];
    if (item !== undefined) item.value = value;
    if (variant === 'patchEach') room.broadcastPatch();
  };
}

/**
 * A fan-out server (W1, and the generator of W4 and W5): the room of M objects; on `start`,
 * `rate` mutations/s, mutation k setting `value` of object k % M to `now()`; bench/lib/load.ts's
 * generator, CPU window and tick-gap histogram, as in bench/server.ts.
 */
export async function fanOut(options: PeerRoomOptions, rate: number, how: SetUp = {}): Promise<void> {
  // Listening from the start, so that `exit` and the parent's death end the process during set-up.
  let handle: (cmd: Command['cmd']) => void = () => undefined;
  onCommand((cmd) => handle(cmd));
  const { port, room, heapPerObjectBytes } = await setUp(options, how);
  const mutate = mutator(room, options.variant);
  const m = options.objects;
  handle = loadCommands(new Load(rate, (k) => mutate(k % m, now())), { heapPerObjectBytes } satisfies W1ServerExtra);
  ready({ port });
}
