/**
 * What every bench process agrees on: the object types, the sizes, the clock, and the shapes of
 * the IPC messages between the orchestrator (bench/fanout.ts) and its child processes.
 */
import { defineType, t } from '../../shared/index.js';

/** The root of both bench trees. */
export const BenchRoot = defineType('BenchRoot', {});
/** A fan-out object: `value` carries the server's send timestamp. */
export const Item = defineType('Item', { value: t.number(0), label: t.string() });
/** A join object. */
export const BigItem = defineType('BigItem', { name: t.string(), value: t.number(0), x: t.number(0) });
/** Every type, in wire order. */
export const TYPES = [BenchRoot, Item, BigItem] as const;

/** Objects in the fan-out tree; mutation k sets object k % OBJECTS. */
export const OBJECTS = 1_000;
/** Objects in the join tree (plus its root). */
export const JOIN_OBJECTS = 10_000;
/** Tree names. */
export const FANOUT_TREE = 'bench';
export const JOIN_TREE = 'big';

/** The systems a fan-out run can measure. */
export const SYSTEMS = ['noop', 'sio-each', 'sio-50ms', 'treesync', 'treesync-immediate'] as const;
export type System = (typeof SYSTEMS)[number];

/** Whether a system speaks the treesync protocol. */
export function isTreesync(system: System): boolean {
  return system.startsWith('treesync');
}

/**
 * Wall-clock milliseconds with sub-ms precision. Every process on the machine derives it from the
 * same system clock, so a value stamped by the server and read by a client gives the latency.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The value at quantile q (0..1) of an ascending array, nearest rank; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

/** The median of some numbers. */
export function median(xs: readonly number[]): number {
  return quantile(Float64Array.from(xs).sort(), 0.5);
}

/** Commands the orchestrator sends. */
export type Command = { readonly cmd: 'start' | 'mark' | 'stop' | 'report' | 'exit' };

/** What a fan-out server reports for its measurement window. */
export interface ServerReport {
  readonly type: 'report';
  readonly mutations: number;
  readonly seconds: number;
  /** user + system CPU time of the server process in the window. */
  readonly cpuUs: number;
  /** Of cpuUs, the system (kernel) time: on loopback mostly the TCP path of each socket write. */
  readonly cpuSystemUs?: number;
  /** Gaps between the generator's 1 ms ticks: how late mutations were made. */
  readonly tickP99Ms: number;
  readonly tickMaxMs: number;
}

/** What the load-client process reports for its measurement window. */
export interface ClientsReport {
  readonly type: 'report';
  /** WebSocket payload bytes received by all clients. */
  readonly bytes: number;
  /** WebSocket messages received by all clients. */
  readonly frames: number;
  /** Mutations received by all clients (the bytes carried these). */
  readonly mutations: number;
  /** Fewest and most mutations one client received. */
  readonly minMutations: number;
  readonly maxMutations: number;
  /** Breaks in the seq (treesync) or object index (socket.io) sequence, over all clients. */
  readonly gaps: number;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU of the load-client process over wall time (1 = one core). */
  readonly cpuShare: number;
  readonly eventLoopP99Ms: number;
}

/** One join measurement, as the join client reports it. */
export interface JoinResult {
  readonly name: string;
  readonly ms: readonly number[];
  /** Payload bytes of the last round's join. */
  readonly bytes?: number;
  readonly objects: number;
  readonly note?: string;
}

/** What the join client reports. */
export interface JoinReport {
  readonly type: 'report';
  readonly results: readonly JoinResult[];
}
