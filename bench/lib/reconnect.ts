/**
 * The reconnect workload (W4 of bench/peers/model.ts) on the load-client side, for every system's
 * script: each client drops its connection the way a network failure would, stays away, comes
 * back, and is timed until it is consistent again: whatever brings it back (missed ops, a full
 * state) is applied, and it has received a mutation the server made after it reconnected (the
 * mutations carry their send time, bench/lib/load.ts, so a value at or past the reconnect time is
 * one). Bytes are the WebSocket payload from the reconnect until then.
 */
import { sleep } from './child.js';
import { median, now, quantile } from './model.js';
import type { W4Report } from '../peers/model.js';

/** Longest wait for a client to be consistent after it reconnected (the contract's 30 s). */
const CONSISTENT_MS = 30_000;
/** Live updates before the drop. */
const LIVE_MS = 1_000;

/** One client's way back, as its load process sees it (times are now(): wall ms). */
export class Comeback {
  droppedAt = NaN;
  reconnectAt = NaN;
  consistentAt = NaN;
  /** Payload bytes received from the reconnect until consistent. */
  bytes = 0;
  /** Mutations the server made while the client was away, when the client can tell (else NaN). */
  missed = NaN;
  /** How the system brought it back (W4Report.path), when it can tell. */
  path = '';

  /** Whether it reconnected and is not yet consistent. */
  get returning(): boolean {
    return !Number.isNaN(this.reconnectAt) && Number.isNaN(this.consistentAt);
  }

  /** Counts a WebSocket message (bound: pass it to onWireMessage). */
  readonly count = (size: number): void => {
    if (this.returning) this.bytes += size;
  };

  /**
   * A mutation's value (the server's send time), applied in order after what brought the client
   * back: the client is consistent once one was made after it reconnected.
   */
  applied(value: unknown): void {
    if (this.returning && typeof value === 'number' && value >= this.reconnectAt) this.consistentAt = now();
  }
}

/** A W4 client: how it drops and how it comes back; its Comeback records the rest. */
export interface Returning {
  readonly comeback: Comeback;
  /** Drops the connection as a network failure would, keeping the client's state. */
  drop(): void;
  /** Reconnects (the client then resumes in its system's way). */
  reconnect(): void;
}

/**
 * Runs W4 on clients that hold the state and receive live mutations: after 1 s, drops them all,
 * waits `offlineSeconds`, reconnects them all, and waits (at most 30 s) until each is consistent.
 * `rate`: the server's mutations per second, for `missed` when the clients cannot tell.
 */
export async function runReconnect(clients: readonly Returning[], offlineSeconds: number, rate: number): Promise<W4Report> {
  await sleep(LIVE_MS);
  for (const c of clients) {
    c.comeback.droppedAt = now();
    c.drop();
  }
  await sleep(offlineSeconds * 1000);
  for (const c of clients) {
    c.comeback.reconnectAt = now();
    c.reconnect();
  }
  const deadline = performance.now() + CONSISTENT_MS;
  while (clients.some((c) => c.comeback.returning) && performance.now() < deadline) await sleep(20);
  const back = clients.map((c) => c.comeback).filter((c) => !Number.isNaN(c.consistentAt));
  const ms = Float64Array.from(back.map((c) => c.consistentAt - c.reconnectAt)).sort();
  const told = clients.map((c) => c.comeback.missed).filter((x) => !Number.isNaN(x));
  const away = clients.map((c) => c.comeback.reconnectAt - c.comeback.droppedAt);
  const paths = new Map<string, number>();
  for (const c of clients) if (c.comeback.path !== '') paths.set(c.comeback.path, (paths.get(c.comeback.path) ?? 0) + 1);
  return {
    type: 'report',
    clients: clients.length,
    caughtUp: back.length,
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
    maxMs: quantile(ms, 1),
    bytesPerClient: median(back.map((c) => c.bytes)),
    missed: Math.round(told.length > 0 ? median(told) : (median(away) / 1000) * rate),
    path: paths.size <= 1 ? ([...paths.keys()][0] ?? '') : [...paths].map(([p, n]) => `${p} (${n} clients)`).join('; '),
  };
}
