/**
 * The contract of `npm run bench:peers` (bench/peers.ts): the shared model every system
 * implements, and the command lines and IPC replies of each system's two processes.
 *
 * Each system has a server script `bench/peers/<system>-server.ts` and a load-client script
 * `bench/peers/<system>-clients.ts`, run as bench children (bench/lib/child.ts: IPC, pinned to
 * core 0 and core 1). Commands are bench/lib/model.ts `Command`s; replies are typed messages.
 *
 * Workloads (a script answers `{ type: 'unsupported', why }` to one it does not implement):
 *
 * - W1 fan-out: `server: w1 <variant> <M> <rate>` → `{ type: 'ready', port }`; on `start` it makes
 *   `rate` mutations/s, mutation k setting `value` of object k % M to `now()` (the send time, ms);
 *   `mark` opens the window; `stop` → `ServerReport & { heapPerObjectBytes }`.
 *   `clients: w1 <variant> <port> <N>` → `{ type: 'ready' }` once all N clients hold the state;
 *   `mark` opens the window; `report` → `ClientsReport` (latency = receipt time - value).
 * - W3 join: `server: w3 <variant> <M>` → ready; `clients: w3 <variant> <port> <parallel> <rounds>`
 *   → `{ type: 'report', results: JoinResult[] }`: per round, time from connect to a complete
 *   state of M objects in `parallel` clients at once (the slowest), and the payload bytes.
 *
 * Variants name the modes of a system (e.g. colyseus: `patch50` default 50 ms patches, `patchEach`
 * a patch after every mutation; sharedb: `doc` one json0 document, `docs` a document per object;
 * treesync: `batched`, `unbatched`; socket.io: `each`, `coalesced50`).
 */
export { now, quantile, median, type ClientsReport, type Command, type JoinReport, type JoinResult, type ServerReport } from '../lib/model.js';

/** The systems and their variants. */
export const PEERS = {
  socketio: ['each', 'coalesced50'],
  treesync: ['batched', 'unbatched'],
  colyseus: ['patch50', 'patchEach'],
  sharedb: ['doc', 'docs'],
} as const;
export type Peer = keyof typeof PEERS;

/** One object of the shared model, as plain data (each system maps it to its own schema). */
export interface ModelObject {
  name: string;
  value: number;
  x: number;
  tags: Record<string, number>;
  log: string[];
}

/** The initial value of object i. */
export function initialObject(i: number): ModelObject {
  return { name: `object ${i}`, value: 0, x: i, tags: { a: i % 7, b: i % 11 }, log: [`created ${i}`] };
}

/** The W1 fan-out sizes. */
export const W1 = { objects: 1_000, clients: [50, 200], rates: [1_000, 5_000], seconds: 10 } as const;
/** The W3 join sizes. */
export const W3 = { objects: [10_000, 100_000], parallel: [1, 50] } as const;

/** A reply for a workload a script does not implement. */
export interface Unsupported {
  readonly type: 'unsupported';
  readonly why: string;
}

/** What a W1 server adds to its ServerReport. */
export interface W1ServerExtra {
  /** Server heap used after the state was built, divided by M (bytes per object). */
  readonly heapPerObjectBytes: number;
}
