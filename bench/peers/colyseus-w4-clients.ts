/**
 * The Colyseus 0.18 peer's W4 load clients (contract: bench/peers/model.ts):
 * `colyseus-clients.ts w4 <variant> <port> <N> <offlineSeconds>`.
 *
 * N clients join (colyseus-sdk.ts) and hold the state. On `start`, after 1 s of live updates,
 * every client drops at once the way a network failure would: its WebSocket is terminated
 * (`ws.terminate()`: the socket destroyed, no close frame, no LEAVE_ROOM), so the SDK sees close
 * code 1006 and the server a drop, whose `onDrop` holds the seat (`allowReconnection`).
 *
 * The way back is the SDK's own automatic reconnection, as an application gets it by default: on
 * a 1006 close the Room keeps its decoder and state, waits a retry delay, and reconnects its
 * Connection to the same room's WebSocket with the reconnection token and `skipHandshake` (no
 * HTTP matchmake request); the server answers JOIN_ROOM and then the full state (ROOM_STATE), as
 * to a new client. The retry delay is made the offline window: `minDelay = maxDelay =
 * offlineSeconds` (the delay is the backoff clamped to them), and `minUptime = 0` (by default the
 * SDK gives up on a room up less than 5 s). The reconnect time is taken when the SDK calls
 * `connection.reconnect` (wrapped to note it).
 *
 * A client is consistent again once the full state after its reconnect is decoded and it holds a
 * value made at or after its reconnect time (in that state or a later patch): the time from
 * reconnect to then, and the WebSocket payload bytes it received in between (no HTTP is used).
 * `missed`: the server's rate, as a client can tell it from the full state it comes back to, times
 * the offline time. The generator sets the objects in turn (k % M), each to its send time, so the
 * M values of a state are the last M mutations' times: M - 1 intervals between the oldest and the
 * newest (counting values told only, a patch dropping what it overwrites, would not do).
 */
import { fatal, onCommand, reply, sleep } from '../lib/child.js';
import { inBatches, percentiles } from '../lib/sampling.js';
import { CountingClient, listenValues, type CountingRoom } from './colyseus-sdk.js';
import { median, now, type Command, type W4Report } from './model.js';

/** A client's reconnection, as it goes. */
interface Comeback {
  room: CountingRoom;
  /** The server's mutations per second, from the full state it came back to. */
  rate: number;
  dropAt: number;
  reconnectAt: number;
  /** Whether the full state after the reconnect is decoded; whether a value made after the reconnect arrived. */
  stateApplied: boolean;
  fresh: boolean;
  consistentAt: number;
  /** Payload bytes since the reconnect. */
  bytes: number;
  bytesToConsistent: number;
}

/** Longest wait for a client to be consistent after its reconnect (ms). */
const CATCH_UP_MS = 30_000;

export async function w4(port: number, n: number, offlineSeconds: number): Promise<void> {
  let handle: (cmd: Command['cmd']) => void = () => undefined;
  onCommand((cmd) => handle(cmd));
  // The SDK narrates each reconnection on console.info (four lines a client): not in the bench's output.
  console.info = () => undefined;
  const url = `http://127.0.0.1:${port}`;
  const comebacks: Comeback[] = [];

  async function connect(i: number): Promise<void> {
    const comeback: Comeback = { room: undefined as unknown as CountingRoom, rate: NaN, dropAt: 0, reconnectAt: 0, stateApplied: false, fresh: false, consistentAt: 0, bytes: 0, bytesToConsistent: 0 };
    const room = await new CountingClient(url, (bytes) => void (comeback.bytes += bytes)).joinState();
    comeback.room = room;
    comebacks[i] = comeback;
    room.reconnection.minUptime = 0;
    room.reconnection.minDelay = room.reconnection.maxDelay = offlineSeconds * 1000;
    const connection = room.connection;
    const reconnect = connection.reconnect.bind(connection);
    connection.reconnect = (params) => {
      comeback.reconnectAt = now();
      comeback.bytes = 0;
      reconnect(params);
    };
    listenValues(room, (_, value) => {
      if (comeback.reconnectAt > 0 && value >= comeback.reconnectAt) comeback.fresh = true;
    });
    room.onDecoded = () => {
      if (comeback.reconnectAt === 0 || comeback.consistentAt > 0) return;
      if (room.decodingFullState) {
        comeback.stateApplied = true;
        let [oldest, newest] = [Infinity, -Infinity];
        room.state.objects.forEach(({ value }) => {
          [oldest, newest] = [Math.min(oldest, value), Math.max(newest, value)];
        });
        comeback.fresh ||= newest >= comeback.reconnectAt;
        comeback.rate = ((room.state.objects.size - 1) * 1000) / (newest - oldest);
      }
      if (comeback.stateApplied && comeback.fresh) {
        comeback.consistentAt = now();
        comeback.bytesToConsistent = comeback.bytes;
      }
    };
  }

  await inBatches(n, connect);
  handle = (cmd) => {
    if (cmd === 'start') dropAndReturn(comebacks, offlineSeconds).then((report) => reply({ ...report }), fatal);
  };
  reply({ type: 'ready' });
}

/** The live second, the drop, the wait for every client to come back consistent; the report. */
async function dropAndReturn(comebacks: readonly Comeback[], offlineSeconds: number): Promise<W4Report> {
  await sleep(1000);
  for (const comeback of comebacks) {
    comeback.dropAt = now();
    const transport = comeback.room.connection.transport as unknown as { ws?: { terminate?: () => void } };
    if (transport.ws?.terminate === undefined) throw new Error('the SDK transport has no ws WebSocket to terminate');
    transport.ws.terminate();
  }
  const deadline = performance.now() + offlineSeconds * 1000 + CATCH_UP_MS;
  while (comebacks.some((c) => c.consistentAt === 0) && performance.now() < deadline) await sleep(20);

  const back = comebacks.filter((c) => c.consistentAt > 0 && c.consistentAt - c.reconnectAt <= CATCH_UP_MS);
  const ms = back.map((c) => c.consistentAt - c.reconnectAt);
  const { p50, p99 } = percentiles(ms);
  const offlineMs = median(comebacks.map((c) => c.reconnectAt - c.dropAt));
  return {
    type: 'report',
    clients: comebacks.length,
    caughtUp: back.length,
    p50Ms: p50,
    p99Ms: p99,
    maxMs: ms.length > 0 ? Math.max(...ms) : NaN,
    bytesPerClient: median(back.map((c) => c.bytesToConsistent)),
    missed: Math.round((median(comebacks.map((c) => c.rate).filter((r) => Number.isFinite(r))) * offlineMs) / 1000),
    path: 'full state: the SDK reconnects the same Room over WebSocket (token, skipHandshake, no HTTP) into the seat onDrop held with allowReconnection; the server sends the whole state (ROOM_STATE)',
  };
}
