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
 * - W2 client writes: `server: w2 <variant> <M>` → ready; the server holds M objects and refuses
 *   (by its own rule, in its own idiom) any write of a negative `value`; `mark`/`stop` measure its
 *   CPU over the writes it processed (`ServerReport`, `mutations` = writes it handled).
 *   `clients: w2 <variant> <port> <writers> <perSecond> <seconds>` → ready once every writer holds
 *   the state; on `start` each writer makes `perSecond` writes/s for `seconds`, write w setting
 *   `value` of object (writer * 7919 + w * 104729) % M to `now()`, except every 20th write (w % 20
 *   === 19), which sets -1 and must be refused. It then waits (at most 5 s) until every write has
 *   its outcome, lets 500 ms pass, joins one fresh client and replies `W2Report`.
 * - W4 reconnect: `server: w4 <variant> <M> <rate>` → ready; W1's generator (`start`, `mark`,
 *   `stop`). `clients: w4 <variant> <port> <N> <offlineSeconds>` → ready once all N hold the state;
 *   on `start`, after 1 s of live updates, every client drops its connection the way a network
 *   failure would (closing the transport, keeping its state where the system can resume), stays
 *   away `offlineSeconds`, and reconnects, all at once; it replies `W4Report`.
 * - W5 filtered views: `server: w5 <variant> <M> <rate> <groups>` → ready; W1's generator; object j
 *   belongs to group j % groups, and client i (it says which in its own idiom: handshake, room
 *   options, subscriptions) sees only the objects of group i % groups.
 *   `clients: w5 <variant> <port> <N> <groups>` → ready once all N hold their view; then as W1
 *   (`mark`, `report` → `ClientsReport & W5ClientsExtra`).
 *
 * Variants name the modes of a system (e.g. colyseus: `patch50` default 50 ms patches, `patch16`
 * 60 patches a second (W1 only: about as often as treesync's default writes at 200 clients, for the
 * same-cadence comparison), `patchEach` a patch after every mutation; sharedb: `doc` one json0 document, `docs` a document per object;
 * treesync: `batched` (the default adaptive flush), `paced` (`flush: { maxDelayMs: 50, duty: 0.02 }`,
 * Colyseus's patch interval as a bound), `unbatched`; socket.io: `each`, `coalesced50`).
 */
export { now, quantile, median, type ClientsReport, type Command, type JoinReport, type JoinResult, type ServerReport } from '../lib/model.js';

/** The systems and their variants. */
export const PEERS = {
  socketio: ['each', 'coalesced50'],
  treesync: ['batched', 'paced', 'unbatched'],
  colyseus: ['patch50', 'patch16', 'patchEach'],
  sharedb: ['doc', 'docs'],
} as const;
export type Peer = keyof typeof PEERS;

/**
 * Variants that differ from their system's default only in how often they broadcast: W1 (fan-out)
 * measures them; in the other workloads they would repeat the default's rows.
 */
export const FANOUT_ONLY: ReadonlySet<string> = new Set(['colyseus/patch16']);

/**
 * The W1 variants that write to each client every `ms` milliseconds, for `npm run bench:cadence`
 * (bench/cadence.ts), which sweeps the interval: treesync `every<ms>` (the adaptive flush bounded
 * by `maxDelayMs: ms`, with a duty low enough that the bound sets the pace), Colyseus
 * `patch<ms>` (`patchRate = ms`; `patch16` stays 1000 / 60). Not in PEERS: bench:peers does not run them.
 */
const CADENCE_PREFIX = { treesync: 'every', colyseus: 'patch' } as const;

/** The interval, in ms, of a cadence variant of `system` (see CADENCE_PREFIX): 1 to 9999; undefined for any other variant. */
export function cadenceMs(system: keyof typeof CADENCE_PREFIX, variant: string): number | undefined {
  const prefix = CADENCE_PREFIX[system];
  if (!variant.startsWith(prefix)) return undefined;
  const digits = variant.slice(prefix.length);
  if (!/^[1-9][0-9]{0,3}$/.test(digits)) return undefined;
  return system === 'colyseus' && digits === '16' ? 1000 / 60 : Number(digits);
}

/** The variants a script of `system` accepts when asked for `variant`: PEERS's, and `variant` itself if it is a cadence variant. */
export function variantsFor(system: Peer, variant: string): readonly string[] {
  const own: readonly string[] = PEERS[system];
  const cadence = system in CADENCE_PREFIX && cadenceMs(system as keyof typeof CADENCE_PREFIX, variant) !== undefined;
  return cadence && !own.includes(variant) ? [...own, variant] : own;
}

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
/** The W2 client-write sizes: writers, writes per second each, seconds, and which writes the server refuses. */
export const W2 = { objects: 1_000, writers: 20, perSecond: 10, seconds: 10, refusedEvery: 20 } as const;
/** The object writer `writer` sets in its write `w` (W2). */
export function w2Object(writer: number, w: number, m: number): number {
  return (writer * 7_919 + w * 104_729) % m;
}
/** Whether write `w` is one the server must refuse (it sets -1). */
export function w2Refused(w: number): boolean {
  return w % W2.refusedEvery === W2.refusedEvery - 1;
}
/** The W4 reconnect sizes. */
export const W4 = { objects: 1_000, clients: 50, rate: 1_000, offlineSeconds: 5 } as const;
/** The W5 filtered-view sizes: each client sees 1 / groups of the objects. */
export const W5 = { objects: 1_000, clients: 200, rate: 1_000, groups: 10 } as const;

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

/** What a W2 load-client process replies. */
export interface W2Report {
  readonly type: 'report';
  readonly writers: number;
  /** Writes made, writes the server accepted, writes it refused, and how many it should have refused. */
  readonly writes: number;
  readonly accepted: number;
  readonly refused: number;
  readonly expectedRefused: number;
  /** Writes without an outcome 5 s after the last one. */
  readonly unanswered: number;
  /** Round trip from the write to its outcome known to the writer (an ack, the write seen confirmed, or the refusal), ms. */
  readonly rttP50Ms: number;
  readonly rttP99Ms: number;
  readonly refusedRttP50Ms: number;
  /** How the outcome reaches the writer in this system (e.g. "ack message", "submitOp callback", "reply message"). */
  readonly outcome: string;
  /** Writers whose state equals a fresh client's at the end, over all M objects; and objects that differed in all. */
  readonly writersCorrect: number;
  readonly mismatches: number;
  /** Whether a refused value (-1) was seen in any state. */
  readonly refusedSeen: boolean;
  readonly clientsCpuPct: number;
}

/** What a W4 load-client process replies. */
export interface W4Report {
  readonly type: 'report';
  readonly clients: number;
  /** Clients back to consistency within 30 s of reconnecting. */
  readonly caughtUp: number;
  /**
   * Time from a client's reconnect until it is consistent again: the catch-up (or full state) is
   * applied and it has received a mutation made after it reconnected. ms, over the clients.
   */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** WebSocket payload bytes (and any HTTP the reconnect needs) a client received from reconnecting until consistent: median over clients. */
  readonly bytesPerClient: number;
  /** Mutations the server made while the clients were away (its count at reconnect minus at disconnect, as the clients can tell; else rate × seconds). */
  readonly missed: number;
  /** How the system brought the client back, e.g. "missed scribes (log)", "full state", "ops since version". */
  readonly path: string;
}

/** What a W5 load-client process adds to its ClientsReport. */
export interface W5ClientsExtra {
  /** Values received for objects outside the client's group (must be 0). */
  readonly violations: number;
  /** Objects each client holds, median (M / groups when exact). */
  readonly heldMedian: number;
}
