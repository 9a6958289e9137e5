/**
 * The Colyseus 0.18 peer's W2 load clients (contract: bench/peers/model.ts):
 * `colyseus-clients.ts w2 <variant> <port> <writers> <perSecond> <seconds>`.
 *
 * `writers` clients join (colyseus-sdk.ts) and hold the state; on `start`, bench/lib/writes.ts
 * runs the writes, waits for their outcomes, and compares each writer's values with a fresh
 * client's.
 *
 * A write is Colyseus 0.18's request/response: `room.request('set', { k, value })` sends a
 * ROOM_REQUEST with an id; the room's `onMessage('set')` handler answers it, with its return value
 * (a ROOM_RESPONSE with status OK: the promise resolves) or with `ctx.reject(reason)` (status
 * REJECTED: the promise rejects with an error named "rejected"); a handler that throws answers
 * ERROR, a fault rather than a refusal (the write is then unanswered). The round trip is from the
 * request to its response. The accepted value itself reaches every client (the writer too) in the
 * room's next state patch.
 */
import { fatal, onCommand, reply } from '../lib/child.js';
import { inBatches } from '../lib/sampling.js';
import { runWrites, type Writer } from '../lib/writes.js';
import { CountingClient, type CountingRoom } from './colyseus-sdk.js';
import type { SetMessage } from './colyseus-schema.js';
import type { Command } from './model.js';

/** A writer: one client's room. */
function writer(room: CountingRoom): Writer {
  return {
    async write(k, value) {
      try {
        await room.request('set', { k, value } satisfies SetMessage, { timeout: 60_000 });
        return 'accepted';
      } catch (error) {
        if (error instanceof Error && error.name === 'rejected') return 'refused';
        throw error;
      }
    },
    value: (j) => room.state.objects.get(String(j))?.value,
  };
}

export async function w2(port: number, writers: number, perSecond: number, seconds: number): Promise<void> {
  let handle: (cmd: Command['cmd']) => void = () => undefined;
  onCommand((cmd) => handle(cmd));
  const url = `http://127.0.0.1:${port}`;
  const rooms: CountingRoom[] = [];
  await inBatches(writers, async (i) => {
    rooms[i] = await new CountingClient(url, () => undefined).joinState();
  });
  const plan = {
    m: rooms[0]?.state.objects.size ?? 0,
    perSecond,
    seconds,
    outcome: "request/response: room.request('set') answered by the onMessage handler's return (OK) or ctx.reject() (REJECTED)",
    fresh: async () => {
      const room = await new CountingClient(url, () => undefined).joinState();
      return (j: number) => room.state.objects.get(String(j))?.value;
    },
  };
  handle = (cmd) => {
    if (cmd === 'start') runWrites(rooms.map(writer), plan).then((report) => reply({ ...report }), fatal);
  };
  reply({ type: 'ready' });
}
