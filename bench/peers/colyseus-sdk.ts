/**
 * The Colyseus 0.18 peer's load clients, shared by colyseus-clients.ts and the colyseus-w*-clients.ts
 * workloads: an @colyseus/sdk `Client` doing `joinOrCreate(ROOM, options, PeerState)` (HTTP
 * matchmake request, then the room's WebSocket) and decoding the state into colyseus-schema.ts's
 * classes.
 *
 * Bytes: a Client subclass makes its rooms a Room subclass whose `onMessageCallback` (the SDK's
 * WebSocket `onmessage`; binaryType 'arraybuffer', so `event.data.byteLength` is the payload as
 * it came off the wire, without frame headers) counts each message before decoding it. The HTTP
 * matchmake request and response of a join are not counted (their time is).
 */
import { Callbacks, Client, Protocol, Room } from '@colyseus/sdk';
import { ROOM, PeerState } from './colyseus-schema.js';
import { now } from './model.js';

/** A room that reports each WebSocket message's payload size and receipt time before decoding it. */
export class CountingRoom extends Room<unknown, PeerState> {
  onFrame: ((bytes: number, at: number) => void) | undefined;
  /** The receipt time of the message being decoded (`now()`). */
  at = 0;
  /** The protocol code (first byte) of the message being decoded, e.g. `Protocol.ROOM_STATE`. */
  code = 0;
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
    const data = event.data as ArrayBuffer;
    // No modifier bits here: they are set only for rooms with `defineInput()` or `@unreliable` fields.
    this.code = new Uint8Array(data, 0, 1)[0] ?? 0;
    this.onFrame?.(data.byteLength, this.at);
    super.onMessageCallback(event);
    this.onDecoded?.();
  }

  /** Whether the message being decoded is a full state (a join's, or a reconnection's). */
  get decodingFullState(): boolean {
    return this.code === Protocol.ROOM_STATE;
  }
}

export class CountingClient extends Client {
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

  /** Joins the bench room with these join options; resolves once the full state is decoded. */
  async joinState(options: object = {}): Promise<CountingRoom> {
    const room = await this.joinOrCreate(ROOM, options, PeerState);
    if (!(room instanceof CountingRoom)) throw new Error('joinOrCreate did not return the counting room');
    await room.stateReady;
    return room;
  }
}

/**
 * Calls `onValue(index, value)` for every later change of `value` the room is told of, on each
 * object it holds now (`Callbacks.listen(object, 'value', ...)`, not called for the current value).
 */
export function listenValues(room: CountingRoom, onValue: (index: number, value: number) => void): void {
  const callbacks = Callbacks.get(room);
  room.state.objects.forEach((object, key) => {
    const index = Number(key);
    callbacks.listen(object, 'value', (value) => onValue(index, value), false);
  });
}
